package sctpxdp_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// TestDialProtocolUnreachable: a Dial to a host whose kernel runs no SCTP
// (this test bed's: the peer namespace has no SCTP and no usrsctp) gets an
// ICMP protocol unreachable (ICMPv6: unrecognized next header) for its INIT,
// which ends the handshake like an ABORT (RFC 9260 Appendix C ICMP8): the
// Dial is refused instead of retrying INIT until its context ends. The
// capture on the peer's end shows the ICMP error the kernel sent.
func TestDialProtocolUnreachable(t *testing.T) {
	srvLink, cliLink := pair(t)
	for _, dst := range []netip.Addr{srvLink.IPv4, srvLink.IPv6} {
		capture := testbed.StartCapture(t, srvLink.NS, srvLink.Name, "sctp or icmp or icmp6")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		start := time.Now()
		a, err := sctpxdp.Dial(ctx, sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path()},
			netip.AddrPortFrom(dst, 5999))
		cancel()
		if err == nil {
			a.Abort()
			t.Fatalf("%v: Dial to a host without SCTP succeeded", dst)
		}
		if !errors.Is(err, sctpxdp.ErrRefused) {
			t.Fatalf("%v: Dial: %v after %v, want ErrRefused", dst, err, time.Since(start))
		}
		t.Logf("%v: refused after %v: %v", dst, time.Since(start).Round(time.Millisecond), err)
		pkts := testbed.Dissect(t, capture.Stop(t), "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code", "sctp.chunk_type")
		var inits, unreach int
		for _, p := range pkts {
			if p.Get("icmp.type") == "3" && p.Get("icmp.code") == "2" || p.Get("icmpv6.type") == "4" && p.Get("icmpv6.code") == "1" {
				unreach++
				continue
			}
			if p.Get("icmp.type") == "" && p.Get("icmpv6.type") == "" && p.Get("sctp.chunk_type") == chunkInit {
				inits++
			}
		}
		if inits == 0 || unreach == 0 {
			t.Errorf("%v: capture has %d INITs and %d protocol unreachables", dst, inits, unreach)
		}
	}
}

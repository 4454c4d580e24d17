package sctpxdp_test

import (
	"bytes"
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// TestUsrsctpToOurServer: usrsctp's tsctp (the reference stack) sends
// 10 000 messages of 100 bytes to our endpoint, which reads them all; the
// capture on the peer's end dissects cleanly.
func TestUsrsctpToOurServer(t *testing.T) {
	srvLink, cliLink := pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ep, err := sctpxdp.Listen(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: 5001})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	const n = 10000
	got := make(chan int, 1)
	go func() {
		a, err := ep.Accept(ctx)
		if err != nil {
			got <- -1
			return
		}
		buf := make([]byte, 4096)
		count := 0
		for {
			m, info, err := a.RecvMsg(ctx, buf)
			if err != nil {
				break
			}
			if m != 100 || !info.EOR {
				t.Errorf("message %d: %d bytes", count, m)
			}
			count++
		}
		got <- count
	}()
	capture := testbed.StartCapture(t, cliLink.NS, cliLink.Name, "sctp")
	out := cliLink.NS.Run(t, testbed.USRSCTP("tsctp"), "-E", "0", "-n", "10000", "-l", "100", "-p", "5001", srvLink.IPv4.String())
	if !strings.Contains(out, "Sending of 10000 messages") {
		t.Fatalf("tsctp:\n%s", out)
	}
	select {
	case c := <-got:
		if c != n {
			t.Errorf("received %d messages, want %d", c, n)
		}
	case <-ctx.Done():
		t.Fatal("server did not see the association end")
	}
	pkts := testbed.Dissect(t, capture.Stop(t), "sctp.chunk_type", "sctp.data_tsn_raw", "sctp.data_e_bit")
	tsns := map[string]bool{}
	aborts := 0
	for _, p := range pkts {
		for _, c := range p["sctp.chunk_type"] {
			if c == "6" {
				aborts++
			}
		}
		for _, tsn := range p["sctp.data_tsn_raw"] {
			tsns[tsn] = true
		}
	}
	if len(tsns) != n || aborts != 0 {
		t.Errorf("capture: %d distinct TSNs (want %d), %d ABORTs", len(tsns), n, aborts)
	}
}

// TestOurClientToUsrsctpEcho: our Dial to usrsctp's echo_server (port 7),
// IPv4 and IPv6, messages up to its 10 240-byte limit echoed byte for byte
// on several streams, then a graceful shutdown.
func TestOurClientToUsrsctpEcho(t *testing.T) {
	srvLink, cliLink := pair(t)
	srvLink.NS.Start(t, testbed.USRSCTP("echo_server"))
	time.Sleep(500 * time.Millisecond) // it binds
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, dst := range []netip.Addr{srvLink.IPv4, srvLink.IPv6} {
		a, err := sctpxdp.Dial(ctx, sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path(), Assoc: noDelay},
			netip.AddrPortFrom(dst, 7))
		if err != nil {
			t.Fatalf("dial %v: %v", dst, err)
		}
		buf := make([]byte, 16<<10)
		for i := 0; i < 200; i++ {
			msg := bytes.Repeat([]byte{byte(i)}, 1+(i*53)%10240)
			if err := a.SendMsg(ctx, sctpxdp.SndInfo{Stream: uint16(i % 3)}, msg); err != nil {
				t.Fatalf("%v send %d: %v", dst, i, err)
			}
			n, info, err := a.RecvMsg(ctx, buf)
			if err != nil || !bytes.Equal(buf[:n], msg) || !info.EOR {
				t.Fatalf("%v echo %d: %d bytes (want %d), %v", dst, i, n, len(msg), err)
			}
		}
		if err := a.Close(); err != nil {
			t.Errorf("%v: close: %v", dst, err)
		}
	}
}

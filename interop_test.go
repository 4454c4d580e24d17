package sctpxdp_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// TestOurClientToUsrsctpEcho: our client to usrsctp's echo_server (port
// 7), IPv4 and IPv6: 10 000 messages of 16 B .. 10 240 B (its buffer) on 4
// streams, one in five unordered, pipelined; each comes back exactly once,
// byte for byte, on its stream with its PPID and ordering, in order on
// ordered streams; then a graceful shutdown. The capture on the server's end
// counts both directions' messages.
func TestOurClientToUsrsctpEcho(t *testing.T) {
	srvLink, cliLink := pair(t)
	srvLink.NS.Start(t, testbed.USRSCTP("echo_server"))
	testbed.WaitUsrsctp(t, srvLink.NS)
	for _, dst := range []netip.Addr{srvLink.IPv4, srvLink.IPv6} {
		name := "IPv4"
		if dst.Is6() {
			name = "IPv6"
		}
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			capture := testbed.StartCapture(t, srvLink.NS, srvLink.Name, "sctp")
			start := time.Now()
			a, err := sctpxdp.Dial(ctx, sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path(), Assoc: noDelay},
				netip.AddrPortFrom(dst, 7))
			if err != nil {
				t.Fatalf("dial %v: %v", dst, err)
			}
			const n = 10000
			sendErr := make(chan error, 1)
			go func() {
				rng := rand.New(rand.NewPCG(7, uint64(len(name))))
				var rank [4]uint32
				for i := 0; i < n; i++ {
					msg, info := genMsgMax(rng, i, rank[:], true, 10240)
					if err := a.SendMsg(ctx, info, msg); err != nil {
						sendErr <- fmt.Errorf("send %d: %w", i, err)
						return
					}
				}
				sendErr <- nil
			}()
			c := newChecker(n)
			buf := make([]byte, 16<<10)
			for c.count < n {
				m, info, err := a.RecvMsg(ctx, buf)
				if err != nil {
					a.Abort()
					t.Fatalf("after %d echoes: %v", c.count, err)
				}
				if err := c.check(buf[:m], info); err != nil {
					a.Abort()
					t.Fatalf("echo: %v", err)
				}
			}
			if err := <-sendErr; err != nil {
				t.Fatal(err)
			}
			if err := a.Shutdown(ctx); err != nil {
				t.Errorf("shutdown: %v", err)
			}
			elapsed := time.Since(start)
			s := checkCapture(t, capture.Stop(t), captureExpect{Messages: 2 * n, Shutdowns: 1})
			logCase(t, "ours-echo_server-"+name, n, elapsed, int(a.Stats().RtxChunks), s.repeatsFrom(dst))
		})
	}
}

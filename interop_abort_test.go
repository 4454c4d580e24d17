package sctpxdp_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// TestUsrsctpAbortBothWays: ABORT between usrsctp (C peer client_peer.c)
// and our server, each way (RFC 9260 9.1). usrsctp aborts (SO_LINGER 0):
// our reader gets every message sent before, then ErrAborted. We abort:
// usrsctp's read ends with an error, not with a graceful end. The capture
// on the peer's end holds exactly one ABORT, from the side that aborted,
// and no SHUTDOWN.
func TestUsrsctpAbortBothWays(t *testing.T) {
	srvLink, cliLink := pair(t)
	bin := testbed.BuildCPeer(t, "internal/testbed/cpeers/client_peer.c")
	const n = 100
	for i, who := range []string{"usrsctp aborts", "we abort"} {
		t.Run(who, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			port := 5310 + i
			ep, err := sctpxdp.Listen(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: uint16(port), Assoc: noDelay})
			if err != nil {
				t.Fatal(err)
			}
			defer ep.Close()
			capture := testbed.StartCapture(t, cliLink.NS, cliLink.Name, "sctp")
			start := time.Now()
			args := []string{"40002", srvLink.IPv4.String(), fmt.Sprint(port), fmt.Sprint(n), "m"}
			if i == 0 {
				args = append(args, "abort")
			}
			peer := cliLink.NS.Start(t, bin, args...)
			a, err := ep.Accept(ctx)
			if err != nil {
				t.Fatalf("accept: %v (peer: %s)", err, peer.Output())
			}
			defer a.Abort()
			buf := make([]byte, 256)
			for k := 0; k < n; k++ {
				m, _, err := a.RecvMsg(ctx, buf)
				if want := fmt.Sprintf("m %d", k); err != nil || string(buf[:m]) != want {
					t.Fatalf("message %d: %q, %v; want %q", k, buf[:m], err, want)
				}
			}
			var aborter string
			if i == 0 {
				aborter = cliLink.IPv4.String()
				_, _, err := a.RecvMsg(ctx, buf)
				if !errors.Is(err, sctpxdp.ErrAborted) {
					t.Errorf("RecvMsg after usrsctp's ABORT: %v, want ErrAborted", err)
				}
			} else {
				aborter = srvLink.IPv4.String()
				if err := a.Abort(); err != nil {
					t.Errorf("Abort: %v", err)
				}
				if !peer.WaitOutput("closed: ", 5*time.Second) {
					t.Errorf("usrsctp did not see our ABORT:\n%s", peer.Output())
				}
				t.Logf("client_peer: %q", peer.Output())
			}
			elapsed := time.Since(start)
			s := checkCapture(t, capture.Stop(t), captureExpect{Messages: n, Aborts: 1})
			if s.AbortFrom != aborter {
				t.Errorf("the ABORT came from %s, want %s", s.AbortFrom, aborter)
			}
			logCase(t, "abort-"+who, n, elapsed, int(a.Stats().RtxChunks), s.repeatsFrom(cliLink.IPv4))
		})
	}
}

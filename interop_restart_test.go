package sctpxdp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
	"github.com/sctp-xdp/sctp-xdp/assoc"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// TestUsrsctpPeerRestartSamePort: a usrsctp client bound to a fixed port
// (C peer client_peer.c) sends to our server, is killed (it vanishes
// without ABORT or SHUTDOWN) and started again on the same port. Its new
// INIT comes from the same address and port, so our server treats it as
// the peer restarting (RFC 9260 5.2.2, 5.2.4 case A): the association the
// application holds reports RESTART (SCTP_ASSOC_CHANGE) and carries on with
// the new peer's data; no second association is accepted. Then our side
// shuts down gracefully.
func TestUsrsctpPeerRestartSamePort(t *testing.T) {
	srvLink, cliLink := pair(t)
	bin := testbed.BuildCPeer(t, "internal/testbed/cpeers/client_peer.c")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const port, peerPort, n = 5301, "40001", 100
	ep, err := sctpxdp.Listen(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: port,
		Events: sctpxdp.EventAssocChange, Assoc: noDelay})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	capture := testbed.StartCapture(t, cliLink.NS, cliLink.Name, "sctp or icmp")
	start := time.Now()
	peer := func(tag string) *testbed.Proc {
		p := cliLink.NS.Start(t, bin, peerPort, srvLink.IPv4.String(), fmt.Sprint(port), fmt.Sprint(n), tag)
		if !p.WaitOutput(fmt.Sprintf("sent %d", n), 10*time.Second) {
			t.Fatalf("client_peer %s did not send:\n%s", tag, p.Output())
		}
		return p
	}
	first := peer("first")
	a, err := ep.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Abort()
	buf := make([]byte, 512)
	// readRun expects the notification ev, then the n messages of tag.
	readRun := func(ev assoc.EventType, tag string) {
		t.Helper()
		m, info, err := a.RecvMsg(ctx, buf)
		if err != nil {
			t.Fatalf("%s: waiting for %v: %v", tag, ev, err)
		}
		if info.Notification == nil || info.Notification.Kind != sctpxdp.EventAssocChange || info.Notification.Event != ev {
			t.Fatalf("%s: read %q %+v, want the %v notification", tag, buf[:m], info, ev)
		}
		for i := 0; i < n; i++ {
			m, info, err := a.RecvMsg(ctx, buf)
			if err != nil {
				t.Fatalf("%s: message %d: %v", tag, i, err)
			}
			if want := fmt.Sprintf("%s %d", tag, i); string(buf[:m]) != want || info.Notification != nil || info.PPID != ppid(i) {
				t.Fatalf("%s: read %q %+v, want %q with PPID %#x", tag, buf[:m], info, want, ppid(i))
			}
		}
	}
	readRun(assoc.EventCommUp, "first")
	first.Signal(syscall.SIGKILL)
	if err := first.Wait(5 * time.Second); errors.Is(err, testbed.ErrWaitTimeout) {
		t.Fatal("client_peer outlived SIGKILL")
	}
	second := peer("second")
	readRun(assoc.EventRestart, "second")
	// The restart is the same association: nothing new to accept.
	actx, acancel := context.WithTimeout(ctx, 200*time.Millisecond)
	if b, err := ep.Accept(actx); err == nil {
		t.Errorf("a second association (%d) was accepted after the peer's restart", b.ID())
		b.Abort()
	}
	acancel()
	if err := a.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if !second.WaitOutput("closed by SHUTDOWN", 5*time.Second) {
		t.Errorf("client_peer did not see the shutdown:\n%s", second.Output())
	}
	// Then SHUTDOWN_COMP, and the end.
	var tail []string
	for {
		m, info, err := a.RecvMsg(ctx, buf)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				tail = append(tail, err.Error())
			}
			break
		}
		if info.Notification != nil {
			tail = append(tail, info.Notification.Event.String())
		} else {
			tail = append(tail, fmt.Sprintf("data %q", buf[:m]))
		}
	}
	if got := strings.Join(tail, "|"); got != "SHUTDOWN_COMP" {
		t.Errorf("after the shutdown RecvMsg read %s, want SHUTDOWN_COMP then io.EOF", got)
	}
	elapsed := time.Since(start)
	st := a.Stats()
	if ef, err := ep.Stats(); err == nil {
		t.Logf("endpoint: opened %+v, failures %+v", ef.Opened, ef.Failures)
		if ef.Failures.Restart != 1 {
			t.Errorf("endpoint counts %d restarts, want 1", ef.Failures.Restart)
		}
	}
	s := checkCapture(t, capture.Stop(t), captureExpect{Messages: 2 * n, Shutdowns: 1})
	logCase(t, "usrsctp-restart-same-port", 2*n, elapsed, int(st.RtxChunks), s.repeatsFrom(cliLink.IPv4))
}

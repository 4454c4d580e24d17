package sctpxdp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// waitFor polls cond every 10 ms until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// TestUsrsctpClientToOurEcho: usrsctp's `client` sends the lines of its
// standard input on stream 0 to our echo server and prints what comes
// back: every line returns; at the end of its input it shuts the
// association down, and the capture on its end shows both directions'
// messages and a clean SHUTDOWN sequence.
func TestUsrsctpClientToOurEcho(t *testing.T) {
	srvLink, cliLink := pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ep, err := sctpxdp.Listen(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: 5201, Assoc: noDelay})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	go echoServer(t, ep, ctx)
	capture := testbed.StartCapture(t, cliLink.NS, cliLink.Name, "sctp")

	cmd := cliLink.NS.Command(ctx, testbed.USRSCTP("client"), srvLink.IPv4.String(), "5201", "0", "0", "0")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out testbed.LockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ended := false
	defer func() {
		if !ended {
			cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("client output:\n%s", out.String())
		}
	}()
	start := time.Now()
	const n = 20
	for i := 0; i < n; i++ {
		// Shorter than the client's line buffer (80 bytes): one message each.
		line := fmt.Sprintf("line %02d of usrsctp's client %s", i, strings.Repeat("x", i*2))
		if _, err := io.WriteString(stdin, line+"\n"); err != nil {
			t.Fatalf("writing line %d: %v", i, err)
		}
		// One at a time: the client may send before the association is up.
		if !waitFor(10*time.Second, func() bool { return strings.Contains(out.String(), line) }) {
			t.Fatalf("line %d did not come back", i)
		}
	}
	stdin.Close() // the client shuts the association down and exits at EOF
	eofAt := time.Now()
	select {
	case err := <-exited:
		ended = true
		t.Logf("client exited %v after the end of its input: %v", time.Since(eofAt).Round(time.Millisecond), err)
	case <-time.After(5 * time.Second):
		t.Fatalf("client still running 5 s after the end of its input")
	}
	elapsed := time.Since(start)
	s := checkCapture(t, capture.Stop(t), captureExpect{Messages: 2 * n, Shutdowns: 1})
	logCase(t, "usrsctp-client-to-our-echo", n, elapsed, 0, s.repeatsFrom(cliLink.IPv4))
}

// TestFaultsOurClientToUsrsctpEcho: our client and usrsctp's echo_server
// through the relay with 5 % loss, 2 % duplication and 5 % reordering each
// way: 500 messages of up to 4 KiB on 4 streams, one in five unordered,
// pipelined, each echoed exactly once, byte for byte, on its stream with
// its PPID, in order on ordered streams; the relay's record dissects
// cleanly.
func TestFaultsOurClientToUsrsctpEcho(t *testing.T) {
	path, r, pcap := relayed(t, 12)
	path.B.NS.Start(t, testbed.USRSCTP("echo_server"))
	testbed.WaitUsrsctp(t, path.B.NS)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := fastRTO
	cfg.NoDelay = true
	start := time.Now()
	a, err := sctpxdp.Dial(ctx, sctpxdp.Config{Interface: path.A.Name, NetNS: path.A.NS.Path(), Assoc: cfg},
		netip.AddrPortFrom(path.B.IPv4, 7))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Abort() // on failure; a no-op after Close
	const n = 500
	sendErr := make(chan error, 1)
	go func() {
		rng := rand.New(rand.NewPCG(12, 1))
		var rank [4]uint32
		for i := 0; i < n; i++ {
			msg, info := genMsg(rng, i, rank[:])
			if err := a.SendMsg(ctx, info, msg); err != nil {
				sendErr <- fmt.Errorf("send %d: %w", i, err)
				return
			}
		}
		sendErr <- nil
	}()
	c := newChecker(n)
	buf := make([]byte, 16<<10)
	var first sctpxdp.RcvInfo
	for c.count < n {
		m, info, err := a.RecvMsg(ctx, buf)
		if err != nil {
			t.Fatalf("after %d echoes: %v", c.count, err)
		}
		if c.count == 0 {
			first = info
		}
		if err := c.check(buf[:m], info); err != nil {
			t.Fatalf("echo: %v", err)
		}
	}
	if err := <-sendErr; err != nil {
		t.Fatal(err)
	}
	st := a.Stats()
	if err := a.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	elapsed := time.Since(start)
	ab, ba := r.Stats()
	r.Close()
	t.Logf("our client ↔ usrsctp echo_server through the relay: %d messages echoed, %.2f s, %d retransmissions (%d fast, %d T3 expiries), first echo %+v, relay a→b %+v, b→a %+v",
		c.count, elapsed.Seconds(), st.RtxChunks, st.FastRetransmits, st.T3Expiries, first, ab, ba)
	if ab.Lost+ba.Lost == 0 {
		t.Error("the relay lost nothing")
	}
	cs := checkCapture(t, pcap, captureExpect{Messages: 2 * n, Shutdowns: 1, Relayed: true})
	// The peer's repeats include the relay's duplicates of its packets.
	logCase(t, "faults-ours-echo_server", c.count, elapsed, int(st.RtxChunks), cs.repeatsFrom(path.B.IPv4))
}

// echoCtx sends s and expects it back.
func echoCtx(ctx context.Context, a *sctpxdp.Assoc, s string) error {
	if err := a.SendMsg(ctx, sctpxdp.SndInfo{}, []byte(s)); err != nil {
		return err
	}
	buf := make([]byte, 256)
	n, _, err := a.RecvMsg(ctx, buf)
	if err != nil {
		return err
	}
	if string(buf[:n]) != s {
		return fmt.Errorf("echo %q, want %q", buf[:n], s)
	}
	return nil
}

// TestUsrsctpPeerRestart: usrsctp's echo_server is killed (no ABORT, no
// SHUTDOWN: it just vanishes) and started again on the same port while our
// client is associated. The next message reaches a stack that knows no
// such association: RFC 9260 8.4 item 8 has it answer an ABORT, but
// echo_server sets usrsctp's blackhole sysctl to 2 and so stays silent
// (no ABORT in the capture), so our side declares the peer unreachable
// after Association.Max.Retrans (ErrTimeout); ErrAborted is accepted too.
// Either way the old association ends, within a bound, and a new
// association to the restarted peer works. (A peer that restarts by
// opening the association again is TestUsrsctpPeerRestartSamePort.)
func TestUsrsctpPeerRestart(t *testing.T) {
	srvLink, cliLink := pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	srv := srvLink.NS.Start(t, testbed.USRSCTP("echo_server"))
	testbed.WaitUsrsctp(t, srvLink.NS)
	capture := testbed.StartCapture(t, srvLink.NS, srvLink.Name, "sctp or icmp")
	cfg := sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path(), Assoc: fastRTO}
	cfg.Assoc.NoDelay = true
	// A short Association.Max.Retrans with a small RTO.Max bounds how long
	// a silent peer takes to be declared unreachable (RFC 9260 8.1).
	cfg.Assoc.AssocMaxRetrans = 4
	cfg.Assoc.RTOMax = 400 * time.Millisecond
	dst := netip.AddrPortFrom(srvLink.IPv4, 7)
	begin := time.Now()
	a, err := sctpxdp.Dial(ctx, cfg, dst)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Abort()
	echo := func(a *sctpxdp.Assoc, s string) error { return echoCtx(ctx, a, s) }
	if err := echo(a, "before the restart"); err != nil {
		t.Fatal(err)
	}
	srv.Signal(syscall.SIGKILL)
	if err := srv.Wait(5 * time.Second); errors.Is(err, testbed.ErrWaitTimeout) {
		t.Fatal("echo_server outlived SIGKILL")
	}
	srvLink.NS.Start(t, testbed.USRSCTP("echo_server"))
	testbed.WaitUsrsctp(t, srvLink.NS)
	start := time.Now()
	err = echo(a, "after the restart")
	ended := time.Since(start)
	st := a.Stats()
	t.Logf("after the restart: echo %v after %v; Err %v; %d retransmissions, %d T3 expiries, %d ICMP accepted, %d ignored",
		err, ended.Round(time.Millisecond), a.Err(), st.RtxChunks, st.T3Expiries, st.ICMPAccepted, st.ICMPIgnored)
	if !errors.Is(err, sctpxdp.ErrAborted) && !errors.Is(err, sctpxdp.ErrTimeout) {
		t.Errorf("the old association after the peer's restart: %v, want ErrAborted or ErrTimeout", err)
	}
	if b, err := sctpxdp.Dial(ctx, cfg, dst); err != nil {
		t.Errorf("dial the restarted peer: %v", err)
	} else {
		if err := echo(b, "a new association"); err != nil {
			t.Errorf("new association: %v", err)
		}
		if err := b.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}
	// Messages: the first echo (2), the unanswered one (1, retransmitted)
	// and the new association's echo (2); its graceful close, no ABORT.
	cs := checkCapture(t, capture.Stop(t), captureExpect{Messages: 5, Shutdowns: 1})
	logCase(t, "echo_server-killed-restarted", 3, time.Since(begin), int(st.RtxChunks), cs.repeatsFrom(srvLink.IPv4))
}

package sctpxdp_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"sync"
	"testing"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
	"github.com/sctp-xdp/sctp-xdp/assoc"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// noDelay turns Nagle off for request/response tests (SCTP_NODELAY), as
// signalling applications do: with Nagle each echo would wait for the
// peer's delayed SACK.
var noDelay = assoc.Config{NoDelay: true}

// pair is a server namespace and a client namespace joined by a veth.
func pair(t *testing.T) (srv, cli *testbed.Link) {
	testbed.RequirePriv(t)
	a, b := testbed.NewNetns(t), testbed.NewNetns(t)
	return testbed.NewVeth(t, a, b, testbed.VethConfig{Queues: 2})
}

// echoServer accepts associations and echoes every message on its stream.
func echoServer(t *testing.T, ep *sctpxdp.Endpoint, ctx context.Context) {
	for {
		a, err := ep.Accept(ctx)
		if err != nil {
			return
		}
		go func() {
			buf := make([]byte, 256<<10)
			for {
				n, info, err := a.RecvMsg(ctx, buf)
				if err != nil {
					return
				}
				if !info.EOR {
					t.Errorf("server: message of %d bytes split (buffer %d)", n, len(buf))
				}
				if err := a.SendMsg(ctx, sctpxdp.SndInfo{Stream: info.Stream, PPID: info.PPID, Unordered: info.Unordered}, buf[:n]); err != nil {
					t.Errorf("server send: %v", err)
					return
				}
			}
		}()
	}
}

// TestEchoOverVeth: ours to ours over AF_XDP on a veth, IPv4 and IPv6:
// messages of 1 B to 64 KiB on several streams, ordered and unordered,
// echoed byte for byte; then a graceful shutdown.
func TestEchoOverVeth(t *testing.T) {
	srvLink, cliLink := pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ep, err := sctpxdp.Listen(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: 5001, Assoc: noDelay})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	go echoServer(t, ep, ctx)
	for _, dst := range []netip.Addr{srvLink.IPv4, srvLink.IPv6} {
		t.Run(dst.String(), func(t *testing.T) {
			a, err := sctpxdp.Dial(ctx, sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path(), Assoc: noDelay},
				netip.AddrPortFrom(dst, 5001))
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			buf := make([]byte, 256<<10)
			const n = 300
			for i := 0; i < n; i++ {
				size := 1 + rng.IntN(64<<10)
				if i%10 != 0 {
					size = 1 + rng.IntN(1000)
				}
				msg := make([]byte, size)
				for j := range msg {
					msg[j] = byte(i + j)
				}
				// Ordered messages on one stream: each echo comes back in order.
				info := sctpxdp.SndInfo{Stream: uint16(i % 4), PPID: uint32(i)}
				if err := a.SendMsg(ctx, info, msg); err != nil {
					t.Fatalf("send %d: %v", i, err)
				}
				got, rinfo, err := a.RecvMsg(ctx, buf)
				if err != nil {
					t.Fatalf("recv %d: %v", i, err)
				}
				if !bytes.Equal(buf[:got], msg) || rinfo.PPID != uint32(i) || rinfo.Stream != uint16(i%4) || !rinfo.EOR {
					t.Fatalf("echo %d: %d bytes (want %d), stream %d, ppid %d", i, got, size, rinfo.Stream, rinfo.PPID)
				}
			}
			if err := a.Close(); err != nil {
				t.Fatalf("graceful close: %v", err)
			}
			if _, _, err := a.RecvMsg(ctx, buf); !errors.Is(err, io.EOF) {
				t.Errorf("RecvMsg after close: %v, want io.EOF", err)
			}
		})
	}
}

// TestListenErrors: the same port twice is refused as in use; a missing
// interface and a bad address are refused clearly.
func TestListenErrors(t *testing.T) {
	srvLink, _ := pair(t)
	cfg := sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: 5002}
	ep, err := sctpxdp.Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	if _, err := sctpxdp.Listen(cfg); !errors.Is(err, sctpxdp.ErrAddrInUse) {
		t.Errorf("second Listen on port 5002: %v", err)
	}
	if _, err := sctpxdp.Listen(sctpxdp.Config{}); !errors.Is(err, sctpxdp.ErrInvalid) {
		t.Errorf("empty config: %v", err)
	}
	bad := cfg
	bad.Port, bad.Addrs = 5003, []netip.Addr{netip.MustParseAddr("224.0.0.1")}
	if _, err := sctpxdp.Listen(bad); !errors.Is(err, sctpxdp.ErrInvalid) {
		t.Errorf("multicast local address: %v", err)
	}
	missing := cfg
	missing.Interface, missing.Port = "sx-missing0", 5004
	if _, err := sctpxdp.Listen(missing); err == nil {
		t.Error("missing interface accepted")
	}
	// A second endpoint on the interface shares the runtime and works.
	ep2, err := sctpxdp.Listen(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: 5005})
	if err != nil {
		t.Fatalf("second endpoint: %v", err)
	}
	ep2.Close()
	_ = fmt.Sprint()
}

// TestBackPressure: a reader that does not read makes the writer block
// (SendMsg waits, it does not drop or buffer without bound); once the
// reader drains, every message arrives in order, byte for byte, and
// several goroutines may send on one association at once.
func TestBackPressure(t *testing.T) {
	srvLink, cliLink := pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ep, err := sctpxdp.Listen(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: 5006})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	a, err := sctpxdp.Dial(ctx, sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path()},
		netip.AddrPortFrom(srvLink.IPv4, 5006))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ep.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Nobody reads: the peer's window, both engines' buffers and the rings
	// fill, then SendMsg blocks until its deadline.
	msg := make([]byte, 8<<10)
	sent := 0
	for {
		sctx, scancel := context.WithTimeout(ctx, 500*time.Millisecond)
		binary.BigEndian.PutUint32(msg, uint32(sent))
		err := a.SendMsg(sctx, sctpxdp.SndInfo{}, msg)
		scancel()
		if errors.Is(err, context.DeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatalf("send %d: %v", sent, err)
		}
		if sent++; sent > 100000 {
			t.Fatal("SendMsg never blocked: the queue is unbounded")
		}
	}
	t.Logf("SendMsg blocked after %d messages (%d KiB) with nobody reading", sent, sent*8)
	// Two more writers join; the reader drains everything.
	const extra = 200
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := make([]byte, 8<<10)
			for i := 0; i < extra; i++ {
				binary.BigEndian.PutUint32(m, 1<<31|uint32(i))
				if err := a.SendMsg(ctx, sctpxdp.SndInfo{Stream: 1}, m); err != nil {
					t.Errorf("concurrent send: %v", err)
					return
				}
			}
		}()
	}
	buf := make([]byte, 16<<10)
	next, others := 0, 0
	for next < sent || others < 2*extra {
		n, info, err := srv.RecvMsg(ctx, buf)
		if err != nil {
			t.Fatalf("recv after %d+%d: %v", next, others, err)
		}
		if n != len(msg) || !info.EOR {
			t.Fatalf("message of %d bytes", n)
		}
		if info.Stream == 1 {
			others++
			continue
		}
		if got := binary.BigEndian.Uint32(buf); got != uint32(next) {
			t.Fatalf("message %d arrived as %d", next, got)
		}
		next++
	}
	wg.Wait()
	if err := a.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
}

// Calls on an association after its Close (a deferred Abort, say) return
// at once instead of reaching a runtime that has gone.
func TestCallsAfterClose(t *testing.T) {
	srvLink, cliLink := pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ep, err := sctpxdp.Listen(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: 5007})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	go echoServer(t, ep, ctx)
	a, err := sctpxdp.Dial(ctx, sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path()},
		netip.AddrPortFrom(srvLink.IPv4, 5007))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the Dial's own endpoint closes behind it
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Abort()
		a.Shutdown(ctx)
		a.Stats()
		if err := a.SendMsg(ctx, sctpxdp.SndInfo{}, []byte("late")); err == nil {
			t.Error("SendMsg after Close succeeded")
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("calls after Close hang")
	}
}

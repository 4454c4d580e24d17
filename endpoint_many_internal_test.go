package sctpxdp

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/assoc"
)

// manyFixture is a one-to-many endpoint without a runtime: the test plays
// the poller, pushing into the associations' rings and calling readyMany
// as moveRx does.
func manyFixture(t *testing.T, n int) (*Endpoint, []*Assoc) {
	t.Helper()
	e := &Endpoint{done: make(chan struct{}), stopped: make(chan struct{}), assocs: map[*Assoc]struct{}{}, many: newManyState()}
	var as []*Assoc
	for range n {
		a := newAssoc(e, nil)
		e.many.byID[a.id] = a
		a.ext.member.Store(true)
		e.track(a)
		as = append(as, a)
	}
	return e, as
}

// deliver is the poller's side: a message into a's ring, then the hook.
func deliver(t *testing.T, a *Assoc, payload string) {
	t.Helper()
	bp := getBuf(len(payload))
	copy(*bp, payload)
	if !a.rx.Push(rxMsg{buf: bp, n: len(payload), info: assoc.RecvInfo{EOR: true, PPID: a.id}}) {
		t.Fatal("ring full")
	}
	a.readyMany()
}

func recvString(t *testing.T, e *Endpoint, size int) (string, RcvInfo) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	buf := make([]byte, size)
	n, info, err := e.RecvMsg(ctx, buf)
	if err != nil {
		t.Fatalf("RecvMsg: %v", err)
	}
	return string(buf[:n]), info
}

// TestManyFairness: three associations with five messages each are read
// in turns, one message each (round robin), every message once, in order
// per association, with the right AssocID.
func TestManyFairness(t *testing.T) {
	e, as := manyFixture(t, 3)
	for i := range 5 {
		for k, a := range as {
			deliver(t, a, fmt.Sprintf("a%d m%d", k, i))
		}
	}
	for i := range 5 {
		for k, a := range as {
			got, info := recvString(t, e, 64)
			if want := fmt.Sprintf("a%d m%d", k, i); got != want || info.AssocID != a.id || !info.EOR {
				t.Fatalf("read %d: %q id %d eor %v, want %q id %d", i*3+k, got, info.AssocID, info.EOR, want, a.id)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, _, err := e.RecvMsg(ctx, make([]byte, 8)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RecvMsg with nothing queued: %v", err)
	}
}

// TestManyPartialRead: a message longer than the buffer continues in the
// next reads before another association's message (interleave level 0).
func TestManyPartialRead(t *testing.T) {
	e, as := manyFixture(t, 2)
	deliver(t, as[0], "0123456789")
	deliver(t, as[1], "other")
	var parts []string
	for {
		got, info := recvString(t, e, 4)
		if info.AssocID != as[0].id {
			t.Fatalf("read of %q from %d in the middle of %d's message", got, info.AssocID, as[0].id)
		}
		parts = append(parts, got)
		if info.EOR {
			break
		}
	}
	if fmt.Sprint(parts) != "[0123 4567 89]" {
		t.Fatalf("parts %v", parts)
	}
	if got, info := recvString(t, e, 64); got != "other" || info.AssocID != as[1].id {
		t.Fatalf("then %q from %d", got, info.AssocID)
	}
}

// TestManyWakeAndEnd: a blocked RecvMsg wakes on a message pushed later; an
// association that ended is dropped from the set once read.
func TestManyWakeAndEnd(t *testing.T) {
	e, as := manyFixture(t, 1)
	a := as[0]
	go func() {
		time.Sleep(20 * time.Millisecond)
		deliver(t, a, "late")
		a.finish(nil) // the end, as the poller reports it
	}()
	if got, _ := recvString(t, e, 64); got != "late" {
		t.Fatalf("got %q", got)
	}
	// The end is seen by the next read, which then waits for others.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, _, err := e.RecvMsg(ctx, make([]byte, 8)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RecvMsg after the end: %v", err)
	}
	if ids, _ := e.Assocs(); len(ids) != 0 {
		t.Fatalf("ended association still listed: %v", ids)
	}
	if _, err := e.Assoc(a.id); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Assoc of an ended one: %v", err)
	}
	close(e.done)
	if _, _, err := e.RecvMsg(context.Background(), make([]byte, 8)); !errors.Is(err, ErrClosed) {
		t.Fatalf("RecvMsg after Close: %v", err)
	}
}

// TestManyPeelOffQueued: messages queued for an association stay with it
// when it is peeled off, in order; the endpoint's RecvMsg no longer sees it.
func TestManyPeelOffQueued(t *testing.T) {
	e, as := manyFixture(t, 2)
	deliver(t, as[0], "p1")
	deliver(t, as[0], "p2")
	deliver(t, as[1], "x1")
	p, err := e.PeelOff(as[0].id)
	if err != nil || p != as[0] {
		t.Fatalf("PeelOff: %v", err)
	}
	deliver(t, as[0], "p3") // after the peel-off, as the poller would
	if got, info := recvString(t, e, 64); got != "x1" || info.AssocID != as[1].id {
		t.Fatalf("endpoint read %q from %d", got, info.AssocID)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if n, info, err := e.RecvMsg(ctx, make([]byte, 8)); err == nil {
		t.Fatalf("endpoint read %d bytes from %d after the peel-off", n, info.AssocID)
	}
	buf := make([]byte, 8)
	for _, want := range []string{"p1", "p2", "p3"} {
		n, _, err := p.RecvMsg(context.Background(), buf)
		if err != nil || string(buf[:n]) != want {
			t.Fatalf("peeled read %q %v, want %q", buf[:n], err, want)
		}
	}
	if _, err := e.PeelOff(as[0].id); !errors.Is(err, ErrInvalid) {
		t.Fatalf("second PeelOff: %v", err)
	}
	if ids, _ := e.Assocs(); len(ids) != 1 || ids[0] != as[1].id {
		t.Fatalf("Assocs after peel-off: %v", ids)
	}
}

// TestManyArgs: calls that need a one-to-many endpoint refuse a
// one-to-one one; bad destinations and ids are invalid arguments.
func TestManyArgs(t *testing.T) {
	one := &Endpoint{done: make(chan struct{})}
	ctx := context.Background()
	if _, _, err := one.RecvMsg(ctx, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("RecvMsg on one-to-one: %v", err)
	}
	if err := one.SendMsg(ctx, netip.MustParseAddrPort("198.18.0.1:1"), SndInfo{}, []byte("x")); !errors.Is(err, ErrInvalid) {
		t.Errorf("SendMsg on one-to-one: %v", err)
	}
	if _, err := one.PeelOff(1); !errors.Is(err, ErrInvalid) {
		t.Errorf("PeelOff on one-to-one: %v", err)
	}
	if _, err := one.Assocs(); !errors.Is(err, ErrInvalid) {
		t.Errorf("Assocs on one-to-one: %v", err)
	}
	e, _ := manyFixture(t, 1)
	for _, to := range []netip.AddrPort{{}, netip.MustParseAddrPort("0.0.0.0:5"), netip.MustParseAddrPort("[ff02::1]:5"),
		netip.MustParseAddrPort("198.18.0.1:0")} {
		if err := e.SendMsg(ctx, to, SndInfo{}, []byte("x")); !errors.Is(err, ErrInvalid) {
			t.Errorf("SendMsg to %v: %v", to, err)
		}
	}
	to := netip.MustParseAddrPort("198.18.0.1:5")
	if err := e.SendMsg(ctx, to, SndInfo{}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("SendMsg of nothing: %v", err)
	}
	if err := e.SendMsg(ctx, to, SndInfo{}, make([]byte, maxMessage+1)); !errors.Is(err, ErrInvalid) {
		t.Errorf("SendMsg too large: %v", err)
	}
	if err := e.SendMsg(ctx, to, SndInfo{EOF: true}, []byte("x")); !errors.Is(err, ErrInvalid) {
		t.Errorf("implicit SendMsg with EOF: %v", err)
	}
	if err := e.SendMsg(ctx, to, SndInfo{AssocID: 999}, []byte("x")); !errors.Is(err, ErrInvalid) {
		t.Errorf("SendMsg to an unknown id: %v", err)
	}
	if _, err := e.PeelOff(999); !errors.Is(err, ErrInvalid) {
		t.Errorf("PeelOff of an unknown id: %v", err)
	}
	close(e.done)
	if err := e.SendMsg(ctx, to, SndInfo{}, []byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("SendMsg after Close: %v", err)
	}
	if _, err := e.PeelOff(1); !errors.Is(err, ErrClosed) {
		t.Errorf("PeelOff after Close: %v", err)
	}
}

// TestCheckAddrs: bindx arguments.
func TestCheckAddrs(t *testing.T) {
	a := netip.MustParseAddr("198.18.0.1")
	for _, bad := range [][]netip.Addr{nil, {{}}, {netip.IPv4Unspecified()}, {netip.IPv6Unspecified()},
		{netip.MustParseAddr("224.0.0.1")}, {a, a}, {a, netip.MustParseAddr("::ffff:198.18.0.1")}} {
		if _, err := checkAddrs(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("checkAddrs(%v): %v, want ErrInvalid", bad, err)
		}
	}
	got, err := checkAddrs([]netip.Addr{netip.MustParseAddr("::ffff:198.18.0.1"), netip.MustParseAddr("2001:2::1")})
	if err != nil || got[0] != a {
		t.Errorf("checkAddrs unmaps: %v %v", got, err)
	}
}

// TestReadyQueueAllocs: what the poller does per batch of received messages
// for a one-to-many endpoint (readyMany) and per packet (source) allocates
// nothing; nor does the reader's round.
func TestReadyQueueAllocs(t *testing.T) {
	e, as := manyFixture(t, 2)
	a := as[0]
	pe := &portEngine{src: sourcesOf([]netip.Addr{netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("2001:2::1")})}
	dst4, dst6 := netip.MustParseAddr("198.18.0.2"), netip.MustParseAddr("2001:2::2")
	if s4, s6 := pe.sources(dst4), pe.sources(dst6); len(s4) != 1 || s4[0] != netip.MustParseAddr("198.18.0.1") ||
		len(s6) != 1 || s6[0] != netip.MustParseAddr("2001:2::1") {
		t.Fatalf("sources %v", pe.src)
	}
	var sink []netip.Addr
	allocs := testing.AllocsPerRun(1000, func() {
		a.readyMany()
		e.many.rmu.Lock()
		b := e.many.pop()
		e.many.requeue(b) // nothing in its ring: the flag goes down
		e.many.rmu.Unlock()
		sink = pe.sources(dst6)
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per round", allocs)
	}
	if a.ext.queued.Load() || !e.many.ready.Empty() {
		t.Error("the flag or the queue stayed set")
	}
	_ = sink
}

package xdp_test

import (
	"errors"
	"testing"

	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
	"github.com/sctp-xdp/sctp-xdp/xdp"
)

// TestOwnershipRefused: frames the caller does not hold are refused
// (ErrNotOwned, counted) and change nothing; frames that do not fit in a
// full fill ring go back to the allocator; the counts always add up.
func TestOwnershipRefused(t *testing.T) {
	testbed.RequirePriv(t)
	a, b := testbed.NewNetns(t), testbed.NewNetns(t)
	ours, _ := testbed.NewVeth(t, a, b, testbed.VethConfig{})
	// veth has no zero-copy: asked for explicitly, that is an error.
	if _, err := xdp.NewSocket(xdp.Options{Ifindex: ours.Index, NetNS: a.Path(), Bind: xdp.BindZeroCopy}); !errors.Is(err, xdp.ErrZeroCopyUnsupported) {
		t.Errorf("zero-copy bind on veth: %v", err)
	}
	s, err := xdp.NewSocket(xdp.Options{Ifindex: ours.Index, NetNS: a.Path(), Frames: 256, FillSize: 64, TXSize: 16, Bind: xdp.BindCopy})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check := func(want xdp.FrameCounts) {
		t.Helper()
		if got := s.FrameCounts(); got != want {
			t.Fatalf("frames %+v, want %+v", got, want)
		}
	}
	check(xdp.FrameCounts{Free: 256})
	if n := s.Fill(1000); n != 64 {
		t.Fatalf("Fill = %d, want the ring's 64", n)
	}
	check(xdp.FrameCounts{Free: 192, Fill: 64})
	var held []xdp.Desc
	for range 40 {
		d, ok := s.Alloc()
		if !ok {
			t.Fatal("Alloc")
		}
		held = append(held, d)
	}
	check(xdp.FrameCounts{Free: 152, Held: 40, Fill: 64})
	// The fill ring is full: refilled frames go to the allocator.
	if err := s.Refill(held[:10]); err != nil {
		t.Fatal(err)
	}
	check(xdp.FrameCounts{Free: 162, Held: 30, Fill: 64})
	// Frames not held: already given back, outside the UMEM.
	bad := []xdp.Desc{held[0], {Addr: 1 << 40, Len: 60}}
	if err := s.Refill(bad); !errors.Is(err, xdp.ErrNotOwned) {
		t.Errorf("Refill of frames not held: %v", err)
	}
	if err := s.Free(bad); !errors.Is(err, xdp.ErrNotOwned) {
		t.Errorf("Free of frames not held: %v", err)
	}
	if n, err := s.Transmit(bad); n != 0 || !errors.Is(err, xdp.ErrNotOwned) {
		t.Errorf("Transmit of frames not held = %d, %v", n, err)
	}
	// A length running past the frame is refused too, and so is an empty
	// descriptor (the kernel would never complete it).
	long := held[10]
	long.Addr += 100
	long.Len = uint32(s.FrameSize())
	if n, err := s.Transmit([]xdp.Desc{long}); n != 0 || !errors.Is(err, xdp.ErrBadLength) {
		t.Errorf("Transmit past the frame's end = %d, %v", n, err)
	}
	empty := held[10]
	empty.Len = 0
	if n, err := s.Transmit([]xdp.Desc{empty}); n != 0 || !errors.Is(err, xdp.ErrBadLength) {
		t.Errorf("Transmit of an empty descriptor = %d, %v", n, err)
	}
	if s.Data(long) != nil {
		t.Error("Data of a descriptor past the frame's end")
	}
	check(xdp.FrameCounts{Free: 162, Held: 30, Fill: 64})
	if c := s.Counters(); c.OwnershipErrors != 5 { // Transmit stops at the first refusal
		t.Errorf("ownership errors %d, want 5", c.OwnershipErrors)
	}
	// The TX ring (16) takes what fits; the rest stays the caller's.
	for i := range held[10:] {
		held[10+i].Len = 60
	}
	n, err := s.Transmit(held[10:])
	if err != nil || n != 16 {
		t.Fatalf("Transmit of 30 into a 16-entry ring = %d, %v", n, err)
	}
	if err := s.Free(held[10+n:]); err != nil {
		t.Fatal(err)
	}
	waitCompleted(t, s, n)
	check(xdp.FrameCounts{Free: 192, Fill: 64})
}

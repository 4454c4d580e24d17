package xdp

import (
	"errors"
	"testing"
)

func checkCounts(t *testing.T, u *umem) {
	t.Helper()
	c := u.frameCounts()
	if c.Free+c.Held+c.Fill+c.TX != len(u.state) || c.Free != len(u.free) {
		t.Fatalf("counts %+v, %d frames, %d on the free stack", c, len(u.state), len(u.free))
	}
	var by [4]int
	for _, s := range u.state {
		by[s]++
	}
	if by != [4]int{c.Free, c.Held, c.Fill, c.TX} {
		t.Fatalf("states %v, counts %+v", by, c)
	}
}

func TestUMEMOwnership(t *testing.T) {
	u, err := newUMEM(8, 2048)
	if err != nil {
		t.Fatal(err)
	}
	defer u.close()
	checkCounts(t, u)
	var held []uint64
	for {
		a, ok := u.pop(frameHeld)
		if !ok {
			break
		}
		held = append(held, a)
	}
	if len(held) != 8 || held[0] != 0 || held[1] != 2048 {
		t.Fatalf("popped %v", held)
	}
	checkCounts(t, u)
	if !u.move(held[0], frameHeld, frameTX) || u.move(held[0], frameHeld, frameTX) {
		t.Fatal("move Held->TX twice")
	}
	if u.push(held[0], frameHeld) {
		t.Fatal("pushed a TX frame as held")
	}
	if !u.push(held[0]+100, frameTX) { // an address inside the frame names it
		t.Fatal("push from TX refused")
	}
	if u.push(held[0], frameTX) || u.push(1<<40, frameHeld) || u.move(8*2048, frameHeld, frameFree) {
		t.Fatal("double free or out-of-range address accepted")
	}
	checkCounts(t, u)
	for _, a := range held[1:] {
		if !u.push(a, frameHeld) {
			t.Fatal("push refused")
		}
	}
	checkCounts(t, u)
	if u.frameCounts().Free != 8 {
		t.Fatalf("counts %+v", u.frameCounts())
	}
}

func TestNewUMEMRejects(t *testing.T) {
	for _, c := range []struct{ frames, size int }{{0, 2048}, {8, 1000}, {8, 1024}, {8, 3000}, {-1, 4096}, {8, 1 << 17}} {
		if _, err := newUMEM(c.frames, c.size); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("newUMEM(%d, %d) = %v", c.frames, c.size, err)
		}
	}
}

func TestOptionsRejected(t *testing.T) {
	for _, o := range []Options{
		{},                            // no interface
		{Ifindex: 1, Queue: -1},       // bad queue
		{Ifindex: 1, RXSize: 1000},    // not a power of two
		{Ifindex: 1, TXSize: 1 << 21}, // too big
		{Ifindex: 1, FrameSize: 3000}, // not a power of two
	} {
		if _, err := NewSocket(o); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("NewSocket(%+v) = %v", o, err)
		}
	}
}

// A closed socket answers every call without touching unmapped memory.
func TestClosedSocket(t *testing.T) {
	s := &Socket{fd: -1}
	s.Close()
	d := []Desc{{Addr: 0, Len: 10}}
	if s.Receive(d) != 0 || s.Fill(1) != 0 || s.Complete() != 0 || s.Data(d[0]) != nil {
		t.Error("closed socket did something")
	}
	if _, ok := s.Alloc(); ok {
		t.Error("Alloc on a closed socket")
	}
	for _, err := range []error{s.Refill(d), s.Free(d), s.Kick()} {
		if !errors.Is(err, ErrSocketClosed) {
			t.Errorf("got %v", err)
		}
	}
	if _, err := s.Transmit(d); !errors.Is(err, ErrSocketClosed) {
		t.Errorf("Transmit: %v", err)
	}
	if _, err := s.Poll(0); !errors.Is(err, ErrSocketClosed) {
		t.Errorf("Poll: %v", err)
	}
}

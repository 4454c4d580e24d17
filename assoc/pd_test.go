package assoc

import (
	"bytes"
	"net/netip"
	"testing"
)

// Partial delivery (RFC 6458 8.1.21): messages far larger than the
// receiver's window arrive in pieces, interleaved with nothing else, and
// the receiver never holds more than about its window.
func TestPartialDelivery(t *testing.T) {
	p := newPair(t, 90)
	cb := testConfig(portB, 91)
	cb.ARwnd = 4000
	eb, err := NewEndpoint(cb, testKeys("key-b"), 0)
	if err != nil {
		t.Fatal(err)
	}
	p.b = eb
	a, err := p.a.Connect(0, []netip.Addr{addrB}, portB)
	if err != nil {
		t.Fatal(err)
	}
	p.flush()
	b := p.b.Assocs()[0]
	msgs := [][]byte{msg(1, 64<<10), msg(2, 10), msg(3, 20000)}
	for i, m := range msgs {
		fl := SendFlags(0)
		if i == 1 {
			fl = SendUnordered
		}
		if err := a.Send(p.now, uint16(i%2), uint32(i), fl, m); err != nil {
			t.Fatal(err)
		}
	}
	var got [][]byte
	var cur []byte
	buf := make([]byte, 700)
	maxHeld := 0
	for round := 0; round < 2000 && len(got) < len(msgs); round++ {
		p.run(p.now + 300e6)
		maxHeld = max(maxHeld, b.rq.pendBytes+b.rq.readyBytes)
		for {
			n, info, ok := b.Recv(buf)
			if !ok {
				break
			}
			cur = append(cur, buf[:n]...)
			if info.EOR {
				got = append(got, cur)
				cur = nil
			}
		}
		p.now += 100e6
	}
	if len(got) != 3 {
		t.Fatalf("%d messages", len(got))
	}
	// The unordered small message may overtake; the ordered ones keep
	// their bytes.
	seen := 0
	for _, g := range got {
		for _, m := range msgs {
			if bytes.Equal(g, m) {
				seen++
			}
		}
	}
	if seen != 3 {
		t.Fatal("a message came back different")
	}
	if maxHeld > 2*4000+1500 {
		t.Fatalf("receiver held %d bytes with a 4000-byte window", maxHeld)
	}
}

// Receiver-side silly window avoidance (RFC 9260 6.2): once the window
// closed, reading a little does not announce it; reading enough (at least
// min(ARwnd/2, MTU)) sends a window update SACK at once.
func TestWindowUpdate(t *testing.T) {
	p := newPair(t, 92)
	cb := testConfig(portB, 93)
	cb.ARwnd = 3000
	eb, _ := NewEndpoint(cb, testKeys("key-b"), 0)
	p.b = eb
	a, _ := p.a.Connect(0, []netip.Addr{addrB}, portB)
	p.flush()
	b := eb.Assocs()[0]
	a.cfg.NoDelay = true
	for i := 0; i < 30; i++ {
		a.Send(p.now, 0, 0, 0, make([]byte, 100))
	}
	p.run(p.now + 5e9) // near a closed window a chunk or two per delayed SACK (peerChunkOverhead)
	if b.sk.lastAdv > 100 {
		t.Fatalf("window %d not closed", b.sk.lastAdv)
	}
	buf := make([]byte, 100)
	b.Recv(buf)
	if out := take(p.b); len(out) != 0 {
		t.Fatalf("window update after 100 bytes: %v", descAll(out))
	}
	for i := 0; i < 15; i++ {
		b.Recv(buf)
	}
	s, ok := sackOf(t, take(p.b))
	if !ok || s.ARwnd() < 1500 {
		t.Fatal("no window update")
	}
}

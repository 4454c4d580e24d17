package assoc

import (
	"net/netip"
	"slices"
	"testing"
)

func TestHandshake(t *testing.T) {
	p := newPair(t, 1)
	a, err := p.a.Connect(0, []netip.Addr{addrB}, portB)
	if err != nil {
		t.Fatal(err)
	}
	p.run(10e9)
	if a.State() != Established {
		t.Fatalf("A in %v; trace %v", a.State(), p.trace)
	}
	if len(p.b.Assocs()) != 1 || p.b.Assocs()[0].State() != Established {
		t.Fatalf("B has no established association; trace %v", p.trace)
	}
	want := []string{"INIT", "INIT ACK", "COOKIE ECHO", "COOKIE ACK"}
	if !slices.Equal(p.trace, want) {
		t.Fatalf("trace %v, want %v", p.trace, want)
	}
	if ev := p.events(p.a); !slices.Equal(ev, []EventType{EventCommUp}) {
		t.Fatalf("A events %v", ev)
	}
	if ev := p.events(p.b); !slices.Equal(ev, []EventType{EventCommUp}) {
		t.Fatalf("B events %v", ev)
	}
	b := p.b.Assocs()[0]
	if a.PeerTag() != b.LocalTag() || b.PeerTag() != a.LocalTag() {
		t.Fatal("tags do not cross")
	}
}

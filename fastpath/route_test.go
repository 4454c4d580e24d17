package fastpath

import (
	"net/netip"
	"testing"
)

func TestSharedTable(t *testing.T) {
	tab := NewSharedTable()
	var keys []TupleKey
	for i := 0; i < 1000; i++ {
		a := netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)})
		k := TupleKey{Peer: a, LocalPort: 5000, PeerPort: uint16(i)}
		keys = append(keys, k)
		tab.Set(k, i%7)
	}
	if tab.Len() != 1000 {
		t.Fatalf("Len %d", tab.Len())
	}
	for i, k := range keys {
		if o, ok := tab.Lookup(k); !ok || o != i%7 {
			t.Fatalf("Lookup(%v) = %d, %v", k, o, ok)
		}
	}
	tab.Set(keys[3], -1)
	if _, ok := tab.Lookup(keys[3]); ok || tab.Len() != 999 {
		t.Errorf("removed key still found (Len %d)", tab.Len())
	}
	if _, ok := tab.Lookup(TupleKey{Peer: netip.MustParseAddr("2001:2::1"), LocalPort: 1, PeerPort: 2}); ok {
		t.Error("unknown key found")
	}
	if n := testing.AllocsPerRun(100, func() { tab.Lookup(keys[10]) }); n != 0 {
		t.Errorf("Lookup allocates %.0f", n)
	}
}

func TestOwnerBits(t *testing.T) {
	for n, want := range map[int]int{1: 0, 2: 1, 3: 2, 4: 2, 5: 3, 256: 8} {
		if got := OwnerBits(n); got != want {
			t.Errorf("OwnerBits(%d) = %d, want %d", n, got, want)
		}
	}
	if OwnerOf(0xabcdef05, 3) != 5 {
		t.Error("OwnerOf")
	}
}

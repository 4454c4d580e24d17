package xdp

import (
	"net/netip"
	"sync"
	"testing"
)

func addrN(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)})
}

func TestDestTable(t *testing.T) {
	tb := newDestTable(64)
	if len(tb.slots) != 64 {
		t.Fatalf("%d slots", len(tb.slots))
	}
	// Fill with more than it holds: every lookup is a hit or a clean miss,
	// never another destination's entry, and the newest entries are there.
	for i := 0; i < 1000; i++ {
		tb.insert(&destEntry{dst: addrN(i), gen: 1, mtu: i}, 1)
		if e := tb.find(addrN(i)); e == nil || e.mtu != i {
			t.Fatalf("just inserted %v: %+v", addrN(i), e)
		}
	}
	hits := 0
	for i := 0; i < 1000; i++ {
		if e := tb.find(addrN(i)); e != nil {
			if e.dst != addrN(i) || e.mtu != i {
				t.Fatalf("find %v returned %+v", addrN(i), e)
			}
			hits++
		}
	}
	if hits > 64 || hits < 32 {
		t.Errorf("%d entries survive in a 64-slot table", hits)
	}
	// Replacing keeps one entry per destination.
	tb.clear()
	tb.insert(&destEntry{dst: addrN(1), gen: 1, mtu: 1}, 1)
	tb.insert(&destEntry{dst: addrN(1), gen: 2, mtu: 2}, 2)
	n := 0
	for i := range tb.slots {
		if tb.slots[i].Load() != nil {
			n++
		}
	}
	if e := tb.find(addrN(1)); n != 1 || e.mtu != 2 {
		t.Errorf("%d entries, found %+v", n, e)
	}
}

func TestDestTableConcurrentReaders(t *testing.T) {
	tb := newDestTable(256)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if e := tb.find(addrN(i % 512)); e != nil && e.dst != addrN(i%512) {
					t.Errorf("wrong entry for %v", addrN(i%512))
					return
				}
			}
		}()
	}
	for i := 0; i < 20000; i++ {
		tb.insert(&destEntry{dst: addrN(i % 512), gen: uint64(i)}, uint64(i))
	}
	close(stop)
	wg.Wait()
}

func TestDestTableFindAllocs(t *testing.T) {
	tb := newDestTable(16)
	tb.insert(&destEntry{dst: addrN(7)}, 0)
	if a := testing.AllocsPerRun(1000, func() { tb.find(addrN(7)) }); a != 0 {
		t.Errorf("%v allocations per find", a)
	}
}

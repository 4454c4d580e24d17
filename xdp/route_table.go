package xdp

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"sync/atomic"
)

// destEntry is the resolved path to one destination: immutable once
// published, except for the neighbour record it points to.
type destEntry struct {
	dst   netip.Addr
	gen   uint64 // the RouteCache generation the route was looked up in
	src   netip.Addr
	gw    netip.Addr // invalid when the destination is on-link
	mtu   int
	neigh *neighRecord
}

// destWays is the associativity of destTable: a lookup reads at most this
// many pointers, and four colliding destinations share a set before one is
// evicted.
const destWays = 4

// destTable is a fixed-size, set-associative cache of destEntry pointers.
// Readers load slots atomically and never lock; writers (RouteCache.mu
// holders) replace whole entries. It is a cache, not a map: an evicted or
// outdated entry is only a miss, so memory stays bounded whatever addresses
// the traffic names.
type destTable struct {
	slots  []atomic.Pointer[destEntry]
	mask   uint64 // number of sets - 1
	seed   uint64 // keeps set placement unpredictable from outside
	victim uint64 // round-robin eviction, under RouteCache.mu
}

func newDestTable(entries int) *destTable {
	sets := 1
	for sets*destWays < entries {
		sets <<= 1
	}
	return &destTable{
		slots: make([]atomic.Pointer[destEntry], sets*destWays),
		mask:  uint64(sets - 1),
		seed:  rand.Uint64() | 1,
	}
}

func (t *destTable) set(a netip.Addr) []atomic.Pointer[destEntry] {
	b := a.As16()
	hi := binary.LittleEndian.Uint64(b[:8])
	lo := binary.LittleEndian.Uint64(b[8:])
	h, l := bits.Mul64(hi^t.seed, lo^0x9e3779b97f4a7c15)
	i := ((h ^ l) & t.mask) * destWays
	return t.slots[i : i+destWays : i+destWays]
}

// find returns the entry for dst, whatever its generation, or nil.
func (t *destTable) find(dst netip.Addr) *destEntry {
	s := t.set(dst)
	for i := range s {
		if e := s[i].Load(); e != nil && e.dst == dst {
			return e
		}
	}
	return nil
}

// insert publishes e, replacing the entry of the same destination, else a
// free or outdated slot, else a round-robin victim. Callers hold
// RouteCache.mu.
func (t *destTable) insert(e *destEntry, gen uint64) {
	s := t.set(e.dst)
	free := -1
	for i := range s {
		old := s[i].Load()
		if old != nil && old.dst == e.dst {
			s[i].Store(e)
			return
		}
		if free < 0 && (old == nil || old.gen != gen) {
			free = i
		}
	}
	if free < 0 {
		free = int(t.victim % destWays)
		t.victim++
	}
	s[free].Store(e)
}

// clear drops every entry (Close, and tests).
func (t *destTable) clear() {
	for i := range t.slots {
		t.slots[i].Store(nil)
	}
}

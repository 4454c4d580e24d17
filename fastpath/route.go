package fastpath

import (
	"math/bits"
	"net/netip"
	"sync"
	"sync/atomic"
)

// MaxPollers bounds the pollers of a runtime: their index lives in the low
// bits of our Initiate Tags, and at least 24 of the 32 bits stay random
// (design.md section 3).
const MaxPollers = 256

// OwnerBits is how many low bits of a verification tag name the owner among
// n pollers.
func OwnerBits(n int) int {
	if n <= 1 {
		return 0
	}
	return bits.Len(uint(n - 1))
}

// OwnerOf is the poller a verification tag of ours belongs to, given the
// owner bits. A tag that is not ours may name a poller that does not exist;
// callers treat that as "no association".
func OwnerOf(vtag uint32, ownerBits int) int { return int(vtag & (1<<ownerBits - 1)) }

// TupleKey names an association by what a packet without a usable tag
// still carries: a peer address and both ports.
type TupleKey struct {
	Peer      netip.Addr
	LocalPort uint16
	PeerPort  uint16
}

// SharedTable routes packets that carry no usable tag of ours (INIT ACK's
// reflected tag, T-bit ABORT and SHUTDOWN COMPLETE, ICMP errors quoting our
// packets, which carry the peer's tag) to the poller owning the association.
// It is read-mostly: readers load an immutable map; the writer (the slow
// path, under mu) publishes a copy before the association's first packet
// leaves.
type SharedTable struct {
	m  atomic.Pointer[map[TupleKey]int]
	mu sync.Mutex
}

// NewSharedTable returns an empty table.
func NewSharedTable() *SharedTable {
	t := &SharedTable{}
	m := map[TupleKey]int{}
	t.m.Store(&m)
	return t
}

// Lookup returns the owner of k.
func (t *SharedTable) Lookup(k TupleKey) (owner int, ok bool) {
	owner, ok = (*t.m.Load())[k]
	return
}

// Set publishes k → owner; Set with owner < 0 removes k.
func (t *SharedTable) Set(k TupleKey, owner int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := *t.m.Load()
	m := make(map[TupleKey]int, len(old)+1)
	for key, v := range old {
		m[key] = v
	}
	if owner < 0 {
		delete(m, k)
	} else {
		m[k] = owner
	}
	t.m.Store(&m)
}

// Len is the number of entries.
func (t *SharedTable) Len() int { return len(*t.m.Load()) }

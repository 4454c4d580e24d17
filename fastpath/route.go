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
// It is read-mostly: readers load an immutable map per shard without a lock;
// the writer (the slow path) publishes a new copy of one shard, under mu,
// before the association's first packet leaves. Sharding keeps a change at
// O(n / shards) with many associations.
type SharedTable struct {
	shards [sharedShards]atomic.Pointer[map[TupleKey]int]
	mu     sync.Mutex
}

const sharedShards = 64

// NewSharedTable returns an empty table.
func NewSharedTable() *SharedTable {
	t := &SharedTable{}
	for i := range t.shards {
		m := map[TupleKey]int{}
		t.shards[i].Store(&m)
	}
	return t
}

// shard picks k's shard from the peer's address and ports (FNV-1a).
func shard(k TupleKey) int {
	a := k.Peer.As16()
	h := uint32(2166136261)
	for _, b := range a[8:] {
		h = (h ^ uint32(b)) * 16777619
	}
	h = (h ^ uint32(k.PeerPort)) * 16777619
	h = (h ^ uint32(k.LocalPort)) * 16777619
	return int(h % sharedShards)
}

// Lookup returns the owner of k.
func (t *SharedTable) Lookup(k TupleKey) (owner int, ok bool) {
	owner, ok = (*t.shards[shard(k)].Load())[k]
	return
}

// Set publishes k → owner; Set with owner < 0 removes k.
func (t *SharedTable) Set(k TupleKey, owner int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sh := &t.shards[shard(k)]
	old := *sh.Load()
	m := make(map[TupleKey]int, len(old)+1)
	for key, v := range old {
		m[key] = v
	}
	if owner < 0 {
		delete(m, k)
	} else {
		m[k] = owner
	}
	sh.Store(&m)
}

// Len is the number of entries.
func (t *SharedTable) Len() int {
	n := 0
	for i := range t.shards {
		n += len(*t.shards[i].Load())
	}
	return n
}

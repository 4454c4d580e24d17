package assoc

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// RFC 1982 serial arithmetic across the 2^32 wrap.
func TestSerialArithmetic(t *testing.T) {
	if !seqLT(0xFFFFFFFF, 0) || !seqGT(1, 0xFFFFFFF0) || !seqLE(5, 5) || !seqLT(1, 0x80000000) || seqLT(0x80000000, 1) {
		t.Fatal("serial comparison")
	}
}

// The TSN map across the wrap: cumulative TSN, gap blocks, duplicates,
// and TSNs beyond its window.
func TestTSNMap(t *testing.T) {
	var m tsnMap
	m.reset(0xFFFFFFFD)
	for _, x := range []uint32{0xFFFFFFFF, 1, 2, 5} {
		if m.classify(x) != tsnNew {
			t.Fatalf("%x not new", x)
		}
		m.mark(x)
	}
	if m.classify(1) != tsnDup || m.classify(0xFFFFFFFD) != tsnDup || m.classify(m.cum+tsnWindow) != tsnFar {
		t.Fatal("classification")
	}
	got := m.gaps(nil, 10)
	want := []wire.GapBlock{{Start: 2, End: 2}, {Start: 4, End: 5}, {Start: 8, End: 8}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("gaps %v, want %v", got, want)
	}
	if g := m.gaps(nil, 2); len(g) != 2 {
		t.Fatalf("max gaps: %v", g)
	}
	m.mark(0xFFFFFFFE)
	m.mark(0)
	if m.cum != 2 || !m.hasGaps() {
		t.Fatalf("cum %x", m.cum)
	}
	m.mark(3)
	m.mark(4)
	if m.cum != 5 || m.hasGaps() {
		t.Fatalf("cum %x highest %x", m.cum, m.highest)
	}
	// A long run across whole empty bitmap words.
	m.mark(5 + 300)
	if g := m.gaps(nil, 4); len(g) != 1 || g[0] != (wire.GapBlock{Start: 300, End: 300}) {
		t.Fatalf("%v", g)
	}
}

type constRand uint32

func (c constRand) Uint32() uint32 { return uint32(c) }

// Data transfer with both initial TSNs just below 2^32 and losses: TSNs
// wrap during the transfer, on both sides.
func TestDataAcrossTSNWrap(t *testing.T) {
	ca, cb := testConfig(portA, 1), testConfig(portB, 2)
	ca.Rand, cb.Rand = constRand(0xFFFFFFF0), constRand(0xFFFFFFE0)
	ea, _ := NewEndpoint(ca, testKeys("a"), 0)
	eb, _ := NewEndpoint(cb, testKeys("b"), 0)
	p := &pair{t: t, a: ea, b: eb}
	a, err := ea.Connect(0, []netip.Addr{addrB}, portB)
	if err != nil {
		t.Fatal(err)
	}
	p.flush()
	b := eb.Assocs()[0]
	n := 0
	p.drop = func(from *Endpoint, pkt []byte) bool {
		if strings.Contains(describe(pkt), "DATA") {
			n++
			return n%5 == 0
		}
		return false
	}
	for i := 0; i < 100; i++ {
		if err := a.Send(p.now, uint16(i%3), uint32(i), 0, msg(i, 700)); err != nil {
			t.Fatal(err)
		}
		if err := b.Send(p.now, 0, uint32(i), SendUnordered, msg(i, 300)); err != nil {
			t.Fatal(err)
		}
	}
	p.run(p.now + 600e9)
	gb, ib := recvAll(b)
	ga, _ := recvAll(a)
	if len(gb) != 100 || len(ga) != 100 {
		t.Fatalf("delivered %d and %d", len(gb), len(ga))
	}
	for k, info := range ib {
		if !bytes.Equal(gb[k], msg(int(info.PPID), 700)) {
			t.Fatal("content")
		}
	}
	if a.localTSN > 0x1000 || b.localTSN > 0x1000 || a.Stats.RtxChunks == 0 {
		t.Fatalf("TSNs %x %x did not wrap, rtx %d", a.localTSN, b.localTSN, a.Stats.RtxChunks)
	}
}

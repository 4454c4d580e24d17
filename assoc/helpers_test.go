package assoc

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

var (
	addrA = netip.MustParseAddr("198.18.0.1")
	addrB = netip.MustParseAddr("198.18.0.2")
)

const portA, portB = 5000, 6000

// testConfig: periodic heartbeats off, so the single-homed tests see only
// the timers they test (multihome_test.go turns them on).
func testConfig(port uint16, seed uint64) Config {
	return Config{LocalPort: port, Rand: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), DisableHeartbeats: true}
}

// pair is two endpoints wired back to back, with a virtual clock.
type pair struct {
	t        testing.TB
	now      int64
	a, b     *Endpoint
	trace    []string
	drop     func(from *Endpoint, pkt []byte) bool
	captured [][]byte // every packet, in order
}

func newPair(t testing.TB, seed uint64) *pair {
	ea, err := NewEndpoint(testConfig(portA, seed), testKeys("key-a"), 0)
	if err != nil {
		t.Fatal(err)
	}
	eb, err := NewEndpoint(testConfig(portB, seed+1), testKeys("key-b"), 0)
	if err != nil {
		t.Fatal(err)
	}
	return &pair{t: t, a: ea, b: eb}
}

func (p *pair) other(e *Endpoint) (*Endpoint, netip.Addr, netip.Addr) {
	if e == p.a {
		return p.b, addrA, addrB
	}
	return p.a, addrB, addrA
}

// flush moves every queued packet to the other side, repeatedly, without
// advancing the clock. It returns how many packets moved.
func (p *pair) flush() int {
	n := 0
	for moved := true; moved; {
		moved = false
		for _, e := range []*Endpoint{p.a, p.b} {
			for {
				pkt, _, ok := e.NextPacket(p.now, nil)
				if !ok {
					break
				}
				moved = true
				n++
				p.captured = append(p.captured, pkt)
				p.trace = append(p.trace, describe(pkt))
				if p.drop != nil && p.drop(e, pkt) {
					continue
				}
				to, src, dst := p.other(e)
				to.Receive(p.now, PacketInfo{Src: src, Dst: dst, Size: len(pkt) + 20}, pkt)
			}
		}
	}
	return n
}

// run flushes and fires timers until nothing is pending or limit passes.
func (p *pair) run(limit int64) {
	for {
		p.flush()
		d := p.a.Deadline()
		if db := p.b.Deadline(); db != 0 && (d == 0 || db < d) {
			d = db
		}
		if d == 0 || d > limit {
			return
		}
		p.now = max(p.now, d)
		p.a.HandleTimeout(p.now)
		p.b.HandleTimeout(p.now)
	}
}

func (p *pair) events(e *Endpoint) []EventType {
	var out []EventType
	for {
		_, ev, ok := e.NextEvent()
		if !ok {
			return out
		}
		out = append(out, ev.Type)
	}
}

func describe(pkt []byte) string {
	s, err := wire.ParseSCTP(pkt)
	if err != nil {
		return "malformed: " + err.Error()
	}
	out := ""
	for it := s.Chunks(); ; {
		c, ok := it.Next()
		if !ok {
			break
		}
		if out != "" {
			out += ","
		}
		out += c.Type().String()
	}
	return out
}

// established returns a pair with A and B in ESTABLISHED and no output pending.
func establishedPair(t testing.TB, seed uint64) (*pair, *Assoc, *Assoc) {
	t.Helper()
	p := newPair(t, seed)
	a, err := p.a.Connect(0, []netip.Addr{addrB}, portB)
	if err != nil {
		t.Fatal(err)
	}
	p.flush()
	if a.State() != Established || len(p.b.Assocs()) != 1 {
		t.Fatalf("handshake failed: %v", p.trace)
	}
	p.events(p.a)
	p.events(p.b)
	p.trace = nil
	return p, a, p.b.Assocs()[0]
}

// take pops every packet e has queued, without delivering them.
func take(e *Endpoint) [][]byte {
	var out [][]byte
	for {
		pkt, _, ok := e.NextPacket(0, nil)
		if !ok {
			return out
		}
		out = append(out, pkt)
	}
}

// dataChunks lists the DATA chunks in pkts, in order.
func dataChunks(t testing.TB, pkts [][]byte) []wire.DataChunk {
	var out []wire.DataChunk
	for _, pkt := range pkts {
		it := mustParse(t, pkt).Chunks()
		for c, ok := it.Next(); ok; c, ok = it.Next() {
			if c.Type() == wire.ChunkData {
				out = append(out, wire.DataChunk(c))
			}
		}
	}
	return out
}

// build makes a packet with the given header and chunks.
func build(sport, dport uint16, vtag uint32, chunks func(w *wire.Builder)) []byte {
	var w wire.Builder
	w.Start(nil, sport, dport, vtag)
	chunks(&w)
	b, _ := w.Finish()
	return b
}

func descAll(pkts [][]byte) []string {
	var s []string
	for _, p := range pkts {
		s = append(s, describe(p))
	}
	return s
}

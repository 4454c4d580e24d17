package assoc

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// scriptRand returns its script first, then a seeded stream.
type scriptRand struct {
	script []uint32
	rest   *rand.Rand
}

func (r *scriptRand) Uint32() uint32 {
	if len(r.script) > 0 {
		v := r.script[0]
		r.script = r.script[1:]
		return v
	}
	return r.rest.Uint32()
}

// RFC 9260 5.3.1, design.md 3: tags route packets, so an Initiate Tag in
// use by a live association is redrawn (Connect, INIT ACK), and a cookie
// whose tag a live association took since its INIT ACK is dropped.
func TestTagCollision(t *testing.T) {
	const X, Y, Z = 0x11110000, 0x22220000, 0x33330000
	peerC := netip.MustParseAddr("198.18.0.3")
	newB := func(script ...uint32) (*Endpoint, *scriptRand) {
		r := &scriptRand{script: script, rest: rand.New(rand.NewPCG(1, 2))}
		e, err := NewEndpoint(Config{LocalPort: portB, Rand: r}, testKeys("key-b"), 0)
		if err != nil {
			t.Fatal(err)
		}
		return e, r
	}
	t.Run("Connect", func(t *testing.T) {
		e, _ := newB(X, 1, X, Y, 2)
		a1, _ := e.Connect(0, []netip.Addr{addrA}, portA)
		a2, _ := e.Connect(0, []netip.Addr{peerC}, portA)
		if a1.LocalTag() != X || a2.LocalTag() != Y || e.LookupTag(X) != a1 || e.LookupTag(Y) != a2 {
			t.Fatalf("tags %08x %08x", a1.LocalTag(), a2.LocalTag())
		}
	})
	t.Run("INIT ACK", func(t *testing.T) {
		e, _ := newB(X, 1, X, Z, 3)
		e.Connect(0, []netip.Addr{peerC}, portA)
		take(e)
		e.Receive(0, PacketInfo{Src: addrA, Dst: addrB}, initPacket(0xAAAA0001, nil))
		out := take(e)
		if len(out) != 1 || describe(out[0]) != "INIT ACK" {
			t.Fatalf("%v", descAll(out))
		}
		if tag := wire.InitChunk(chunkOf(t, out[0], 0)).InitiateTag(); tag != Z {
			t.Fatalf("INIT ACK tag %08x, want %08x", tag, uint32(Z))
		}
	})
	t.Run("COOKIE ECHO", func(t *testing.T) {
		e, r := newB(X, 1) // the INIT ACK's tag and TSN
		e.Receive(0, PacketInfo{Src: addrA, Dst: addrB}, initPacket(0xAAAA0001, nil))
		out := take(e)
		if len(out) != 1 || describe(out[0]) != "INIT ACK" {
			t.Fatalf("%v", descAll(out))
		}
		r.script = []uint32{X, 2} // X is free again: Connect takes it
		c, _ := e.Connect(0, []netip.Addr{peerC}, portA+1)
		take(e)
		if c.LocalTag() != X {
			t.Fatalf("tag %08x", c.LocalTag())
		}
		var o wire.InitOptions
		wire.InitChunk(chunkOf(t, out[0], 0)).Options(&o)
		e.Receive(0, PacketInfo{Src: addrA, Dst: addrB}, cookieEchoPacket(X, o.StateCookie))
		if out := take(e); len(out) != 0 || len(e.Assocs()) != 1 || e.LookupTag(X) != c || c.State() != CookieWait {
			t.Fatalf("out %v, %d associations", descAll(out), len(e.Assocs()))
		}
		if e.Stats.CookiesRefused != 1 {
			t.Fatalf("%+v", e.Stats)
		}
	})
}

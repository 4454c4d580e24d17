package assoc

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/sctp-xdp/sctp-xdp/crc32c"
	"github.com/sctp-xdp/sctp-xdp/wire"
)

// Second addresses of the multi-homed fuzz pairs (network 1).
var (
	addrA2 = netip.MustParseAddr("198.18.2.1")
	addrB2 = netip.MustParseAddr("198.18.3.1")
)

// fuzzStart brings a pair to a start state through real engines and
// returns the packets exchanged on the way (the mutation pool). With bit
// 3 of which, both sides are multi-homed (two addresses each, announced in
// INIT / INIT ACK) and run heartbeats.
func fuzzStart(t *testing.T, which byte) (*pair, [][]byte) {
	p := newPair(t, uint64(which))
	if which&8 != 0 {
		for i, addrs := range [][]netip.Addr{{addrA, addrA2}, {addrB, addrB2}} {
			c := testConfig([]uint16{portA, portB}[i], uint64(which)+uint64(i))
			c.LocalAddrs, c.DisableHeartbeats, c.HBInterval = addrs, false, 2e9
			c.PathMaxRetrans = 2
			e, err := NewEndpoint(c, testKeys("key"), 0)
			if err != nil {
				t.Fatal(err)
			}
			*[]**Endpoint{&p.a, &p.b}[i] = e
		}
	}
	p.flush()
	switch which % 8 {
	case 0: // CLOSED: nothing yet, B listens
	case 1: // A in COOKIE-WAIT
		p.a.Connect(0, []netip.Addr{addrB}, portB)
		p.drop = func(*Endpoint, []byte) bool { return true }
		p.flush()
	case 2: // A in COOKIE-ECHOED
		p.a.Connect(0, []netip.Addr{addrB}, portB)
		p.drop = func(_ *Endpoint, pkt []byte) bool { return describe(pkt) == "COOKIE ECHO" }
		p.flush()
	case 3, 7: // ESTABLISHED
		p.a.Connect(0, []netip.Addr{addrB}, portB)
		p.flush()
	case 4: // A in SHUTDOWN-SENT
		a, _ := p.a.Connect(0, []netip.Addr{addrB}, portB)
		p.flush()
		a.Shutdown(0)
		p.drop = func(*Endpoint, []byte) bool { return true }
		p.flush()
	case 5: // B in SHUTDOWN-ACK-SENT
		a, _ := p.a.Connect(0, []netip.Addr{addrB}, portB)
		p.flush()
		a.Shutdown(0)
		p.drop = func(_ *Endpoint, pkt []byte) bool { return describe(pkt) == "SHUTDOWN ACK" }
		p.flush()
	case 6: // collision: both in COOKIE-WAIT, then crossing
		p.a.Connect(0, []netip.Addr{addrB}, portB)
		p.b.Connect(0, []netip.Addr{addrA}, portA)
		p.flush()
	}
	p.drop = nil
	// A few more real packets for the pool.
	pool := append([][]byte(nil), p.captured...)
	pool = append(pool,
		initPacket(0x01020304, func(w *wire.Builder) { w.ParamAddr(addrA); w.Param(0x7FF1, []byte{1}) }),
		build(portA, portB, 0, func(w *wire.Builder) { w.BeginAbort(true); w.CauseEmpty(wire.CauseOutOfResource); w.End() }),
		build(portB, portA, 0, func(w *wire.Builder) { w.ShutdownAck() }),
		build(portA, portB, 1, func(w *wire.Builder) { w.Data(3, 1, 0, 0, 0, []byte("x")); w.Heartbeat([]byte{1, 2, 3, 4}) }),
	)
	return p, pool
}

// FuzzEngine drives two engines with mutated real packets, user calls and
// timer expiries, checking invariants: no panic, valid states, no deadline
// left in the past after HandleTimeout, and every output packet parses with
// wire and carries a good CRC32c.
func FuzzEngine(f *testing.F) {
	for i := byte(0); i < 16; i++ {
		f.Add([]byte{i, 0, 3, 1, 6, 2, 50, 6, 0, 5, 0, 0, 7, 1})
		f.Add([]byte{i, 2, 10, 6, 3, 1, 6, 2, 200, 6})
		// Data: sends, crafted DATA and SACK, reads, time.
		f.Add([]byte{i, 8, 40, 1, 0, 6, 9, 0x88, 200, 0, 6, 0x89, 6, 10, 3, 2, 1, 5, 11, 4, 0, 1, 2, 3, 2, 20, 6, 9})
		f.Add([]byte{i, 8, 255, 255, 1, 8, 10, 0, 0, 6, 0x8a, 1, 0, 0, 1, 11, 0, 3, 1, 2, 3, 4, 2, 50, 6, 0x89})
		// Multi-homing: sends, a black hole, time, HEARTBEAT ACKs, path calls.
		f.Add([]byte{i, 6, 2, 10, 6, 8, 20, 0, 0, 0, 6, 12, 2, 2, 30, 6, 13, 0, 6, 2, 40, 6, 12, 0, 2, 50, 6, 14, 1, 1, 6, 14, 3, 0, 6, 2, 20, 6})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		p, pool := fuzzStart(t, data[0])
		data = data[1:]
		next := func() byte {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return b
		}
		check := func() {
			for _, e := range []*Endpoint{p.a, p.b} {
				for _, a := range e.Assocs() {
					if !a.State().Valid() {
						t.Fatalf("invalid state %d", a.State())
					}
					if err := a.checkInvariants(); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		var down [2]bool // black holes of networks 0 and 1, both ways
		net := func(dst netip.Addr) int {
			if dst == addrA2 || dst == addrB2 {
				return 1
			}
			return 0
		}
		deliverOn := func(toB bool, n int, pkt []byte) {
			srcs, dsts := [2]netip.Addr{addrB, addrB2}, [2]netip.Addr{addrA, addrA2}
			to := p.a
			if toB {
				srcs, dsts, to = dsts, srcs, p.b
			}
			to.Receive(p.now, PacketInfo{Src: srcs[n], Dst: dsts[n], Size: len(pkt)}, pkt)
		}
		deliver := func(toB bool, pkt []byte) { deliverOn(toB, 0, pkt) }
		var lastHB []byte // the last HEARTBEAT sent, for crafted ACKs
		drain := func(move bool) {
			for i := 0; i < 64; i++ {
				moved := false
				for _, e := range []*Endpoint{p.a, p.b} {
					pkt, dst, ok := e.NextPacket(p.now, nil)
					if !ok {
						continue
					}
					moved = true
					if _, err := wire.ParseSCTP(pkt); err != nil {
						t.Fatalf("output does not parse: %v: % x", err, pkt)
					}
					if !crc32c.Verify(pkt) {
						t.Fatal("output CRC32c wrong")
					}
					desc := describe(pkt)
					for _, a := range e.Assocs() { // 5.4: no DATA or SACK to an unconfirmed address
						if pi, ok := a.PathInfo(dst); ok && pi.State == PathUnconfirmed &&
							(strings.Contains(desc, "DATA") || strings.Contains(desc, "SACK")) {
							t.Fatalf("%s to unconfirmed %v", desc, dst)
						}
					}
					if strings.HasPrefix(desc, "HEARTBEAT") && !strings.HasPrefix(desc, "HEARTBEAT ACK") {
						lastHB = pkt
					}
					pool = append(pool, pkt)
					if move && !down[net(dst)] {
						deliverOn(e == p.a, net(dst), pkt)
					}
				}
				if !moved {
					break
				}
			}
			for _, e := range []*Endpoint{p.a, p.b} {
				for {
					if _, _, ok := e.NextEvent(); !ok {
						break
					}
				}
			}
		}
		for steps := 0; len(data) > 0 && steps < 200; steps++ {
			op := next()
			toB := op&0x80 != 0
			side := p.a
			if toB {
				side = p.b
			}
			switch op & 15 {
			case 12: // a network turns into a black hole, or back
				n := next()
				down[n&1] = n&2 != 0
			case 13: // the last HEARTBEAT answered (perhaps forged), from either network
				if lastHB != nil {
					pkt := append([]byte(nil), lastHB...)
					pkt[wire.SCTPHeaderLen] = byte(wire.ChunkHeartbeatAck)
					if n := next(); n&1 != 0 && len(pkt) > 20 {
						pkt[20+int(n>>1)%(len(pkt)-20)] ^= 1
					}
					crc32c.Stamp(pkt)
					deliverOn(!toB, int(op>>4)&1, pkt)
				}
			case 14: // path calls: primary, on-demand heartbeat, heartbeat on/off
				addrs := [4]netip.Addr{addrA, addrA2, addrB, addrB2}
				x, n := addrs[next()%4], next()
				for _, a := range side.Assocs() {
					switch n % 3 {
					case 0:
						a.SetPrimary(x)
					case 1:
						a.RequestHeartbeat(p.now, x)
					case 2:
						a.SetHeartbeat(p.now, x, n&4 != 0)
					}
					a.Paths(nil)
				}
			case 0, 7, 15: // a real packet, mutated
				pkt := append([]byte(nil), pool[int(next())%len(pool)]...)
				if op&7 == 0 {
					for n := next() % 4; n > 0; n-- {
						pos := int(next())<<8 | int(next())
						pkt[pos%len(pkt)] ^= next()
					}
					crc32c.Stamp(pkt)
				}
				deliver(toB, pkt)
			case 1: // raw bytes
				n := int(next())
				if n > len(data) {
					n = len(data)
				}
				deliver(toB, append([]byte(nil), data[:n]...))
				data = data[n:]
			case 2: // time passes
				p.now += int64(next()) * 100e6
				for _, e := range []*Endpoint{p.a, p.b} {
					e.HandleTimeout(p.now)
					if d := e.Deadline(); d != 0 && d <= p.now {
						t.Fatalf("deadline %d not after now %d", d, p.now)
					}
				}
			case 8: // Send: size, stream, flags
				size := int(next())<<8 | int(next())
				sid, fl := uint16(next()%4), SendFlags(next()&1)
				for _, a := range side.Assocs() {
					a.Send(p.now, sid, 7, fl, make([]byte, size))
				}
			case 9: // Recv everything
				for _, a := range side.Assocs() {
					buf := make([]byte, 1+int(next())*8)
					for i := 0; i < 1000; i++ {
						if _, _, ok := a.Recv(buf); !ok {
							break
						}
					}
				}
			case 10: // a DATA chunk near the receiver's cumulative TSN
				for _, a := range side.Assocs() {
					tsn := a.tsns.cum + uint32(int8(next()))
					sid, flags, n := uint16(next()%4), next()&0x0f, 1+int(next())*6
					deliver(toB, build(a.peerPort, a.localPort, a.LocalTag(), func(w *wire.Builder) {
						w.Data(flags, tsn, sid, uint16(next()%4), 0, make([]byte, n))
					}))
				}
			case 11: // a SACK near the sender's Cumulative TSN Ack Point
				for _, a := range side.Assocs() {
					cum := a.fl.cumAck + uint32(int8(next()))
					var gaps []wire.GapBlock
					for k := next() % 4; k > 0; k-- {
						s := uint16(next() % 32)
						gaps = append(gaps, wire.GapBlock{Start: s, End: s + uint16(next()%8)})
					}
					rwnd := uint32(next()) << 12
					deliver(toB, build(a.peerPort, a.localPort, a.LocalTag(), func(w *wire.Builder) {
						w.Sack(cum, rwnd, gaps, []uint32{cum})
					}))
				}
			case 3:
				for _, a := range side.Assocs() {
					a.Shutdown(p.now)
				}
			case 4:
				for _, a := range side.Assocs() {
					a.Abort(p.now, []byte{next()})
				}
			case 5:
				peer, port := addrB, uint16(portB)
				if toB {
					peer, port = addrA, portA
				}
				side.Connect(p.now, []netip.Addr{peer}, port)
			case 6:
				drain(true)
			}
			check()
		}
		drain(false)
		check()
	})
}

// FuzzReceive feeds arbitrary packets to a fresh endpoint (the responder
// and OOTB paths) and to an established one: no panic, and every answer
// parses and carries a good CRC32c.
func FuzzReceive(f *testing.F) {
	f.Add(initPacket(0x01020304, func(w *wire.Builder) { w.ParamAddr(addrA); w.ParamCookiePreservative(10) }))
	f.Add(build(portA, portB, 7, func(w *wire.Builder) { w.ShutdownAck() }))
	f.Add(build(portA, portB, 7, func(w *wire.Builder) { w.CookieEcho(make([]byte, cookieLen)) }))
	f.Add(build(portA, portB, 7, func(w *wire.Builder) { w.Chunk(0xFF, 0, []byte{1, 2, 3}) }))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, _, b := establishedPair(t, 1)
		fresh, _ := NewEndpoint(testConfig(portB, 3), testKeys("k"), 0)
		pkt := append([]byte(nil), raw...)
		if len(pkt) >= 8 && pkt[4]&1 == 1 { // half the time, our tag
			pkt[4], pkt[5], pkt[6], pkt[7] = byte(b.LocalTag()>>24), byte(b.LocalTag()>>16), byte(b.LocalTag()>>8), byte(b.LocalTag())
		}
		for _, e := range []*Endpoint{fresh, p.b} {
			e.Receive(1, PacketInfo{Src: addrA, Dst: addrB, Size: len(pkt)}, pkt)
			for i := 0; i < 16; i++ {
				out, _, ok := e.NextPacket(1, nil)
				if !ok {
					break
				}
				if _, err := wire.ParseSCTP(out); err != nil || !crc32c.Verify(out) {
					t.Fatalf("bad answer %v: % x", err, out)
				}
			}
			for _, a := range e.Assocs() {
				if !a.State().Valid() {
					t.Fatal("invalid state")
				}
			}
		}
	})
}

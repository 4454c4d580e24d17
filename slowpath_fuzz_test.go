package sctpxdp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/assoc"
	"github.com/sctp-xdp/sctp-xdp/crc32c"
	"github.com/sctp-xdp/sctp-xdp/fastpath"
	"github.com/sctp-xdp/sctp-xdp/wire"
)

// cookieSink is a poller handler that keeps what the slow path hands over:
// the State Cookies of its INIT ACKs, and checks every reply is valid.
type cookieSink struct {
	t       testing.TB
	cookies map[string]bool // every cookie an INIT ACK carried
	replies int
	adopted []*slowAdopt
}

func (*cookieSink) HandlePacket(*fastpath.Ctx, *fastpath.Packet) {}
func (*cookieSink) HandleICMP(*fastpath.Ctx, *fastpath.ICMP)     {}
func (*cookieSink) HandleTimer(*fastpath.Ctx, *fastpath.Timer)   {}
func (*cookieSink) Flush(*fastpath.Ctx)                          {}
func (r *cookieSink) HandleControl(c *fastpath.Ctx, msg any) {
	switch m := msg.(type) {
	case *slowReply:
		r.replies++
		if _, err := wire.ParseSCTP(m.pkt); err != nil || !crc32c.Verify(m.pkt) {
			r.t.Fatalf("slow path reply does not parse (%v): % x", err, m.pkt)
		}
		if ch, _ := wire.SCTP(m.pkt).FirstChunk(); ch.Type() == wire.ChunkInitAck {
			var o wire.InitOptions
			wire.InitChunk(ch).Options(&o)
			r.cookies[string(o.StateCookie)] = true
		}
		replyPool.Put(m)
	case *slowAdopt:
		r.adopted = append(r.adopted, m)
	}
}

// slowFrame parses an Ethernet frame as a poller does before the slow
// path sees it (CRC32c aside, so that mutations reach the handler).
func slowFrame(b []byte, poller int) (*fastpath.Packet, bool) {
	fr, err := wire.ParseFrame(b)
	if err != nil || fr.Fragment || fr.Protocol != wire.IPProtocolSCTP {
		return nil, false
	}
	sc, err := wire.ParseSCTP(fr.L4)
	if err != nil {
		return nil, false
	}
	return &fastpath.Packet{Frame: fr, SCTP: sc, Poller: poller}, true
}

// sctpFrame wraps an SCTP packet from 198.18.0.2 to 198.18.0.1 in IPv4
// and Ethernet.
func sctpFrame(t testing.TB, sctp []byte) []byte {
	b := wire.AppendEthernet(nil, &wire.EthernetHeader{Destination: [6]byte{2, 0, 0, 0, 0, 1},
		Source: [6]byte{2, 0, 0, 0, 0, 2}, EtherType: wire.EtherTypeIPv4})
	b, _, err := wire.AppendIPv4Header(b, &wire.IPv4Fields{TTL: 64, Protocol: wire.IPProtocolSCTP,
		Source: netip.MustParseAddr("198.18.0.2").As4(), Destination: netip.MustParseAddr("198.18.0.1").As4()})
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, sctp...)
	if err := wire.FinishIPv4(b, wire.EthernetHeaderLen); err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzSlowPath feeds arbitrary frames (seeds: an INIT, a COOKIE ECHO with
// a cookie the slow path sealed) to the interface's real slow path handler
// (slowPath.HandleSlow, with its responder per port) from poller 0 or 1:
// no panic; every reply it hands to a poller is a valid SCTP packet; and
// an association is made only from a cookie an INIT ACK carried (RFC 9260
// 5.1.5: the MAC admits nothing else).
func FuzzSlowPath(f *testing.F) {
	sink := &cookieSink{cookies: map[string]bool{}}
	var pcs []fastpath.PollerConfig
	for range 2 {
		l, _, err := fastpath.NewMemLinkPair(64, 2048)
		if err != nil {
			f.Fatal(err)
		}
		pcs = append(pcs, fastpath.PollerConfig{Link: l, Handler: sink})
	}
	s := newSlowPath(&ifaceRuntime{keys: testKeeper(f)})
	g, err := fastpath.NewGroup(fastpath.GroupConfig{Pollers: pcs, Slow: s})
	if err != nil {
		f.Fatal(err)
	}
	req := &slowAddPortReq{ep: &Endpoint{port: 5013}, cfg: assoc.Config{LocalPort: 5013}, done: make(chan error, 1)}
	s.HandleRequest(g.Slow(), req)
	if err := <-req.done; err != nil {
		f.Fatal(err)
	}
	epoch := time.Now()
	s.epochs[0], s.epochs[1] = epoch, epoch
	sink.t = f // replaced by each input's t

	var w wire.Builder
	w.Start(nil, 7200, 5013, 0)
	w.BeginInit(0x1234567, 1<<16, 4, 4, 1)
	w.ParamAddr(netip.MustParseAddr("198.18.0.3"))
	w.End()
	initPkt, _ := w.Finish()
	initFrame := sctpFrame(f, initPkt)
	// Run the INIT once to get a cookie for the COOKIE ECHO seed.
	p, _ := slowFrame(initFrame, 1)
	s.HandleSlow(g.Slow(), p)
	g.Pollers()[1].Poll()
	if len(sink.cookies) != 1 {
		f.Fatalf("%d cookies from an INIT", len(sink.cookies))
	}
	var cookie []byte
	for c := range sink.cookies {
		cookie = []byte(c)
	}
	// The COOKIE ECHO carries the INIT ACK's Initiate Tag, which the cookie
	// holds at bytes 20-23 (assoc/cookie.go).
	tag := uint32(cookie[20])<<24 | uint32(cookie[21])<<16 | uint32(cookie[22])<<8 | uint32(cookie[23])
	w.Start(nil, 7200, 5013, tag)
	w.CookieEcho(cookie)
	w.Data(wire.FlagBeginning|wire.FlagEnd, 1, 0, 0, 0, []byte("bundled"))
	echo, _ := w.Finish()
	f.Add(byte(1), initFrame)
	f.Add(byte(0), sctpFrame(f, echo))
	f.Add(byte(1), sctpFrame(f, echo))
	w.Start(nil, 7200, 5013, tag)
	w.CookieEcho(cookie[:len(cookie)-1])
	short, _ := w.Finish()
	f.Add(byte(1), sctpFrame(f, short))

	f.Fuzz(func(t *testing.T, poller byte, frame []byte) {
		p, ok := slowFrame(frame, int(poller%3)) // 2: no such poller
		if !ok {
			return
		}
		sink.t, sink.adopted = t, sink.adopted[:0]
		before := s.stats.accepted.Load()
		s.HandleSlow(g.Slow(), p)
		for _, q := range g.Pollers() {
			q.Poll()
		}
		accepted := s.stats.accepted.Load() - before
		if int(accepted) != len(sink.adopted) {
			t.Fatalf("%d accepted, %d handed over", accepted, len(sink.adopted))
		}
		if accepted == 0 {
			return
		}
		first, _ := p.SCTP.FirstChunk()
		if first.Type() != wire.ChunkCookieEcho || !sink.cookies[string(wire.CookieEchoChunk(first).Cookie())] {
			t.Fatalf("association made from a cookie no INIT ACK carried: %x", first)
		}
		for _, m := range sink.adopted {
			for _, peer := range m.as.PeerAddrs(nil) {
				k := fastpath.TupleKey{Peer: peer, LocalPort: 5013, PeerPort: m.as.PeerPort()}
				if o, ok := g.Shared().Lookup(k); !ok || o != fastpath.OwnerOf(m.as.LocalTag(), g.OwnerBits()) {
					t.Fatalf("peer %v not published for its owner (%d, %v)", peer, o, ok)
				}
			}
		}
	})
}

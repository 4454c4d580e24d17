package assoc

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

func icmpTooBig(a *Assoc, mtu uint32, vtag uint32) *wire.ICMPError {
	q := make([]byte, 8)
	binary.BigEndian.PutUint16(q[0:], a.localPort)
	binary.BigEndian.PutUint16(q[2:], a.peerPort)
	binary.BigEndian.PutUint32(q[4:], vtag)
	return &wire.ICMPError{Type: wire.ICMPv4DestUnreachable, Code: wire.ICMPv4FragNeeded, MTU: mtu,
		Source: addrA, Destination: addrB, Protocol: 132, Quoted: q}
}

// RFC 9260 7.3 and Appendix C: "fragmentation needed" quoting our packet
// with the peer's tag lowers the path MTU and later DATA is cut to it; a
// wrong tag, a larger MTU or one below the IP minimum do not.
func TestHandleICMP(t *testing.T) {
	p, a, b := establishedPair(t, 80)
	if p.a.HandleICMP(0, icmpTooBig(a, 1200, a.PeerTag()+1)) || a.PathMTU() != 1500 {
		t.Fatal("accepted a wrong verification tag")
	}
	if a.HandleICMP(0, icmpTooBig(a, 9000, a.PeerTag())) || a.PathMTU() != 1500 {
		t.Fatal("raised the MTU")
	}
	if !p.a.HandleICMP(0, icmpTooBig(a, 1200, a.PeerTag())) || a.PathMTU() != 1200 {
		t.Fatalf("MTU %d", a.PathMTU())
	}
	if !a.HandleICMP(0, icmpTooBig(a, 100, a.PeerTag())) || a.PathMTU() != 576 {
		t.Fatalf("MTU %d, want the IPv4 minimum", a.PathMTU())
	}
	a.Send(0, 0, 0, 0, make([]byte, 3000))
	p.run(10e9)
	for _, pkt := range p.captured {
		if len(pkt) > 1500-20 {
			t.Fatalf("packet of %d bytes", len(pkt))
		}
	}
	n, _, ok := b.Recv(make([]byte, 4000))
	if !ok || n != 3000 {
		t.Fatalf("%d %v", n, ok)
	}
	if a.Stats.DataSentOrdered != 6 { // 3000 bytes in chunks of 576-20-12-16 = 528
		t.Fatalf("%d chunks", a.Stats.DataSentOrdered)
	}
	if a.Stats.ICMPAccepted != 2 || a.Stats.ICMPIgnored != 2 {
		t.Fatalf("%+v", a.Stats)
	}
}

// RFC 9260 7.2.1, 7.2.2 with the default controller: slow start grows
// cwnd by at most one MTU per SACK while fully used; above ssthresh one
// MTU per cwnd acknowledged; idle halves it per RTO down to 4 MTU.
func TestRFC9260CC(t *testing.T) {
	const mtu = 1000
	c := NewRFC9260CC(mtu, 100000)
	if c.Window() != 4000 { // min(4 MTU, max(2 MTU, 4380))
		t.Fatalf("initial cwnd %d", c.Window())
	}
	c.OnAck(0, 3000, 4380, true)
	if c.Window() != 5000 {
		t.Fatalf("slow start: %d", c.Window())
	}
	c.OnAck(0, 3000, 100, true) // not fully used
	if c.Window() != 5000 {
		t.Fatalf("grew while not fully used: %d", c.Window())
	}
	c.OnTimeout(0)
	if c.Window() != mtu {
		t.Fatalf("after T3: %d", c.Window())
	}
	c.OnFastRetransmit(0) // ssthresh = max(cwnd/2, 4 MTU)
	if c.Window() != 4*mtu {
		t.Fatalf("after fast retransmit: %d", c.Window())
	}
	// cwnd = ssthresh is still slow start (7.2.1: cwnd <= ssthresh): grow
	// once, then congestion avoidance, one MTU per cwnd of bytes.
	c.OnAck(0, 1000, 4000, true)
	w := c.Window()
	c.OnAck(0, w-1, w, true)
	if c.Window() != w {
		t.Fatal("grew before a cwnd was acked")
	}
	c.OnAck(0, 1, w, true)
	if c.Window() != w+mtu {
		t.Fatalf("congestion avoidance: %d, want %d", c.Window(), w+mtu)
	}
	for i := 0; i < 10; i++ {
		c.OnAck(0, 1000, c.Window(), true)
		c.OnAck(0, c.Window(), c.Window(), true)
	}
	big := c.Window()
	c.OnSend(1, 0, 1e9)
	c.OnSend(1+3e9+1, 0, 1e9) // idle for three RTOs
	if c.Window() != max(big/8, 4*mtu) {
		t.Fatalf("after idle %d, was %d", c.Window(), big)
	}
}

// 6.3.1 with configured RTO.Alpha/Beta: the first sample sets SRTT=R,
// RTTVAR=R/2; RTO clamps to [RTO.Min, RTO.Max].
func TestRTO(t *testing.T) {
	cfg := testConfig(1, 1)
	cfg.RTOMin, cfg.RTOInitial = 100e6, 100e6
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	p := newPath(addrA, &cfg, true)
	p.sample(200e6, &cfg)
	if p.srtt != 200e6 || p.rttvar != 100e6 || p.rto != 600e6 {
		t.Fatalf("%+v", p)
	}
	p.sample(100e6, &cfg) // RTTVAR = 3/4*100 + 1/4*100; SRTT = 7/8*200 + 1/8*100
	if p.rttvar != 100e6 || p.srtt != 187.5e6 {
		t.Fatalf("%+v", p)
	}
	for i := 0; i < 20; i++ {
		p.backoff(&cfg)
	}
	if p.rto != int64(DefaultRTOMax) {
		t.Fatalf("rto %d", p.rto)
	}
}

// RFC 8899 black hole detection: with probing on, repeated T3 expiries
// above the base size drop the path to BASE_PLPMTU and search again.
func TestPLPMTUDBlackHoleDetection(t *testing.T) {
	p, a, _ := establishedPair(t, 81)
	a.cfg.PMTUProbe = true
	a.plStart(0)
	a.pl.lo, a.pl.hi = 1500, 1501
	a.plNext(0) // search done at 1500
	a.paths[0].mtu = 1500
	if !a.pl.done {
		t.Fatal("search not done")
	}
	a.Send(0, 0, 0, 0, make([]byte, 1400))
	take(p.a)
	for i := 0; i < blackHoleErrors; i++ {
		p.now = a.t3.at
		a.HandleTimeout(p.now)
		take(p.a)
	}
	if a.PathMTU() != basePLPMTU || a.pl.done || !a.pl.pending && a.pl.timer.at == 0 {
		t.Fatalf("PMTU %d, search %+v", a.PathMTU(), a.pl)
	}
	a.cfg.PMTUProbe = false
}

// End to end: a router's "fragmentation needed" quoting the first 28 bytes
// of a packet the engine sent, built and parsed with wire's ICMP code,
// reaches the association through the endpoint and lowers its PMTU.
func TestEndpointICMPFromWire(t *testing.T) {
	p, a, _ := establishedPair(t, 82)
	a.Send(0, 0, 0, 0, make([]byte, 1400))
	out := take(p.a)
	ip, off, err := wire.AppendIPv4Header(nil, &wire.IPv4Fields{TTL: 64, Protocol: 132,
		Source: addrA.As4(), Destination: addrB.As4()})
	if err != nil {
		t.Fatal(err)
	}
	ip = append(ip, out[0]...)
	if err := wire.FinishIPv4(ip, off); err != nil {
		t.Fatal(err)
	}
	msg := wire.AppendICMPv4Error(nil, wire.ICMPv4DestUnreachable, wire.ICMPv4FragNeeded, 1280, ip[:28])
	e, err := wire.ParseICMPv4Error(msg)
	if err != nil {
		t.Fatal(err)
	}
	if !p.a.HandleICMP(0, &e) || a.PathMTU() != 1280 {
		t.Fatalf("PMTU %d", a.PathMTU())
	}
}

// RFC 9260 Appendix C ICMP8 (with ICMP6's INIT check): a "protocol
// unreachable" (ICMPv4) or "unrecognized next header" (ICMPv6) quoting our
// INIT, with our Initiate Tag, ends the association in COOKIE-WAIT like an
// ABORT (CANT_STR_ASSOC); a wrong Initiate Tag, a port unreachable (ICMP3)
// or an established association leave it alone.
func TestICMPProtocolUnreachable(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		p := newPair(t, 81)
		peer, src := addrB, addrA
		if v6 {
			peer, src = netip.MustParseAddr("2001:2::b"), netip.MustParseAddr("2001:2::a")
		}
		a, err := p.a.Connect(0, []netip.Addr{peer}, portB)
		if err != nil {
			t.Fatal(err)
		}
		init := take(p.a)
		if len(init) != 1 || describe(init[0]) != "INIT" {
			t.Fatalf("sent %v", descAll(init))
		}
		unreach := func(quoted []byte, typ, code uint8) *wire.ICMPError {
			e := &wire.ICMPError{Type: typ, Code: code, Source: src, Destination: peer, Protocol: 132,
				Quoted: append([]byte(nil), quoted...)}
			return e
		}
		proto := func(q []byte) *wire.ICMPError {
			if v6 {
				return unreach(q, wire.ICMPv6ParamProblem, 1)
			}
			return unreach(q, wire.ICMPv4DestUnreachable, 2)
		}
		wrongTag := append([]byte(nil), init[0][:28]...)
		wrongTag[17] ^= 1
		if p.a.HandleICMP(0, proto(wrongTag)) || a.State() != CookieWait {
			t.Fatalf("v6 %v: another INIT's Initiate Tag ended the handshake", v6)
		}
		if !v6 && (p.a.HandleICMP(0, unreach(init[0][:28], wire.ICMPv4DestUnreachable, 3)) || a.State() != CookieWait) {
			t.Fatal("a port unreachable ended the handshake (ICMP3: ignore)")
		}
		if p.a.HandleICMP(0, proto(init[0][:16])) || a.State() != CookieWait {
			t.Fatalf("v6 %v: a quote without the Initiate Tag ended the handshake", v6)
		}
		if !p.a.HandleICMP(0, proto(init[0][:28])) || a.State() != Closed {
			t.Fatalf("v6 %v: state %v after protocol unreachable", v6, a.State())
		}
		if ev := p.events(p.a); len(ev) != 1 || ev[0] != EventCantStrAssoc {
			t.Fatalf("v6 %v: events %v, want CANT_STR_ASSOC", v6, ev)
		}
		if pkts := take(p.a); len(pkts) != 0 {
			t.Fatalf("v6 %v: sent %v after the handshake ended", v6, descAll(pkts))
		}
	}
	// Established: ignored (as Linux), the association lives on.
	p, a, _ := establishedPair(t, 82)
	q := make([]byte, 8)
	binary.BigEndian.PutUint16(q[0:], a.localPort)
	binary.BigEndian.PutUint16(q[2:], a.peerPort)
	binary.BigEndian.PutUint32(q[4:], a.PeerTag())
	p.a.HandleICMP(0, &wire.ICMPError{Type: wire.ICMPv4DestUnreachable, Code: 2, Source: addrA, Destination: addrB,
		Protocol: 132, Quoted: q})
	if a.State() != Established {
		t.Fatalf("established association %v after a protocol unreachable", a.State())
	}
}

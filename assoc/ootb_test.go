package assoc

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// RFC 9260 8.4, step by step (ETSI TS 102 369 group IMH/FH cover OOTB
// handling; exact identifiers not available, the RFC step is named).
func TestOOTB(t *testing.T) {
	const vt = 0xCAFEF00D
	cases := []struct {
		name   string
		src    netip.Addr
		chunks func(w *wire.Builder)
		want   string // "" = silence
		tbit   bool
	}{
		{"step1 multicast source", netip.MustParseAddr("224.0.0.1"), func(w *wire.Builder) { w.ShutdownAck() }, "", false},
		{"step2 ABORT", addrA, func(w *wire.Builder) { w.BeginAbort(false); w.End() }, "", false},
		{"step2 ABORT after DATA", addrA, func(w *wire.Builder) { w.Data(3, 1, 0, 0, 0, []byte{1}); w.BeginAbort(true); w.End() }, "", false},
		{"step5 SHUTDOWN ACK", addrA, func(w *wire.Builder) { w.ShutdownAck() }, "SHUTDOWN COMPLETE", true},
		{"step6 SHUTDOWN COMPLETE", addrA, func(w *wire.Builder) { w.ShutdownComplete(false) }, "", false},
		{"step7 COOKIE ACK", addrA, func(w *wire.Builder) { w.CookieAck() }, "", false},
		{"step7 stale cookie ERROR", addrA, func(w *wire.Builder) { w.BeginError(); w.CauseU32(wire.CauseStaleCookie, 5); w.End() }, "", false},
		{"step8 DATA", addrA, func(w *wire.Builder) { w.Data(3, 1, 0, 0, 0, []byte{1}) }, "ABORT", true},
		{"step8 SHUTDOWN", addrA, func(w *wire.Builder) { w.Shutdown(1) }, "ABORT", true},
		{"step8 HEARTBEAT", addrA, func(w *wire.Builder) { w.Heartbeat([]byte{1, 2, 3, 4}) }, "ABORT", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pkt := mustParse(t, build(portA, portB, vt, c.chunks))
			out, ok := OOTB(&PacketInfo{Src: c.src, Dst: addrB}, pkt, nil)
			if c.want == "" {
				if ok {
					t.Fatalf("answered %s", describe(out))
				}
				return
			}
			r := mustParse(t, out)
			ch := chunkOf(t, out, 0)
			if describe(out) != c.want || r.VerificationTag() != vt || (ch.Flags()&wire.FlagT != 0) != c.tbit ||
				r.SrcPort() != portB || r.DstPort() != portA {
				t.Fatalf("got %s vtag %08x flags %x", describe(out), r.VerificationTag(), ch.Flags())
			}
		})
	}
}

// OOTB through the endpoint: a packet for an unknown association is
// answered, one for another port too (8.4 step 8).
func TestEndpointOOTB(t *testing.T) {
	p := newPair(t, 20)
	p.b.Receive(0, PacketInfo{Src: addrA, Dst: addrB}, build(portA, portB, 77, func(w *wire.Builder) { w.Data(3, 1, 0, 0, 0, []byte{1}) }))
	p.b.Receive(0, PacketInfo{Src: addrA, Dst: addrB}, build(portA, portB+1, 78, func(w *wire.Builder) { w.Shutdown(1) }))
	out := take(p.b)
	if len(out) != 2 || describe(out[0]) != "ABORT" || describe(out[1]) != "ABORT" {
		t.Fatalf("%v", descAll(out))
	}
	if mustParse(t, out[1]).SrcPort() != portB+1 {
		t.Fatal("OOTB reply from the wrong port")
	}
}

// RFC 9260 8.5 and 8.5.1: verification-tag rules on an established
// association.
func TestVerificationTagRules(t *testing.T) {
	p, a, b := establishedPair(t, 21)
	pi := PacketInfo{Src: addrA, Dst: addrB}
	send := func(vtag uint32, f func(w *wire.Builder)) []string {
		p.b.Receive(0, pi, build(portA, portB, vtag, f))
		return descAll(take(p.b))
	}
	hb := func(w *wire.Builder) { w.Heartbeat([]byte{9, 9, 9, 9}) }
	if out := send(b.LocalTag()+1, hb); len(out) != 0 {
		t.Fatalf("8.5: wrong tag answered %v", out)
	}
	if out := send(b.LocalTag(), hb); !slices.Equal(out, []string{"HEARTBEAT ACK"}) {
		t.Fatalf("8.3: %v", out)
	}
	// 8.5.1 B: ABORT with T bit must carry the peer's tag, without T ours.
	send(b.LocalTag(), func(w *wire.Builder) { w.BeginAbort(true); w.End() })
	if b.State() != Established {
		t.Fatal("8.5.1 B: ABORT with T bit and our tag accepted")
	}
	send(b.PeerTag(), func(w *wire.Builder) { w.BeginAbort(false); w.End() })
	if b.State() != Established {
		t.Fatal("8.5.1 B: ABORT without T bit and the peer's tag accepted")
	}
	// 6.10: INIT bundled with another chunk is discarded.
	send(0, func(w *wire.Builder) { w.BeginInit(5, 65536, 1, 1, 1); w.End(); w.CookieAck() })
	// 8.5.1 A: INIT with a non-zero tag is discarded.
	send(b.LocalTag(), func(w *wire.Builder) { w.BeginInit(5, 65536, 1, 1, 1); w.End() })
	// 6.10, 8.5.1 C: SHUTDOWN COMPLETE bundled is discarded.
	send(b.LocalTag(), func(w *wire.Builder) { w.ShutdownComplete(false); w.CookieAck() })
	if b.State() != Established || b.Stats.Discarded != 6 {
		t.Fatalf("state %v, discarded %d", b.State(), b.Stats.Discarded)
	}
	send(b.PeerTag(), func(w *wire.Builder) {
		w.BeginAbort(true)
		w.CauseEmpty(wire.CauseOutOfResource)
		w.End()
	})
	if b.State() != Closed {
		t.Fatal("8.5.1 B: ABORT with T bit and the peer's tag refused")
	}
	evs := p.events(p.b)
	if !slices.Equal(evs, []EventType{EventCommLost}) {
		t.Fatalf("events %v", evs)
	}
	_ = a
}

// 8.5.1 E: SHUTDOWN ACK in COOKIE-WAIT is treated as OOTB: SHUTDOWN
// COMPLETE with the T bit and the packet's tag.
func TestShutdownAckInCookieWait(t *testing.T) {
	p := newPair(t, 22)
	a, _ := p.a.Connect(0, []netip.Addr{addrB}, portB)
	take(p.a)
	p.a.Receive(0, PacketInfo{Src: addrB, Dst: addrA}, build(portB, portA, 0x5555, func(w *wire.Builder) { w.ShutdownAck() }))
	out := take(p.a)
	if len(out) != 1 || describe(out[0]) != "SHUTDOWN COMPLETE" || mustParse(t, out[0]).VerificationTag() != 0x5555 ||
		chunkOf(t, out[0], 0).Flags()&wire.FlagT == 0 {
		t.Fatalf("%v", descAll(out))
	}
	if a.State() != CookieWait {
		t.Fatal(a.State())
	}
}

// RFC 9260 3.2: unrecognized chunk types by their two action bits.
func TestUnrecognizedChunks(t *testing.T) {
	cases := []struct {
		typ    byte
		report bool
		goOn   bool
	}{{0x3F, false, false}, {0x7F, true, false}, {0xBF, false, true}, {0xFF, true, true}}
	for _, c := range cases {
		p, _, b := establishedPair(t, 23)
		p.b.Receive(0, PacketInfo{Src: addrA, Dst: addrB}, build(portA, portB, b.LocalTag(), func(w *wire.Builder) {
			w.Chunk(wire.ChunkType(c.typ), 0, []byte{1, 2, 3, 4, 5})
			w.Heartbeat([]byte{7, 7, 7, 7})
		}))
		var want []string
		switch {
		case c.report && c.goOn:
			want = []string{"ERROR,HEARTBEAT ACK"}
		case c.report:
			want = []string{"ERROR"}
		case c.goOn:
			want = []string{"HEARTBEAT ACK"}
		}
		out := take(p.b)
		if got := descAll(out); !slices.Equal(got, want) {
			t.Fatalf("type %#x: got %v want %v", c.typ, got, want)
		}
		if c.report {
			it := wire.Causes(chunkOf(t, out[0], 0).Value())
			cause, _ := it.Next()
			if cause.Code() != wire.CauseUnrecognizedChunkType || cause.Chunk()[0] != c.typ {
				t.Fatalf("cause %d", cause.Code())
			}
		}
	}
}

// RFC 9260 3.3.2, 3.2.1 and 5.1: INIT validation by the responder.
func TestInitValidation(t *testing.T) {
	p := newPair(t, 24)
	pi := PacketInfo{Src: addrA, Dst: addrB}
	// Initiate Tag 0: silently discarded (3.3.2).
	p.b.Receive(0, pi, initPacket(0, nil))
	if out := take(p.b); len(out) != 0 {
		t.Fatalf("tag 0 answered: %v", descAll(out))
	}
	// Zero inbound streams: ABORT with Invalid Mandatory Parameter.
	p.b.Receive(0, pi, build(portA, portB, 0, func(w *wire.Builder) { w.BeginInit(0x42, 65536, 1, 0, 1); w.End() }))
	out := take(p.b)
	if len(out) != 1 || describe(out[0]) != "ABORT" || mustParse(t, out[0]).VerificationTag() != 0x42 {
		t.Fatalf("%v", descAll(out))
	}
	it := wire.Causes(chunkOf(t, out[0], 0).Value())
	if c, _ := it.Next(); c.Code() != wire.CauseInvalidMandatoryParam {
		t.Fatalf("cause %d", c.Code())
	}
	// Host Name Address: ABORT with Unresolvable Address (3.3.2.1).
	p.b.Receive(0, pi, initPacket(0x43, func(w *wire.Builder) { w.ParamHostName([]byte("example.net\x00")) }))
	out = take(p.b)
	it = wire.Causes(chunkOf(t, out[0], 0).Value())
	if c, _ := it.Next(); describe(out[0]) != "ABORT" || c.Code() != wire.CauseUnresolvableAddress {
		t.Fatalf("%v", descAll(out))
	}
	// Supported Address Types without IPv4 while we are IPv4: ABORT with
	// Unresolvable Address (5.1.2); with IPv4 listed, an INIT ACK.
	p.b.Receive(0, pi, initPacket(0x45, func(w *wire.Builder) { w.ParamSupportedAddrTypes([]uint16{6}) }))
	p.b.Receive(0, pi, initPacket(0x46, func(w *wire.Builder) { w.ParamSupportedAddrTypes([]uint16{6, 5}) }))
	if out := descAll(take(p.b)); !slices.Equal(out, []string{"ABORT", "INIT ACK"}) {
		t.Fatalf("supported address types: %v", out)
	}
	// Unrecognized parameters (3.2.1): 11 reported and skipped, 10 skipped,
	// 01 reported and stops: the address after it is not taken.
	late := netip.MustParseAddr("198.18.0.77")
	p.b.Receive(0, pi, initPacket(0x44, func(w *wire.Builder) {
		w.Param(0xFFF1, []byte{1})
		w.Param(0xBFF1, nil)
		w.Param(0x7FF1, []byte{2, 2})
		w.Param(0xFFF2, nil)
		w.ParamAddr(late)
		w.ParamCookiePreservative(50000)
	}))
	out = take(p.b)
	var reported []wire.ParamType
	pit := wire.InitChunk(chunkOf(t, out[0], 0)).Params()
	for {
		prm, ok := pit.Next()
		if !ok {
			break
		}
		if prm.Type() == wire.ParamUnrecognized {
			reported = append(reported, prm.Inner().Type())
		}
	}
	if !slices.Equal(reported, []wire.ParamType{0xFFF1, 0x7FF1}) {
		t.Fatalf("reported %x", reported)
	}
	cd := openCookie(t, p.b.resp, out[0])
	if cd.nAddrs != 0 {
		t.Fatal("an address after a stop parameter was kept")
	}
	if cd.lifeMs != uint32(DefaultValidCookieLife.Milliseconds()) {
		t.Fatal("a Cookie Preservative after a stop parameter was honoured")
	}
}

// 3.3.2.1: a Host Name Address in an INIT ACK aborts the handshake.
func TestInitAckHostName(t *testing.T) {
	p := newPair(t, 25)
	a, _ := p.a.Connect(0, []netip.Addr{addrB}, portB)
	take(p.a)
	p.a.Receive(0, PacketInfo{Src: addrB, Dst: addrA}, build(portB, portA, a.LocalTag(), func(w *wire.Builder) {
		w.BeginInitAck(0x0C0C0C0C, 65536, 3, 3, 1)
		w.ParamStateCookie(make([]byte, 16))
		w.ParamHostName([]byte("host.example\x00"))
		w.End()
	}))
	out := take(p.a)
	if len(out) != 1 || describe(out[0]) != "ABORT" || mustParse(t, out[0]).VerificationTag() != 0x0C0C0C0C {
		t.Fatalf("%v", descAll(out))
	}
	if a.State() != Closed || !slices.Equal(p.events(p.a), []EventType{EventCantStrAssoc}) {
		t.Fatal(a.State())
	}
}

// 3.3.3: an INIT ACK without State Cookie aborts the handshake with
// Missing Mandatory Parameter (State Cookie), to the INIT ACK's tag.
func TestInitAckWithoutCookie(t *testing.T) {
	p := newPair(t, 26)
	a, _ := p.a.Connect(0, []netip.Addr{addrB}, portB)
	take(p.a)
	p.a.Receive(0, PacketInfo{Src: addrB, Dst: addrA}, build(portB, portA, a.LocalTag(), func(w *wire.Builder) {
		w.BeginInitAck(0x0D0D0D0D, 65536, 3, 3, 1)
		w.End()
	}))
	out := take(p.a)
	if len(out) != 1 || describe(out[0]) != "ABORT" || mustParse(t, out[0]).VerificationTag() != 0x0D0D0D0D {
		t.Fatalf("%v", descAll(out))
	}
	it := wire.Causes(chunkOf(t, out[0], 0).Value())
	c, _ := it.Next()
	if c.Code() != wire.CauseMissingMandatoryParam || c.NumMissing() != 1 || c.Missing(0) != wire.ParamStateCookie {
		t.Fatalf("cause %d", c.Code())
	}
	if a.State() != Closed || !slices.Equal(p.events(p.a), []EventType{EventCantStrAssoc}) {
		t.Fatal(a.State())
	}
}

// An INIT full of unknown parameters asking for a report (3.2.1) cannot
// make the INIT ACK an amplifier (section 14): the reports add at most the
// INIT's size and the INIT ACK stays within the PMTU.
func TestInitAckUnrecognizedCapped(t *testing.T) {
	p := newPair(t, 21)
	pi := PacketInfo{Src: addrA, Dst: addrB}
	p.b.Receive(0, pi, initPacket(0x51, nil))
	base := len(take(p.b)[0]) // the INIT ACK without reports
	for _, n := range []int{100, 340} {
		init := initPacket(0x52, func(w *wire.Builder) {
			for i := 0; i < n; i++ {
				w.Param(wire.ParamType(0xD000|i), nil) // 11: skip, report
			}
		})
		p.b.Receive(0, pi, init)
		out := take(p.b)
		if len(out) != 1 || describe(out[0]) != "INIT ACK" {
			t.Fatalf("%v", descAll(out))
		}
		if len(out[0]) > 1500-40 || len(out[0]) > base+len(init) {
			t.Fatalf("%d unknown parameters: INIT %d bytes, INIT ACK %d (%d without reports)", n, len(init), len(out[0]), base)
		}
		reported := 0
		for it := wire.InitChunk(chunkOf(t, out[0], 0)).Params(); ; {
			prm, ok := it.Next()
			if !ok {
				break
			}
			if prm.Type() == wire.ParamUnrecognized {
				if prm.Inner().Type() != wire.ParamType(0xD000|reported) {
					t.Fatalf("report %d is of %x", reported, prm.Inner().Type())
				}
				reported++
			}
		}
		if reported == 0 || reported == n {
			t.Fatalf("%d of %d unknown parameters reported", reported, n)
		}
	}
}

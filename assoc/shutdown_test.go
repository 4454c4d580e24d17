package assoc

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// RFC 9260 9.2: SHUTDOWN, SHUTDOWN ACK, SHUTDOWN COMPLETE (ETSI group AT).
func TestShutdownSequence(t *testing.T) {
	p, a, b := establishedPair(t, 30)
	if err := a.Shutdown(0); err != nil {
		t.Fatal(err)
	}
	if a.State() != ShutdownSent {
		t.Fatal(a.State())
	}
	p.flush()
	want := []string{"SHUTDOWN", "SHUTDOWN ACK", "SHUTDOWN COMPLETE"}
	if !slices.Equal(p.trace, want) {
		t.Fatalf("trace %v", p.trace)
	}
	if a.State() != Closed || b.State() != Closed {
		t.Fatal(a.State(), b.State())
	}
	if ev := p.events(p.a); !slices.Equal(ev, []EventType{EventShutdownComp}) {
		t.Fatalf("A %v", ev)
	}
	if ev := p.events(p.b); !slices.Equal(ev, []EventType{EventShutdown, EventShutdownComp}) {
		t.Fatalf("B %v", ev)
	}
	if a.Shutdown(0) == nil || !errors.Is(a.Abort(0, nil), ErrState) {
		t.Fatal("calls on a closed association accepted")
	}
}

// 9.2: both sides shut down at once; each answers SHUTDOWN with SHUTDOWN ACK.
func TestShutdownCollision(t *testing.T) {
	p, a, b := establishedPair(t, 31)
	a.Shutdown(0)
	b.Shutdown(0)
	p.flush()
	if a.State() != Closed || b.State() != Closed {
		t.Fatalf("%v %v trace %v", a.State(), b.State(), p.trace)
	}
	if !slices.Contains(p.events(p.a), EventShutdownComp) || !slices.Contains(p.events(p.b), EventShutdownComp) {
		t.Fatal("no SHUTDOWN_COMP")
	}
}

// 9.2: T2-shutdown retransmits with back-off; T5-shutdown-guard (5 × RTO.Max)
// ends it with an ABORT when the peer never answers.
func TestShutdownGuard(t *testing.T) {
	p, a, _ := establishedPair(t, 32)
	p.drop = func(from *Endpoint, pkt []byte) bool { return true }
	a.Shutdown(0)
	var sent []int64
	p.drop = func(from *Endpoint, pkt []byte) bool {
		sent = append(sent, p.now)
		return true
	}
	p.flush()
	p.run(int64(time.Hour))
	if a.State() != Closed || !slices.Contains(p.events(p.a), EventCommLost) {
		t.Fatal(a.State())
	}
	last := p.trace[len(p.trace)-1]
	guard := 5 * int64(DefaultRTOMax)
	if last != "ABORT" || sent[len(sent)-1] != guard {
		t.Fatalf("last %s at %d, want ABORT at %d", last, sent[len(sent)-1], guard)
	}
	// Back-off: 1, 2, 4, ... s between SHUTDOWNs, capped at RTO.Max.
	for i := 2; i < len(sent)-1; i++ {
		if d, prev := sent[i]-sent[i-1], sent[i-1]-sent[i-2]; d != min(2*prev, int64(DefaultRTOMax)) {
			t.Fatalf("interval %d: %v after %v", i, time.Duration(d), time.Duration(prev))
		}
	}
}

// 5.1 C and 6.3.3: T1-init backs off (1, 2, 4, ... s) and gives up after
// Max.Init.Retransmits with CANT_STR_ASSOC.
func TestT1InitBackoff(t *testing.T) {
	p := newPair(t, 33)
	var sent []int64
	p.drop = func(from *Endpoint, pkt []byte) bool { sent = append(sent, p.now); return true }
	a, _ := p.a.Connect(0, []netip.Addr{addrB}, portB)
	p.run(int64(time.Hour))
	if len(sent) != 1+DefaultMaxInitRetransmits {
		t.Fatalf("%d INITs", len(sent))
	}
	want := int64(time.Second)
	for i := 1; i < len(sent); i++ {
		if d := sent[i] - sent[i-1]; d != want {
			t.Fatalf("gap %d = %v, want %v", i, time.Duration(d), time.Duration(want))
		}
		want = min(2*want, int64(DefaultRTOMax))
	}
	if a.State() != Closed || !slices.Equal(p.events(p.a), []EventType{EventCantStrAssoc}) {
		t.Fatal("no CANT_STR_ASSOC")
	}
	if a.Deadline() != 0 {
		t.Fatal("timer left running")
	}
}

// 9.1: a user ABORT carries the reason; the peer reports COMM_LOST with it.
func TestAbortCause(t *testing.T) {
	p, a, b := establishedPair(t, 34)
	a.Abort(0, []byte("because"))
	p.flush()
	if b.State() != Closed {
		t.Fatal(b.State())
	}
	_, ev, _ := p.b.NextEvent()
	if ev.Type != EventCommLost || ev.Cause != wire.CauseUserInitiatedAbort {
		t.Fatalf("%+v", ev)
	}
	it := wire.Causes(ev.Causes)
	c, _ := it.Next()
	if string(c.Info()) != "because" {
		t.Fatalf("reason %q", c.Info())
	}
}

// 3.3.10: ERROR chunks both ways; a remote error is reported.
func TestErrorChunk(t *testing.T) {
	p, a, _ := establishedPair(t, 35)
	if err := a.SendError(wire.CauseInvalidStreamID, []byte{0, 9, 0, 0}); err != nil {
		t.Fatal(err)
	}
	p.flush()
	_, ev, ok := p.b.NextEvent()
	if !ok || ev.Type != EventRemoteError || ev.Cause != wire.CauseInvalidStreamID {
		t.Fatalf("%+v", ev)
	}
}

// DATA and PKTDROP in ESTABLISHED are counted.
func TestCountedChunks(t *testing.T) {
	p, _, b := establishedPair(t, 36)
	p.b.Receive(0, PacketInfo{Src: addrA, Dst: addrB}, build(portA, portB, b.LocalTag(), func(w *wire.Builder) {
		w.Data(3, b.peerTSN, 0, 0, 0, []byte("x"))
		w.PktDrop(0, 0, 0, 0, []byte{1, 2, 3, 4})
	}))
	if b.Stats.DataRecvOrdered != 1 || b.Stats.PktDrops != 1 {
		t.Fatalf("%+v", b.Stats)
	}
}

// 6.2: DATA without user data aborts with No User Data.
func TestNoUserData(t *testing.T) {
	p, _, b := establishedPair(t, 37)
	p.b.Receive(0, PacketInfo{Src: addrA, Dst: addrB}, build(portA, portB, b.LocalTag(), func(w *wire.Builder) {
		w.Data(3, b.peerTSN, 0, 0, 0, nil)
	}))
	out := take(p.b)
	if b.State() != Closed || len(out) != 1 || describe(out[0]) != "ABORT" {
		t.Fatalf("%v %v", b.State(), descAll(out))
	}
	it := wire.Causes(chunkOf(t, out[0], 0).Value())
	if c, _ := it.Next(); c.Code() != wire.CauseNoUserData {
		t.Fatal(c.Code())
	}
}

// Adaptation Layer Indication both ways (RFC 5061 4.2.6).
func TestAdaptation(t *testing.T) {
	ca, cb := testConfig(portA, 1), testConfig(portB, 2)
	ca.HasAdaptation, ca.Adaptation = true, 0xA
	cb.HasAdaptation, cb.Adaptation = true, 0xB
	ea, _ := NewEndpoint(ca, testKeys("a"), 0)
	eb, _ := NewEndpoint(cb, testKeys("b"), 0)
	p := &pair{t: t, a: ea, b: eb}
	ea.Connect(0, []netip.Addr{addrB}, portB)
	p.flush()
	for _, x := range []struct {
		e    *Endpoint
		want uint32
	}{{ea, 0xB}, {eb, 0xA}} {
		var got []Event
		for {
			_, ev, ok := x.e.NextEvent()
			if !ok {
				break
			}
			got = append(got, ev)
		}
		if len(got) != 2 || got[1].Type != EventAdaptation || got[1].Adaptation != x.want {
			t.Fatalf("%+v", got)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []Config{
		{},
		{LocalPort: 1, ARwnd: 100},
		{LocalPort: 1, RTOMin: 2 * time.Second, RTOMax: time.Second},
		{LocalPort: 1, OwnerBits: 9},
		{LocalPort: 1, OwnerBits: 2, Owner: 4},
		{LocalPort: 1, PMTU: 100},
		{LocalPort: 1, LocalAddrs: []netip.Addr{netip.MustParseAddr("224.0.0.1")}},
		{LocalPort: 1, MaxInitRetransmits: -1},
	}
	for i, c := range bad {
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("case %d: %v", i, err)
		}
	}
	c := Config{LocalPort: 1}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.RTOInitial != time.Second || c.RTOMin != time.Second || c.RTOMax != time.Minute ||
		c.MaxInitRetransmits != 8 || c.AssocMaxRetrans != 10 || c.ValidCookieLife != time.Minute ||
		c.HBInterval != 30*time.Second || c.Rand == nil {
		t.Fatalf("defaults %+v", c)
	}
}

// design.md 3: our tags carry the owner in the low bits.
func TestOwnerBits(t *testing.T) {
	c := testConfig(portA, 5)
	c.OwnerBits, c.Owner = 8, 0xA5
	e, err := NewEndpoint(c, testKeys("k"), 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[uint32]bool{}
	for i := 0; i < 200; i++ {
		a := newAssoc(e.resp)
		a.connect(0, []netip.Addr{addrB}, portB)
		if OwnerOf(a.LocalTag(), 8) != 0xA5 || a.LocalTag() == 0 {
			t.Fatalf("tag %08x", a.LocalTag())
		}
		seen[a.LocalTag()>>8] = true
	}
	if len(seen) < 190 {
		t.Fatal("upper 24 bits not random")
	}
	out, ok := e.resp.HandleInit(0, piAB, mustParse(t, initPacket(1, nil)), nil)
	if !ok || OwnerOf(wire.InitChunk(chunkOf(t, out, 0)).InitiateTag(), 8) != 0xA5 {
		t.Fatal("responder's tag lacks the owner bits")
	}
}

func TestStateNames(t *testing.T) {
	want := []string{"CLOSED", "COOKIE-WAIT", "COOKIE-ECHOED", "ESTABLISHED", "SHUTDOWN-PENDING",
		"SHUTDOWN-SENT", "SHUTDOWN-RECEIVED", "SHUTDOWN-ACK-SENT"}
	for i, w := range want {
		if State(i).String() != w {
			t.Fatal(State(i))
		}
	}
	if State(99).Valid() || State(99).String() != "INVALID" {
		t.Fatal("invalid state named")
	}
}

// 5.1 C: T1-cookie retransmits the COOKIE ECHO and gives up after
// Max.Init.Retransmits.
func TestT1Cookie(t *testing.T) {
	p := newPair(t, 38)
	echoes := 0
	p.drop = func(_ *Endpoint, pkt []byte) bool {
		if describe(pkt) == "COOKIE ECHO" {
			echoes++
			return true
		}
		return false
	}
	a, _ := p.a.Connect(0, []netip.Addr{addrB}, portB)
	p.run(int64(time.Hour))
	if echoes != 1+DefaultMaxInitRetransmits || a.State() != Closed ||
		!slices.Equal(p.events(p.a), []EventType{EventCantStrAssoc}) {
		t.Fatalf("%d COOKIE ECHOs, state %v", echoes, a.State())
	}
	if len(p.b.Assocs()) != 0 {
		t.Fatal("B created state without a COOKIE ECHO")
	}
}

func TestConnectErrors(t *testing.T) {
	p := newPair(t, 39)
	if _, err := p.a.Connect(0, nil, portB); !errors.Is(err, ErrNoPeer) {
		t.Fatal(err)
	}
	if _, err := p.a.Connect(0, []netip.Addr{netip.MustParseAddr("0.0.0.0")}, portB); !errors.Is(err, ErrNoPeer) {
		t.Fatal(err)
	}
	if _, err := p.a.Connect(0, []netip.Addr{addrB}, 0); !errors.Is(err, ErrNoPeer) {
		t.Fatal(err)
	}
	p.a.Connect(0, []netip.Addr{addrB}, portB)
	if _, err := p.a.Connect(0, []netip.Addr{addrB}, portB); err == nil {
		t.Fatal("second association to the same peer accepted")
	}
}

// TestShutdownAckSentDiscardsData: in SHUTDOWN-ACK-SENT a DATA chunk can
// only be an old copy (the peer's SHUTDOWN said everything was
// acknowledged); it gets no SACK, which a peer that already closed would
// answer with an ABORT (RFC 9260 8.4) ending our shutdown as an abort.
func TestShutdownAckSentDiscardsData(t *testing.T) {
	p, a, b := establishedPair(t, 31)
	if err := a.Send(p.now, 0, 0, 0, []byte("once")); err != nil {
		t.Fatal(err)
	}
	p.run(p.now + 1e9) // delivered and acknowledged (delayed SACK)
	var data []byte
	for _, pkt := range p.captured {
		if describe(pkt) == "DATA" {
			data = pkt
		}
	}
	if data == nil {
		t.Fatalf("no DATA packet in %v", p.trace)
	}
	// SHUTDOWN reaches B, whose SHUTDOWN ACK is lost: B stays in
	// SHUTDOWN-ACK-SENT while A (as if closed) says nothing.
	if err := a.Shutdown(p.now); err != nil {
		t.Fatal(err)
	}
	p.drop = func(from *Endpoint, pkt []byte) bool { return from == p.b }
	p.flush()
	if b.State() != ShutdownAckSent {
		t.Fatalf("B in %v", b.State())
	}
	dups := b.Stats.DupChunksReceived
	p.trace = nil
	p.b.Receive(p.now, PacketInfo{Src: addrA, Dst: addrB, Size: len(data) + 20}, data)
	p.flush()
	if len(p.trace) != 0 {
		t.Errorf("B answered the old DATA with %v, want nothing", p.trace)
	}
	if b.Stats.DupChunksReceived != dups+1 || b.State() != ShutdownAckSent {
		t.Errorf("B: %d duplicates (was %d), state %v", b.Stats.DupChunksReceived, dups, b.State())
	}
}

// A SACK the peer sent after its SHUTDOWN ACK (usrsctp sends one for data
// that came with our SHUTDOWN) arrives in the same batch: the association
// is closed when it is read, so it is out of the blue (RFC 9260 8.4 item
// 8: ABORT with the T bit). That ABORT must leave after the SHUTDOWN
// COMPLETE: before it, the peer, still in SHUTDOWN-ACK-SENT, takes it and
// reports a reset instead of a clean close (seen against usrsctp's tsctp).
func TestShutdownCompleteBeforeOOTBReply(t *testing.T) {
	p, a, b := establishedPair(t, 33)
	if err := a.Shutdown(0); err != nil {
		t.Fatal(err)
	}
	for _, pkt := range take(p.a) { // SHUTDOWN to B
		p.b.Receive(0, PacketInfo{Src: addrA, Dst: addrB, Size: len(pkt) + 20}, pkt)
	}
	fromB := take(p.b)
	if got := descAll(fromB); !slices.Equal(got, []string{"SHUTDOWN ACK"}) {
		t.Fatalf("B sent %v", got)
	}
	late := build(portB, portA, a.LocalTag(), func(w *wire.Builder) { w.Sack(a.fl.cumAck, 65536, nil, nil) })
	for _, pkt := range [][]byte{fromB[0], late} { // one batch
		p.a.Receive(0, PacketInfo{Src: addrB, Dst: addrA, Size: len(pkt) + 20}, pkt)
	}
	fromA := take(p.a)
	if got := descAll(fromA); !slices.Equal(got, []string{"SHUTDOWN COMPLETE", "ABORT"}) {
		t.Fatalf("A sent %v, want SHUTDOWN COMPLETE then the ABORT", got)
	}
	abort, _ := wire.ParseSCTP(fromA[1])
	if c, _ := abort.FirstChunk(); c.Flags()&wire.FlagT == 0 || abort.VerificationTag() != a.LocalTag() {
		t.Fatalf("ABORT flags %#x tag %#x, want the T bit and the SACK's tag %#x", c.Flags(), abort.VerificationTag(), a.LocalTag())
	}
	// B, in SHUTDOWN-ACK-SENT, closes on the SHUTDOWN COMPLETE; the ABORT
	// then matches nothing and is discarded (8.4 item 2).
	for _, pkt := range fromA {
		p.b.Receive(0, PacketInfo{Src: addrA, Dst: addrB, Size: len(pkt) + 20}, pkt)
	}
	if b.State() != Closed {
		t.Fatal(b.State())
	}
	if ev := p.events(p.b); !slices.Equal(ev, []EventType{EventShutdown, EventShutdownComp}) {
		t.Fatalf("B's events %v, want SHUTDOWN then SHUTDOWN_COMP (no COMM_LOST)", ev)
	}
	if len(take(p.b)) != 0 {
		t.Fatal("B answered the stray ABORT")
	}
}

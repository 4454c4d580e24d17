package assoc

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// slowBed is a passive side split as the runtime splits it (design.md 3):
// the slow path's Responder answers INIT and COOKIE ECHO, and the poller's
// Endpoint (owner 1 of 4) adopts the associations; cl is the peer.
type slowBed struct {
	t    testing.TB
	slow *Responder
	poll *Endpoint
	cl   *Endpoint
	pi   PacketInfo // from the peer to us
}

const bedOwner, bedOwnerBits = 1, 2

func newSlowBed(t testing.TB, seed uint64) *slowBed {
	key := []byte("shared cookie key")
	sc := testConfig(portB, seed)
	sc.OwnerBits = bedOwnerBits
	slow, err := NewResponder(&sc, CookieKeys{Cur: CookieKey{Key: key}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	pc := testConfig(portB, seed+1)
	pc.OwnerBits, pc.Owner = bedOwnerBits, bedOwner
	poll, err := NewEndpoint(pc, CookieKeys{Cur: CookieKey{Key: key}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := NewEndpoint(testConfig(portA, seed+2), testKeys("client key"), 0)
	if err != nil {
		t.Fatal(err)
	}
	return &slowBed{t: t, slow: slow, poll: poll, cl: cl, pi: PacketInfo{Src: addrA, Dst: addrB, Size: 100}}
}

// one takes the single packet e has queued.
func one(t testing.TB, e *Endpoint) []byte {
	t.Helper()
	pkts := take(e)
	if len(pkts) != 1 {
		t.Fatalf("%d packets queued, want 1: %v", len(pkts), descAll(pkts))
	}
	return pkts[0]
}

func parse(t testing.TB, raw []byte) wire.SCTP {
	t.Helper()
	s, err := wire.ParseSCTP(raw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// cookieEcho runs the handshake up to the peer's COOKIE ECHO, checking that
// the poller sends INIT and COOKIE ECHO to the slow path.
func (b *slowBed) cookieEcho() []byte {
	t := b.t
	t.Helper()
	if _, err := b.cl.Connect(0, []netip.Addr{addrB}, portB); err != nil {
		t.Fatal(err)
	}
	init := one(t, b.cl)
	if !b.poll.NeedsResponder(&b.pi, parse(t, init)) {
		t.Fatal("INIT of a new peer not sent to the responder")
	}
	if err := b.slow.SetOwner(bedOwner); err != nil {
		t.Fatal(err)
	}
	ack, ok := b.slow.HandleInit(0, &b.pi, parse(t, init), nil)
	if !ok || describe(ack) != "INIT ACK" {
		t.Fatalf("reply to INIT: %v", describe(ack))
	}
	c, _ := parse(t, ack).FirstChunk()
	if tag := wire.InitChunk(c).InitiateTag(); OwnerOf(tag, bedOwnerBits) != bedOwner {
		t.Fatalf("Initiate Tag %#x does not name owner %d", tag, bedOwner)
	}
	b.cl.Receive(0, PacketInfo{Src: addrB, Dst: addrA, Size: len(ack) + 20}, ack)
	ce := one(t, b.cl)
	if !b.poll.NeedsResponder(&b.pi, parse(t, ce)) {
		t.Fatal("COOKIE ECHO of a new peer not sent to the responder")
	}
	return ce
}

func (b *slowBed) accept(ce []byte) *Assoc {
	b.t.Helper()
	a, reply, err := b.slow.AcceptCookie(0, &b.pi, parse(b.t, ce), nil)
	if a == nil || err != nil || len(reply) != 0 {
		b.t.Fatalf("AcceptCookie: %v, reply %d bytes", err, len(reply))
	}
	return a
}

// deliver moves the poller's output to the peer and the peer's back,
// until both are quiet.
func (b *slowBed) deliver() []string {
	var trace []string
	for moved := true; moved; {
		moved = false
		for _, pkt := range take(b.poll) {
			trace, moved = append(trace, ">"+describe(pkt)), true
			b.cl.Receive(0, PacketInfo{Src: addrB, Dst: addrA, Size: len(pkt) + 20}, pkt)
		}
		for _, pkt := range take(b.cl) {
			trace, moved = append(trace, "<"+describe(pkt)), true
			b.poll.Receive(0, b.pi, pkt)
		}
	}
	return trace
}

func TestNeedsResponder(t *testing.T) {
	b := newSlowBed(t, 1)
	ce := b.cookieEcho() // checks INIT and COOKIE ECHO of a new peer
	data := build(portA, portB, 0x11223344, func(w *wire.Builder) { w.Data(wire.FlagBeginning|wire.FlagEnd, 1, 0, 0, 0, []byte("x")) })
	if b.poll.NeedsResponder(&b.pi, parse(t, data)) {
		t.Error("DATA sent to the responder")
	}
	other := build(portA, portB+1, 0, func(w *wire.Builder) { w.BeginInit(0x77, 65536, 1, 1, 1); w.End() })
	if b.poll.NeedsResponder(&b.pi, parse(t, other)) {
		t.Error("INIT to another port sent to the responder")
	}
	if r := b.poll.Adopt(0, b.accept(ce), b.pi, ce); r != Adopted {
		t.Fatalf("Adopt: %v", r)
	}
	// Now the peer has an association: its INIT (restart, collision) and
	// COOKIE ECHO stay with the engine (RFC 9260 5.2).
	restart := build(portA, portB, 0, func(w *wire.Builder) { w.BeginInit(0x12345678, 65536, 1, 1, 1); w.End() })
	if b.poll.NeedsResponder(&b.pi, parse(t, restart)) {
		t.Error("INIT of an associated peer sent to the responder")
	}
	if b.poll.NeedsResponder(&b.pi, parse(t, ce)) {
		t.Error("COOKIE ECHO of an associated peer sent to the responder")
	}
	// Every packet a poller receives is classified: for free.
	dp, rp := parse(t, data), parse(t, restart)
	if n := testing.AllocsPerRun(100, func() { b.poll.NeedsResponder(&b.pi, dp); b.poll.NeedsResponder(&b.pi, rp) }); n != 0 {
		t.Errorf("NeedsResponder allocates %.1f times", n)
	}
	// From another peer address, an INIT listing the associated address is
	// the association's too (5.2.2); one that does not is new.
	pi2 := b.pi
	pi2.Src = netip.MustParseAddr("198.18.0.9")
	if b.poll.NeedsResponder(&pi2, parse(t, restart)) != true {
		t.Error("INIT of a new peer address not sent to the responder")
	}
	listing := build(portA, portB, 0, func(w *wire.Builder) {
		w.BeginInit(0x12345678, 65536, 1, 1, 1)
		w.ParamAddr(pi2.Src)
		w.ParamAddr(addrA)
		w.End()
	})
	if b.poll.NeedsResponder(&pi2, parse(t, listing)) {
		t.Error("INIT listing an associated address sent to the responder")
	}
}

// TestAdoptHandOver: an association created by the slow path's responder
// works once adopted: the poller sends its COOKIE ACK, reports COMM_UP,
// and DATA flows both ways; it uses the poller's config and responder.
func TestAdoptHandOver(t *testing.T) {
	b := newSlowBed(t, 2)
	ce := b.cookieEcho()
	a := b.accept(ce)
	if take(b.poll) != nil {
		t.Fatal("the poller sent something before adopting")
	}
	if r := b.poll.Adopt(0, a, b.pi, ce); r != Adopted {
		t.Fatalf("Adopt: %v", r)
	}
	if a.cfg != b.poll.cfg || a.resp != b.poll.resp {
		t.Error("adopted association still uses the slow path's config or responder")
	}
	if got := b.deliver(); !slices.Equal(got, []string{">COOKIE ACK"}) {
		t.Fatalf("after adoption: %v", got)
	}
	if as, ev, ok := b.poll.NextEvent(); !ok || as != a || ev.Type != EventCommUp {
		t.Fatalf("first event %v %v", ev.Type, ok)
	}
	ca := b.cl.Assocs()[0]
	if ca.State() != Established || a.State() != Established {
		t.Fatalf("states %v, %v", ca.State(), a.State())
	}
	if err := ca.Send(0, 0, 0, 0, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	b.deliver()
	buf := make([]byte, 16)
	n, _, ok := a.Recv(buf)
	if !ok || string(buf[:n]) != "ping" {
		t.Fatalf("received %q, %v", buf[:n], ok)
	}
	if b.poll.Stats.CookiesAccepted != 1 {
		t.Errorf("CookiesAccepted %d", b.poll.Stats.CookiesAccepted)
	}
}

// TestAdoptDuplicate: a retransmitted COOKIE ECHO reached the slow path
// while the first was being handed over: two associations with one tag
// pair arrive. The second is dropped and the first answers the COOKIE ECHO
// (RFC 9260 5.2.4 D: COOKIE ACK again).
func TestAdoptDuplicate(t *testing.T) {
	b := newSlowBed(t, 3)
	ce := b.cookieEcho()
	a1, a2 := b.accept(ce), b.accept(ce)
	if a1.LocalTag() != a2.LocalTag() || a1.PeerTag() != a2.PeerTag() {
		t.Fatal("one cookie made two tag pairs")
	}
	if r := b.poll.Adopt(0, a1, b.pi, ce); r != Adopted {
		t.Fatalf("first Adopt: %v", r)
	}
	if r := b.poll.Adopt(0, a2, b.pi, ce); r != AdoptedExisting {
		t.Fatalf("second Adopt: %v", r)
	}
	if as := b.poll.Assocs(); len(as) != 1 || as[0] != a1 {
		t.Fatalf("%d associations after the duplicate", len(as))
	}
	// The first's COOKIE ACK and the answer to the retransmission, bundled.
	if got := descAll(take(b.poll)); !slices.Equal(got, []string{"COOKIE ACK,COOKIE ACK"}) {
		t.Fatalf("output %v, want two COOKIE ACKs", got)
	}
	var ups int
	for {
		_, ev, ok := b.poll.NextEvent()
		if !ok {
			break
		}
		if ev.Type == EventCommUp {
			ups++
		}
	}
	if ups != 1 {
		t.Errorf("%d COMM_UP", ups)
	}
}

// TestAdoptRefused: a newcomer whose tag routes to another live
// association, one for another port, or nil is dropped silently.
func TestAdoptRefused(t *testing.T) {
	b := newSlowBed(t, 4)
	ce := b.cookieEcho()
	a1, a2 := b.accept(ce), b.accept(ce)
	if r := b.poll.Adopt(0, a1, b.pi, ce); r != Adopted {
		t.Fatalf("Adopt: %v", r)
	}
	take(b.poll)
	a2.peerPort++ // another peer whose cookie drew the same tag
	if r := b.poll.Adopt(0, a2, b.pi, nil); r != AdoptRefused {
		t.Errorf("tag in use: %v", r)
	}
	a3 := b.accept(ce)
	a3.localPort++
	if r := b.poll.Adopt(0, a3, b.pi, ce); r != AdoptRefused {
		t.Errorf("another port: %v", r)
	}
	if r := b.poll.Adopt(0, nil, b.pi, ce); r != AdoptRefused {
		t.Errorf("nil: %v", r)
	}
	if len(b.poll.Assocs()) != 1 || take(b.poll) != nil {
		t.Errorf("%d associations, output after refusals", len(b.poll.Assocs()))
	}
	if err := b.slow.SetOwner(1 << bedOwnerBits); err == nil {
		t.Error("SetOwner accepted an owner wider than OwnerBits")
	}
}

// TestAdoptAcrossGoroutines: with -race, proves an adopted association
// shares nothing mutable with the responder that made it: the slow path
// keeps answering INITs (its Rand, cookie scratch) while the poller's
// associations answer INITs themselves (5.2.2: a new tag, a cookie) and
// run their timers.
func TestAdoptAcrossGoroutines(t *testing.T) {
	b := newSlowBed(t, 5)
	type handed struct {
		a  *Assoc
		pi PacketInfo
		ce []byte
	}
	ch := make(chan handed)
	errs := make(chan string, 1000)
	done := make(chan struct{})
	go func() { // the poller
		defer close(done)
		for h := range ch {
			if r := b.poll.Adopt(0, h.a, h.pi, h.ce); r != Adopted {
				report(errs, "Adopt: "+r.String())
				continue
			}
			init := build(h.a.PeerPort(), portB, 0, func(w *wire.Builder) { w.BeginInit(0x5eed, 65536, 1, 1, 7); w.End() })
			b.poll.Receive(1e6, h.pi, init)
			b.poll.HandleTimeout(2e9)
			for _, pkt := range take(b.poll) {
				if d := describe(pkt); d != "COOKIE ACK" && d != "INIT ACK" && d != "HEARTBEAT" && d != "SACK" {
					report(errs, "poller sent "+d)
				}
			}
		}
	}()
	for i := range 40 {
		cl, err := NewEndpoint(testConfig(portA+uint16(i), uint64(100+i)), testKeys("k"), 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cl.Connect(0, []netip.Addr{addrB}, portB); err != nil {
			t.Fatal(err)
		}
		ack, ok := b.slow.HandleInit(0, &b.pi, parse(t, one(t, cl)), nil)
		if !ok {
			t.Fatal("no INIT ACK")
		}
		cl.Receive(0, PacketInfo{Src: addrB, Dst: addrA}, ack)
		ce := one(t, cl)
		a, _, err := b.slow.AcceptCookie(0, &b.pi, parse(t, ce), nil)
		if a == nil {
			t.Fatal(err)
		}
		ch <- handed{a, b.pi, ce}
	}
	close(ch)
	<-done
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := len(b.poll.Assocs()); n != 40 {
		t.Errorf("%d associations adopted", n)
	}
}

func report(errs chan string, s string) {
	select {
	case errs <- s:
	default:
	}
}

package assoc

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// mh is two multi-homed endpoints: the i-th addresses of both sides share
// network i; links can be cut per direction.
type mh struct {
	t     *testing.T
	now   int64
	ep    [2]*Endpoint
	addrs [2][]netip.Addr
	down  map[[2]netip.Addr]bool
	log   []mhPkt
	hold  func(from int, dst netip.Addr, pkt []byte) bool // keeps a packet out of the network
}

type mhPkt struct {
	at       int64
	from     int
	src, dst netip.Addr
	chunks   string
	pkt      []byte
}

var (
	mhA = []netip.Addr{netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("198.18.2.1"),
		netip.MustParseAddr("198.18.4.1"), netip.MustParseAddr("198.18.6.1")}
	mhB = []netip.Addr{netip.MustParseAddr("198.18.1.1"), netip.MustParseAddr("198.18.3.1"),
		netip.MustParseAddr("198.18.5.1"), netip.MustParseAddr("198.18.7.1")}
)

// newMH: A with na addresses, B with nb, heartbeats on; mod adjusts both
// configurations. A connects to B's first address.
func newMH(t *testing.T, na, nb int, mod func(*Config)) (*mh, *Assoc, *Assoc) {
	t.Helper()
	m := &mh{t: t, addrs: [2][]netip.Addr{mhA[:na], mhB[:nb]}, down: map[[2]netip.Addr]bool{}}
	for i, port := range []uint16{portA, portB} {
		c := testConfig(port, uint64(90+i))
		c.DisableHeartbeats = false
		c.LocalAddrs = m.addrs[i]
		if mod != nil {
			mod(&c)
		}
		e, err := NewEndpoint(c, testKeys("key"), 0)
		if err != nil {
			t.Fatal(err)
		}
		m.ep[i] = e
	}
	a, err := m.ep[0].Connect(0, []netip.Addr{mhB[0]}, portB)
	if err != nil {
		t.Fatal(err)
	}
	m.flush()
	if a.State() != Established || len(m.ep[1].Assocs()) != 1 {
		t.Fatalf("handshake: %v", m.log)
	}
	return m, a, m.ep[1].Assocs()[0]
}

func (m *mh) cut(net int, down bool) {
	m.down[[2]netip.Addr{mhA[net], mhB[net]}] = down
	m.down[[2]netip.Addr{mhB[net], mhA[net]}] = down
}

func (m *mh) flush() {
	for moved := true; moved; {
		moved = false
		for i, e := range m.ep {
			for {
				pkt, dst, ok := e.NextPacket(m.now, nil)
				if !ok {
					break
				}
				moved = true
				idx := slices.Index(m.addrs[1-i], dst)
				if idx < 0 {
					m.t.Fatalf("packet to %v, not a peer address", dst)
				}
				src := m.addrs[i][min(idx, len(m.addrs[i])-1)]
				m.log = append(m.log, mhPkt{m.now, i, src, dst, describe(pkt), pkt})
				if m.down[[2]netip.Addr{src, dst}] || m.hold != nil && m.hold(i, dst, pkt) {
					continue
				}
				m.ep[1-i].Receive(m.now, PacketInfo{Src: src, Dst: dst, Size: len(pkt) + 20}, pkt)
			}
		}
	}
}

// run fires timers and moves packets until the virtual clock reaches until.
func (m *mh) run(until int64) {
	for {
		m.flush()
		d := m.ep[0].Deadline()
		if db := m.ep[1].Deadline(); db != 0 && (d == 0 || db < d) {
			d = db
		}
		if d == 0 || d > until {
			m.now = until
			return
		}
		m.now = max(m.now, d)
		m.ep[0].HandleTimeout(m.now)
		m.ep[1].HandleTimeout(m.now)
	}
}

func (m *mh) events(i int) []Event {
	var out []Event
	for {
		_, ev, ok := m.ep[i].NextEvent()
		if !ok {
			return out
		}
		out = append(out, ev)
	}
}

func hasEvent(evs []Event, t EventType, addr netip.Addr) bool {
	return slices.ContainsFunc(evs, func(e Event) bool { return e.Type == t && e.Addr == addr })
}

func state(t *testing.T, a *Assoc, addr netip.Addr) PathInfo {
	t.Helper()
	pi, ok := a.PathInfo(addr)
	if !ok {
		t.Fatalf("no path %v", addr)
	}
	return pi
}

const sec = int64(time.Second)

// RFC 9260 5.4: the address the user gave Connect and the INIT's source
// are confirmed; the others of the address lists are UNCONFIRMED and get
// nothing but HEARTBEATs until a HEARTBEAT ACK echoes the nonce; then
// ADDR_CONFIRMED.
func TestPathConfirmation(t *testing.T) {
	m, a, b := newMH(t, 2, 2, nil)
	if s := state(t, a, mhB[0]).State; s != PathActive {
		t.Fatalf("A→B1 %v", s)
	}
	if s := state(t, a, mhB[1]).State; s != PathUnconfirmed {
		t.Fatalf("A→B2 %v", s)
	}
	if s := state(t, b, mhA[0]).State; s != PathActive {
		t.Fatalf("B→A1 %v", s)
	}
	if s := state(t, b, mhA[1]).State; s != PathUnconfirmed {
		t.Fatalf("B→A2 %v", s)
	}
	m.events(0)
	m.events(1)
	for i := 0; i < 20; i++ {
		a.Send(m.now, 0, 0, 0, make([]byte, 1000))
	}
	m.run(sec / 2)
	if state(t, a, mhB[1]).State != PathActive || state(t, b, mhA[1]).State != PathActive {
		t.Fatalf("not confirmed: %+v %+v", state(t, a, mhB[1]), state(t, b, mhA[1]))
	}
	if !hasEvent(m.events(0), EventAddrConfirmed, mhB[1]) || !hasEvent(m.events(1), EventAddrConfirmed, mhA[1]) {
		t.Fatal("no ADDR_CONFIRMED")
	}
	for _, p := range m.log {
		if p.dst == mhB[1] && !strings.HasPrefix(p.chunks, "HEARTBEAT") && p.at == 0 {
			t.Fatalf("%s to unconfirmed %v", p.chunks, p.dst)
		}
	}
}

// 5.4: with the second network dead, its addresses stay unconfirmed, get
// only HEARTBEATs (again each RTO, backed off) and never DATA or SACK.
func TestOnlyHeartbeatsToUnconfirmed(t *testing.T) {
	m, a, b := newMH(t, 2, 2, nil)
	m.cut(1, true)
	m.run(1)
	for i := 0; i < 200; i++ {
		if a.Send(m.now, 0, 0, 0, make([]byte, 1000)) != nil {
			break
		}
		b.Send(m.now, 0, 0, 0, make([]byte, 1000))
	}
	m.run(30 * sec)
	hbs := 0
	for _, p := range m.log {
		if p.dst == mhB[1] || p.dst == mhA[1] {
			if p.chunks != "HEARTBEAT" {
				t.Fatalf("%s to unconfirmed %v", p.chunks, p.dst)
			}
			hbs++
		}
	}
	if hbs < 4 || state(t, a, mhB[1]).State != PathUnconfirmed || b.Readable() == 0 {
		t.Fatalf("%d heartbeats, state %v, readable %d", hbs, state(t, a, mhB[1]).State, b.Readable())
	}
	// Unanswered probes of an unconfirmed address are not association
	// errors (8.1): the association lives on.
	if a.State() != Established || a.fl.errors != 0 {
		t.Fatalf("%v errors %d", a.State(), a.fl.errors)
	}
}

// 5.4: a HEARTBEAT ACK confirms only with our nonce: a forged one (nonce,
// path index or address changed) or a replay of an answered one does not.
func TestForgedHeartbeatAck(t *testing.T) {
	m, a, _ := newMH(t, 1, 2, nil)
	var hb []byte
	m.hold = func(from int, dst netip.Addr, pkt []byte) bool {
		if from == 0 && dst == mhB[1] {
			hb = pkt
			return true
		}
		return false
	}
	m.run(1)
	if hb == nil {
		t.Fatal("no HEARTBEAT to the unconfirmed address")
	}
	s, err := wire.ParseSCTP(hb)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := s.FirstChunk()
	info := append([]byte(nil), c.Value()...) // the Heartbeat Info parameter
	ack := func(info []byte) {
		pkt := build(portB, portA, a.LocalTag(), func(w *wire.Builder) { w.Chunk(wire.ChunkHeartbeatAck, 0, info) })
		m.ep[0].Receive(m.now, PacketInfo{Src: mhB[0], Dst: mhA[0]}, pkt)
	}
	for _, off := range []int{4 + 4, 4 + 8, 4 + 8 + 15, 4 + 24, 4 + 31} { // index, address, nonce
		forged := slices.Clone(info)
		forged[off] ^= 1
		d := a.Stats.Discarded
		ack(forged)
		if state(t, a, mhB[1]).State != PathUnconfirmed || a.Stats.Discarded != d+1 {
			t.Fatalf("forged byte %d: %v", off, state(t, a, mhB[1]).State)
		}
	}
	ack(info[:len(info)-4]) // truncated: not ours at all
	if state(t, a, mhB[1]).State != PathUnconfirmed {
		t.Fatal("truncated info confirmed")
	}
	m.events(0)
	ack(info)
	if state(t, a, mhB[1]).State != PathActive || !hasEvent(m.events(0), EventAddrConfirmed, mhB[1]) {
		t.Fatal("the genuine ACK did not confirm")
	}
	d := a.Stats.Discarded
	ack(info) // replayed
	if a.Stats.Discarded != d+1 || len(m.events(0)) != 0 {
		t.Fatal("replayed ACK accepted")
	}
}

// 5.4: at most HB.Max.Burst HEARTBEATs to unconfirmed addresses per RTO.
func TestHBMaxBurst(t *testing.T) {
	for _, burst := range []int{1, 2} {
		m, a, _ := newMH(t, 1, 4, func(c *Config) { c.HBMaxBurst = burst })
		for i := 1; i < 4; i++ {
			m.down[[2]netip.Addr{mhA[0], mhB[i]}] = true
		}
		m.run(20 * sec)
		var at []int64
		for _, p := range m.log {
			if p.from == 0 && p.dst != mhB[0] {
				at = append(at, p.at)
			}
		}
		if len(at) < 6 {
			t.Fatalf("burst %d: only %d heartbeats", burst, len(at))
		}
		rto := a.RTO()
		for i := range at {
			n := 0
			for _, u := range at[i:] {
				if u < at[i]+rto {
					n++
				}
			}
			if n > burst {
				t.Fatalf("burst %d: %d HEARTBEATs within an RTO from %v: %v", burst, n, at[i], at)
			}
		}
	}
}

// 8.3: an idle confirmed path gets a HEARTBEAT every RTO + HB.interval ±
// 50 % of the RTO (jittered), answered ones clear nothing but measure the
// RTT; SetHeartbeat(false) stops them.
func TestHeartbeatInterval(t *testing.T) {
	m, a, _ := newMH(t, 1, 1, nil)
	hb := int64(DefaultHBInterval)
	var at []int64
	last := m.now
	for len(at) < 12 {
		d := a.Deadline()
		rto := state(t, a, mhB[0]).RTO
		if d-last < hb+rto/2 || d-last > hb+3*rto/2 {
			t.Fatalf("next HEARTBEAT %v after the last, want RTO %v + %v ± RTO/2", time.Duration(d-last), time.Duration(rto), time.Duration(hb))
		}
		m.run(d)
		at = append(at, d-last)
		last = d
		if n := len(m.log); m.log[n-2].chunks != "HEARTBEAT" || m.log[n-1].chunks != "HEARTBEAT ACK" {
			t.Fatalf("%v", m.log[n-2:])
		}
	}
	slices.Sort(at)
	if at[0] == at[len(at)-1] {
		t.Fatal("no jitter")
	}
	if a.Stats.HeartbeatsSent != 12 || !state(t, a, mhB[0]).Heartbeats {
		t.Fatal(a.Stats.HeartbeatsSent)
	}
	if err := a.SetHeartbeat(m.now, mhB[0], false); err != nil {
		t.Fatal(err)
	}
	if a.Deadline() != 0 || state(t, a, mhB[0]).Heartbeats {
		t.Fatal("heartbeat still scheduled")
	}
	if err := a.SetHeartbeat(m.now, mhB[1], true); !errors.Is(err, ErrUnknownAddr) {
		t.Fatal(err)
	}
}

// 8.3 on demand: RequestHeartbeat sends one now; unanswered within the
// RTO it counts as an error of that path.
func TestRequestHeartbeat(t *testing.T) {
	m, a, _ := newMH(t, 2, 2, nil)
	m.run(sec)
	m.log = nil
	if err := a.RequestHeartbeat(m.now, mhB[1]); err != nil {
		t.Fatal(err)
	}
	m.flush()
	if len(m.log) != 2 || m.log[0].chunks != "HEARTBEAT" || m.log[0].dst != mhB[1] || m.log[1].chunks != "HEARTBEAT ACK" {
		t.Fatalf("%v", m.log)
	}
	m.cut(1, true)
	a.RequestHeartbeat(m.now, mhB[1])
	m.run(m.now + state(t, a, mhB[1]).RTO)
	if e := state(t, a, mhB[1]).Errors; e != 1 {
		t.Fatalf("errors %d", e)
	}
	if err := a.RequestHeartbeat(m.now, netip.MustParseAddr("198.18.9.9")); !errors.Is(err, ErrUnknownAddr) {
		t.Fatal(err)
	}
}

// sendSome keeps DATA flowing from A.
func sendSome(m *mh, a *Assoc, n int) {
	for i := 0; i < n; i++ {
		if a.Send(m.now, 0, 0, 0, make([]byte, 800)) != nil {
			break
		}
	}
}

// runSending runs until until with DATA queued all along.
func runSending(m *mh, a *Assoc, until int64) {
	for m.now < until {
		sendSome(m, a, 4)
		m.run(min(until, m.now+sec/10))
	}
}

func confirmed(t *testing.T, m *mh, a *Assoc) {
	t.Helper()
	m.run(sec)
	for _, x := range m.addrs[1] {
		if state(t, a, x).State != PathActive {
			t.Fatalf("%v not confirmed", x)
		}
	}
	m.events(0)
	m.events(1)
	m.log = nil
}

// RFC 7829 5.1 with PotentiallyFailed.Max.Retrans 0: the first T3-rtx
// makes the primary PF and DATA moves to the alternate at once; HEARTBEATs
// each RTO; past Path.Max.Retrans it is inactive (ADDR_UNREACHABLE); a
// HEARTBEAT ACK after the repair makes it active (ADDR_AVAILABLE) and the
// primary again carries DATA (6.4.1 switch-back).
func TestPFFailoverAndBack(t *testing.T) {
	m, a, _ := newMH(t, 2, 2, func(c *Config) { c.PathMaxRetrans = 2; c.HBInterval = 5 * time.Second })
	confirmed(t, m, a)
	sendSome(m, a, 10)
	m.flush()
	m.cut(0, true)
	cutAt := m.now
	runSending(m, a, m.now+2*sec)
	evs := m.events(0)
	if !hasEvent(evs, EventAddrPotentiallyFailed, mhB[0]) || hasEvent(evs, EventAddrUnreachable, mhB[0]) {
		t.Fatalf("%v", evs)
	}
	if pi := state(t, a, mhB[0]); pi.State != PathPotentiallyFailed || pi.Current || pi.Errors != 1 || !state(t, a, mhB[1]).Current {
		t.Fatalf("%+v", pi)
	}
	// From its first HEARTBEAT on, only HEARTBEATs go to the PF path, one
	// per (backed-off) RTO.
	runSending(m, a, m.now+10*sec)
	var hbs []int64
	for _, p := range m.log {
		if p.from == 0 && p.dst == mhB[0] && p.at > cutAt {
			if p.chunks != "HEARTBEAT" && len(hbs) > 0 {
				t.Fatalf("%s to a PF path", p.chunks)
			}
			if p.chunks == "HEARTBEAT" {
				hbs = append(hbs, p.at)
			}
		}
	}
	if !hasEvent(m.events(0), EventAddrUnreachable, mhB[0]) || state(t, a, mhB[0]).State != PathInactive ||
		len(hbs) < 2 || hbs[1]-hbs[0] != 2*sec {
		t.Fatalf("%+v, heartbeats at %v", state(t, a, mhB[0]), hbs)
	}
	m.cut(0, false)
	runSending(m, a, m.now+20*sec)
	if !hasEvent(m.events(0), EventAddrAvailable, mhB[0]) {
		t.Fatal("no ADDR_AVAILABLE")
	}
	if pi := state(t, a, mhB[0]); pi.State != PathActive || !pi.Current || pi.Errors != 0 {
		t.Fatalf("%+v", pi)
	}
	m.log = nil
	runSending(m, a, m.now+sec)
	if !slices.ContainsFunc(m.log, func(p mhPkt) bool { return p.dst == mhB[0] && strings.Contains(p.chunks, "DATA") }) {
		t.Fatal("DATA did not return to the primary")
	}
	if a.State() != Established {
		t.Fatal(a.State())
	}
}

// PF then back to active without reaching inactive.
func TestPFRecovers(t *testing.T) {
	m, a, _ := newMH(t, 2, 2, nil)
	confirmed(t, m, a)
	sendSome(m, a, 10)
	m.cut(0, true)
	runSending(m, a, m.now+3*sec/2)
	if state(t, a, mhB[0]).State != PathPotentiallyFailed {
		t.Fatalf("%+v", state(t, a, mhB[0]))
	}
	m.cut(0, false)
	runSending(m, a, m.now+10*sec)
	evs := m.events(0)
	if !hasEvent(evs, EventAddrAvailable, mhB[0]) || hasEvent(evs, EventAddrUnreachable, mhB[0]) ||
		!state(t, a, mhB[0]).Current {
		t.Fatalf("%v %+v", evs, state(t, a, mhB[0]))
	}
}

// RFC 9260 6.4 and 8.2 without the PF state: after a T3-rtx the
// retransmission goes to the alternate path while new DATA stays on the
// primary, until Path.Max.Retrans+1 timeouts make it inactive.
func TestRetransmitToAlternate(t *testing.T) {
	m, a, _ := newMH(t, 2, 2, func(c *Config) { c.PFMaxRetrans = -1; c.PathMaxRetrans = 2 })
	confirmed(t, m, a)
	m.cut(0, true)
	sendSome(m, a, 3)
	m.flush()
	first := len(m.log)
	m.run(a.Deadline())
	rtx := m.log[first:]
	if len(rtx) == 0 || rtx[0].dst != mhB[1] || !strings.Contains(rtx[0].chunks, "DATA") {
		t.Fatalf("retransmission %v", rtx)
	}
	if pi := state(t, a, mhB[0]); pi.State != PathActive || pi.Errors != 1 || !pi.Current {
		t.Fatalf("%+v", pi)
	}
	runSending(m, a, m.now+30*sec)
	if !hasEvent(m.events(0), EventAddrUnreachable, mhB[0]) || !state(t, a, mhB[1]).Current {
		t.Fatalf("%+v", state(t, a, mhB[0]))
	}
}

// 8.1: Association.Max.Retrans counts timeouts on every path (T3-rtx and
// HEARTBEATs): with both networks dead, COMM_LOST after
// Association.Max.Retrans + 1 of them, spread over the paths.
func TestAssocMaxRetransAcrossPaths(t *testing.T) {
	m, a, _ := newMH(t, 2, 2, func(c *Config) { c.AssocMaxRetrans = 6; c.PathMaxRetrans = 3 })
	confirmed(t, m, a)
	sendSome(m, a, 5)
	m.cut(0, true)
	m.cut(1, true)
	m.run(10 * 60 * sec)
	evs := m.events(0)
	if a.State() != Closed || !slices.ContainsFunc(evs, func(e Event) bool { return e.Type == EventCommLost && e.TimedOut }) {
		t.Fatalf("%v %v", a.State(), evs)
	}
	sum, paths := 0, 0
	for _, pi := range a.Paths(nil) {
		sum += pi.Errors
		if pi.Errors > 0 {
			paths++
		}
	}
	if sum < 6 || paths != 2 {
		t.Fatalf("%d errors on %d paths, want at least 6 on 2", sum, paths)
	}
}

// PRIMARY_ADDR and SET_PEER_PRIMARY_ADDR.
func TestSetPrimary(t *testing.T) {
	m, a, _ := newMH(t, 2, 2, nil)
	if err := a.SetPrimary(mhB[1]); !errors.Is(err, ErrUnconfirmed) {
		t.Fatal(err)
	}
	confirmed(t, m, a)
	if err := a.SetPrimary(netip.MustParseAddr("198.18.9.9")); !errors.Is(err, ErrUnknownAddr) {
		t.Fatal(err)
	}
	if err := a.SetPeerPrimary(mhA[1]); !errors.Is(err, ErrNotSupported) {
		t.Fatal(err)
	}
	if err := a.SetPrimary(mhB[1]); err != nil {
		t.Fatal(err)
	}
	if !hasEvent(m.events(0), EventAddrMadePrim, mhB[1]) || a.Primary() != mhB[1] || !state(t, a, mhB[1]).Current {
		t.Fatal("primary not changed")
	}
	sendSome(m, a, 5)
	m.flush()
	for _, p := range m.log {
		if p.from == 0 && strings.Contains(p.chunks, "DATA") && p.dst != mhB[1] {
			t.Fatalf("DATA to %v", p.dst)
		}
	}
	if got := a.PeerAddrs(nil); got[0] != mhB[1] {
		t.Fatal(got)
	}
}

// 6.4: the SACK goes to the address the DATA came from.
func TestSackToDataSource(t *testing.T) {
	m, a, _ := newMH(t, 2, 2, nil)
	confirmed(t, m, a)
	if err := a.SetPrimary(mhB[1]); err != nil {
		t.Fatal(err)
	}
	sendSome(m, a, 4)
	m.run(m.now + sec)
	n := 0
	for _, p := range m.log {
		if p.from == 1 && strings.Contains(p.chunks, "SACK") {
			if p.dst != mhA[1] {
				t.Fatalf("SACK to %v", p.dst)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no SACK")
	}
}

// Path heartbeats allocate nothing: HEARTBEAT out, HEARTBEAT ACK back.
func TestAllocsHeartbeat(t *testing.T) {
	m, a, _ := newMH(t, 2, 2, nil)
	confirmed(t, m, a)
	buf := make([]byte, 0, 2048)
	round := func() {
		a.RequestHeartbeat(m.now, mhB[1])
		for i, e := range m.ep {
			for {
				pkt, dst, ok := e.NextPacket(m.now, buf[:0])
				if !ok {
					break
				}
				j := slices.Index(m.addrs[1-i], dst)
				m.ep[1-i].Receive(m.now, PacketInfo{Src: m.addrs[i][min(j, len(m.addrs[i])-1)], Dst: dst}, pkt)
			}
		}
		m.now += 1e6
	}
	for range 10 {
		round()
	}
	before := a.Stats.HeartbeatsAckd + m.ep[1].Assocs()[0].Stats.HeartbeatsAckd
	if n := testing.AllocsPerRun(200, round); n != 0 {
		t.Fatalf("%v allocations per heartbeat", n)
	}
	if state(t, a, mhB[1]).State != PathActive || m.ep[1].Assocs()[0].Stats.HeartbeatsAckd+a.Stats.HeartbeatsAckd == before {
		t.Fatal("heartbeats not answered")
	}
}

// The Heartbeat Info layout is ours alone; check its size.
func TestHeartbeatInfoLayout(t *testing.T) {
	var a Assoc
	if len(a.hbBuf) != 44 || binary.BigEndian.Uint32([]byte("HBV1")) != hbMagic {
		t.Fatal(len(a.hbBuf))
	}
}

// RFC 9260 5.1.2: an IPv4-mapped IPv6 address in an address list is the
// IPv4 address: one path, matched by packets over IPv4.
func TestMappedAddress(t *testing.T) {
	_, a, _ := newMH(t, 1, 1, nil)
	mapped := netip.AddrFrom16(mhB[1].As16())
	a.addPath(mapped, false)
	a.addPath(mhB[1], false)
	if n := len(a.Paths(nil)); n != 2 {
		t.Fatalf("%d paths", n)
	}
	if pi, ok := a.PathInfo(mapped); !ok || pi.Addr != mhB[1] || !pi.Addr.Is4() {
		t.Fatalf("%+v %v", pi, ok)
	}
}

// DATA both ways over a multi-homed pair with heartbeats on, SACKs to the
// DATA's source, and a Recv: 0 allocations per message in steady state.
func TestAllocsMultihomedData(t *testing.T) {
	m, a, b := newMH(t, 2, 2, nil)
	confirmed(t, m, a)
	if err := b.SetPrimary(mhA[1]); err != nil { // B's DATA and A's SACKs over network 1
		t.Fatal(err)
	}
	buf, rbuf, msg := make([]byte, 0, 2048), make([]byte, 2048), make([]byte, 1000)
	round := func() {
		a.Send(m.now, 0, 1, 0, msg)
		b.Send(m.now, 0, 1, 0, msg)
		for moved := true; moved; {
			moved = false
			for i, e := range m.ep {
				pkt, dst, ok := e.NextPacket(m.now, buf[:0])
				if !ok {
					continue
				}
				moved = true
				j := slices.Index(m.addrs[1-i], dst)
				m.ep[1-i].Receive(m.now, PacketInfo{Src: m.addrs[i][j], Dst: dst}, pkt)
			}
		}
		for _, x := range []*Assoc{a, b} {
			for {
				if _, _, ok := x.Recv(rbuf); !ok {
					break
				}
			}
		}
		m.now += 1e6
		for _, e := range m.ep {
			if d := e.Deadline(); d != 0 && d <= m.now {
				e.HandleTimeout(m.now)
			}
		}
	}
	for range 3000 {
		round()
	}
	if n := testing.AllocsPerRun(500, round); n != 0 {
		t.Fatalf("%v allocations per message", n)
	}
	if a.Stats.HeartbeatsSent == 0 || b.Stats.DataRecvOrdered < 3000 || a.Stats.DataRecvOrdered < 3000 {
		t.Fatalf("heartbeats %d, received %d/%d", a.Stats.HeartbeatsSent, a.Stats.DataRecvOrdered, b.Stats.DataRecvOrdered)
	}
}

// The multi-homing parameters: RFC 9260 16 defaults (Path.Max.Retrans 5,
// HB.Max.Burst 1, HB.interval 30 s), PF on the first timeout (RFC 7829),
// negative values refused.
func TestMultihomeConfig(t *testing.T) {
	c := Config{LocalPort: 1}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.PathMaxRetrans != 5 || c.HBMaxBurst != 1 || c.PFMaxRetrans != 0 || c.HBInterval != 30*time.Second {
		t.Fatalf("%+v", c)
	}
	for _, bad := range []Config{{LocalPort: 1, PathMaxRetrans: -1}, {LocalPort: 1, HBMaxBurst: -1}, {LocalPort: 1, HBInterval: -1}} {
		if err := bad.Validate(); !errors.Is(err, ErrConfig) {
			t.Fatalf("%+v: %v", bad, err)
		}
	}
	if PathPotentiallyFailed.String() != "POTENTIALLY_FAILED" || EventAddrMadePrim.String() != "ADDR_MADE_PRIM" {
		t.Fatal("names")
	}
}

// RFC 7829 6, Primary Path Switchover: past PSMaxRetrans the working
// alternate becomes the primary (ADDR_MADE_PRIM) and DATA stays there when
// the old primary is active again.
func TestPrimarySwitchover(t *testing.T) {
	m, a, _ := newMH(t, 2, 2, func(c *Config) { c.PrimarySwitchover = true })
	confirmed(t, m, a)
	sendSome(m, a, 10)
	m.cut(0, true)
	runSending(m, a, m.now+2*sec)
	if !hasEvent(m.events(0), EventAddrMadePrim, mhB[1]) || a.Primary() != mhB[1] {
		t.Fatalf("primary %v", a.Primary())
	}
	m.cut(0, false)
	runSending(m, a, m.now+20*sec)
	if !hasEvent(m.events(0), EventAddrAvailable, mhB[0]) || state(t, a, mhB[0]).Current || !state(t, a, mhB[1]).Current {
		t.Fatalf("%+v", state(t, a, mhB[0]))
	}
	bad := Config{LocalPort: 1, PrimarySwitchover: true, PFMaxRetrans: 2, PSMaxRetrans: 1}
	if err := bad.Validate(); !errors.Is(err, ErrConfig) {
		t.Fatal(err)
	}
}

// 8.1 with a dead secondary: its unanswered HEARTBEATs, once it is
// inactive, do not end an idle association whose primary works, even with
// the primary's heartbeats off.
func TestDeadSecondaryKeepsAssociation(t *testing.T) {
	m, a, _ := newMH(t, 2, 2, func(c *Config) { c.HBInterval = time.Second })
	confirmed(t, m, a)
	if err := a.SetHeartbeat(m.now, mhB[0], false); err != nil {
		t.Fatal(err)
	}
	m.cut(1, true)
	m.run(m.now + 30*60*sec)
	if a.State() != Established || state(t, a, mhB[1]).State != PathInactive || state(t, a, mhB[0]).State != PathActive {
		t.Fatalf("%v %+v", a.State(), state(t, a, mhB[1]))
	}
}

// 5.1.2: a listed peer address of a family we have no local address of
// is not made a path (it could only be probed in vain).
func TestAddressFamilies(t *testing.T) {
	_, a, _ := newMH(t, 1, 1, nil)
	v6 := netip.MustParseAddr("2001:2::1")
	a.addPath(v6, false)
	if _, ok := a.PathInfo(v6); ok {
		t.Fatal("IPv6 path without an IPv6 local address")
	}
	a.addPath(v6, true) // the user asked for it
	if _, ok := a.PathInfo(v6); !ok {
		t.Fatal("user's address refused")
	}
}

// TestAnnouncePeerFamily: with AnnouncePeerFamily (a wildcard endpoint's
// addresses) an IPv4 peer is told only our IPv4 addresses, and none when
// there is one (the packet's source stands for it, RFC 9260 5.1.2); without
// it every local address is announced.
func TestAnnouncePeerFamily(t *testing.T) {
	v6a, v6b := netip.MustParseAddr("2001:2::1"), netip.MustParseAddr("2001:2:0:1::1")
	for _, tc := range []struct {
		na     int
		filter bool
		want   []netip.Addr
	}{
		{2, true, mhA[:2]},
		{1, true, mhA[:1]},
		{1, false, []netip.Addr{mhA[0], v6a}},
	} {
		_, _, b := newMH(t, tc.na, 1, func(c *Config) {
			if c.LocalPort == portA {
				c.LocalAddrs = append(slices.Clone(c.LocalAddrs), v6a)
				c.AnnouncePeerFamily = tc.filter
			} else {
				c.LocalAddrs = append(slices.Clone(c.LocalAddrs), v6b)
			}
		})
		got := b.PeerAddrs(nil)
		slices.SortFunc(got, netip.Addr.Compare)
		want := slices.Clone(tc.want)
		slices.SortFunc(want, netip.Addr.Compare)
		if !slices.Equal(got, want) {
			t.Errorf("%d IPv4 addresses, filter %v: the peer knows %v, want %v", tc.na, tc.filter, got, want)
		}
	}
}

package sctpxdp

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/sctp-xdp/sctp-xdp/assoc"
	"github.com/sctp-xdp/sctp-xdp/fastpath"
)

// The one-to-many style (SOCK_SEQPACKET; RFC 6458 3, Solaris sctp(7p)):
// one endpoint, many associations, every message through the endpoint's
// SendMsg and RecvMsg with its association id.
//
// Receiving: each association keeps its own receive ring (conn.go); the
// poller that pushes into a member's ring also puts the association on the
// endpoint's ready queue, once (a flag says it is queued). RecvMsg takes
// one association from the queue, reads one message and puts it back at
// the tail if it has more: fair across associations, and no call ever
// scans them all. Notifications travel in each association's ring, so they
// stay in order with its data.

// ListenMany opens a one-to-many endpoint: associations peers open are
// accepted without Accept and show up in RecvMsg (with a COMM_UP
// notification when Config.Events has EventAssocChange); SendMsg to a peer
// address sets one up implicitly. Config.Assoc.AutoClose closes idle ones
// (SCTP_AUTOCLOSE). Endpoint.Dial still works and returns an association
// already peeled off (connect then sctp_peeloff).
func ListenMany(cfg Config) (*Endpoint, error) {
	cfg.oneToMany = true
	return open(cfg)
}

// manyState is a one-to-many endpoint's set of associations and its ready
// queue.
type manyState struct {
	ready  *fastpath.MPSC[*Assoc] // associations with something to read (pollers and RecvMsg push)
	ovMu   sync.Mutex             // guards over: the rare overflow of ready
	over   []*Assoc
	overN  atomic.Int32
	wake   chan struct{} // a push happened: a waiting RecvMsg looks again
	turn   uint32        // alternates ready and over (under rmu)
	mu     sync.Mutex    // guards the maps
	byID   map[uint32]*Assoc
	byPeer map[netip.AddrPort]*Assoc // every peer transport address of a member
	rmu    sync.Mutex                // RecvMsg callers take turns (the rings' one consumer)
	cur    *Assoc                    // a message partly read: RecvMsg continues it first
}

// readyQueue is the ready ring's size; beyond it (each association is queued
// at most once) the overflow list takes the rest.
const readyQueue = 1024

func newManyState() *manyState {
	r, _ := fastpath.NewMPSC[*Assoc](readyQueue, nil)
	return &manyState{ready: r, wake: make(chan struct{}, 1), byID: map[uint32]*Assoc{}, byPeer: map[netip.AddrPort]*Assoc{}}
}

// assocExt is what an Assoc carries for a one-to-many endpoint and the
// address calls.
type assocExt struct {
	member atomic.Bool      // in its one-to-many endpoint's set (not peeled off, not forgotten)
	queued atomic.Bool      // on the ready queue (or being read)
	keys   []netip.AddrPort // its entries in byPeer (under manyState.mu)
	peers  []netip.Addr     // peer addresses when it ended (set on the poller before closed)
}

// readyMany puts a member association on its endpoint's ready queue unless
// it is there already. The poller calls it after pushing into the
// association's ring and when the association ends; the flag makes it one
// push per reader's round, not one per message.
func (a *Assoc) readyMany() {
	if a.ext.member.Load() && a.ext.queued.CompareAndSwap(false, true) {
		a.ep.many.push(a)
	}
}

func (m *manyState) push(a *Assoc) {
	if !m.ready.Push(a) {
		m.ovMu.Lock()
		m.over = append(m.over, a)
		m.overN.Add(1)
		m.ovMu.Unlock()
	}
	signal(m.wake)
}

// pop takes the next ready association, or nil; under rmu.
func (m *manyState) pop() *Assoc {
	m.turn++
	if m.overN.Load() > 0 && (m.turn%2 == 0 || m.ready.Empty()) {
		m.ovMu.Lock()
		a := m.over[0]
		m.over[0] = nil
		m.over = m.over[1:]
		m.overN.Add(-1)
		m.ovMu.Unlock()
		return a
	}
	a, _ := m.ready.Pop()
	return a
}

// requeue ends a's turn: back to the tail if it has more to read (or its
// end to report), else its flag goes down, then one more look so a push
// that found the flag still up is not lost.
func (m *manyState) requeue(a *Assoc) {
	if m.hasMore(a) {
		m.push(a)
		return
	}
	a.ext.queued.Store(false)
	if m.hasMore(a) && a.ext.member.Load() && a.ext.queued.CompareAndSwap(false, true) {
		m.push(a)
	}
}

func (m *manyState) hasMore(a *Assoc) bool { return !a.rx.Empty() || isClosed(a) }

func isClosed(a *Assoc) bool {
	select {
	case <-a.closed:
		return true
	default:
		return false
	}
}

// adopt makes a passive open a member; it runs on the poller (from offer),
// before the COMM_UP notification is queued.
func (e *Endpoint) adopt(a *Assoc) bool {
	m := e.many
	port := a.eng.PeerPort()
	m.mu.Lock()
	m.byID[a.id] = a
	for _, p := range a.eng.PeerAddrs(nil) {
		k := netip.AddrPortFrom(p.Unmap(), port)
		m.byPeer[k] = a
		a.ext.keys = append(a.ext.keys, k)
	}
	m.mu.Unlock()
	a.ext.member.Store(true)
	e.track(a)
	return true
}

// forget drops a from the set: it ended and everything it received was
// read, or it is being peeled off (keep: still tracked by the endpoint).
func (e *Endpoint) forget(a *Assoc, keep bool) {
	m := e.many
	m.mu.Lock()
	if m.byID[a.id] == a {
		delete(m.byID, a.id)
	}
	for _, k := range a.ext.keys {
		if m.byPeer[k] == a {
			delete(m.byPeer, k)
		}
	}
	m.mu.Unlock()
	a.ext.member.Store(false)
	if !keep {
		e.untrack(a)
	}
}

func (e *Endpoint) manyOnly(call string) (*manyState, error) {
	if e.many == nil {
		return nil, fmt.Errorf("%w: %s needs a one-to-many endpoint (ListenMany)", ErrInvalid, call)
	}
	select {
	case <-e.done:
		return nil, ErrClosed
	default:
	}
	return e.many, nil
}

// lookup finds a member association by id.
func (m *manyState) lookup(id uint32) (*Assoc, error) {
	m.mu.Lock()
	a := m.byID[id]
	m.mu.Unlock()
	if a == nil {
		return nil, fmt.Errorf("%w: no association %d on this endpoint", ErrInvalid, id)
	}
	return a, nil
}

// SendMsg sends one message on a one-to-many endpoint (sendmsg, RFC 6458
// 3.1.4). With info.AssocID set it goes on that association and to is
// ignored. Otherwise to names the peer: with no association to it yet, one
// is set up implicitly and the message travels with the COOKIE ECHO (RFC
// 9260 5.1); SendMsg does not wait for the handshake (a failed setup shows
// as a CANT_STR_ASSOC notification). If an association with that peer
// address exists, its id is required: the error wraps ErrAddrInUse
// (Solaris sctp(7p)). The message is copied; back pressure and errors are
// as Assoc.SendMsg's.
func (e *Endpoint) SendMsg(ctx context.Context, to netip.AddrPort, info SndInfo, data []byte) error {
	m, err := e.manyOnly("Endpoint.SendMsg")
	if err != nil {
		return err
	}
	if info.AssocID != 0 {
		a, err := m.lookup(info.AssocID)
		if err != nil {
			return err
		}
		return a.SendMsg(ctx, info, data)
	}
	peer := to.Addr().Unmap()
	if !peer.IsValid() || peer.IsUnspecified() || peer.IsMulticast() || to.Port() == 0 {
		return fmt.Errorf("%w: destination %v (an association id or a unicast peer address and port are required)", ErrInvalid, to)
	}
	if len(data) == 0 || len(data) > maxMessage {
		return fmt.Errorf("%w: message of %d bytes (1 to %d)", ErrInvalid, len(data), maxMessage)
	}
	if info.special() {
		return fmt.Errorf("%w: the message setting an association up is a whole one (no EOR, EOF, Abort or TimeToLive)", ErrInvalid)
	}
	key := netip.AddrPortFrom(peer, to.Port())
	m.mu.Lock()
	if o := m.byPeer[key]; o != nil && !isClosed(o) {
		m.mu.Unlock()
		return fmt.Errorf("%w: association %d is with %v already: give its AssocID", ErrAddrInUse, o.id, to)
	}
	hs := e.ir.handlers
	a := newAssoc(e, hs[int(e.next.Add(1))%len(hs)])
	a.ext.keys = []netip.AddrPort{key}
	m.byID[a.id] = a
	m.byPeer[key] = a
	m.mu.Unlock()
	a.ext.member.Store(true)
	e.track(a)
	if err := e.implicitOpen(a, key, info, data); err != nil {
		e.forget(a, false)
		return fmt.Errorf("sctp-xdp: implicit association to %v: %w", to, err)
	}
	return nil
}

// implicitOpen starts a's handshake with the message already in the
// engine: queued before the INIT leaves, it is bundled with the COOKIE
// ECHO (RFC 9260 5.1, RFC 6458 3.1.4).
func (e *Endpoint) implicitOpen(a *Assoc, to netip.AddrPort, info SndInfo, data []byte) error {
	bp := getBuf(len(data))
	copy(*bp, data)
	a.txMu.Lock()
	a.tx.Push(txMsg{buf: bp, n: len(data), info: info}) // a new ring: room
	a.txBytes.Add(int64(len(data)))                     // popTx gives it back
	a.txMu.Unlock()
	peers := []netip.Addr{to.Addr()}
	err := a.onPoller(func(c *fastpath.Ctx, h *pollerHandler, _ *assoc.Assoc) error {
		pe := h.ports[e.port]
		as, err := pe.eng.Connect(c.Now, peers, to.Port())
		if err != nil {
			h.discardTx(a)
			return err
		}
		a.eng = as
		h.assocs[as] = a
		h.publish(pe, as, h.q) // as Dial: colliding INITs find it
		h.drainTx(c, a)        // COOKIE-WAIT takes DATA
		return nil
	})
	if err != nil {
		return err
	}
	if p := a.sendErr.Swap(nil); p != nil {
		a.Abort()
		return *p
	}
	return nil
}

// doneCtx is an ended context: Assoc.RecvMsg with it returns what its ring
// holds without waiting.
var doneCtx = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// RecvMsg returns the next message or notification of any association of a
// one-to-many endpoint (recvmsg, RFC 6458 3.1.5), RcvInfo.AssocID naming
// it. Associations take turns, one message each; each one's notifications
// come in order with its data (COMM_UP first for a new one). A message
// longer than buf continues in the next calls before any other
// association's (fragment interleave level 0, RFC 6458 8.1.20). It blocks
// until something arrives, ctx ends or the endpoint closes (ErrClosed).
func (e *Endpoint) RecvMsg(ctx context.Context, buf []byte) (int, RcvInfo, error) {
	m, err := e.manyOnly("Endpoint.RecvMsg")
	if err != nil {
		return 0, RcvInfo{}, err
	}
	for {
		n, info, ok, partial := e.tryRecv(buf)
		if ok {
			return n, info, nil
		}
		wait := m.wake
		if partial != nil {
			wait = partial.readable
		}
		select {
		case <-wait:
			if partial != nil && !partial.ext.member.Load() {
				// Peeled off meanwhile: the wake-up may be its own
				// reader's, queued behind us on the same channel.
				signal(partial.readable)
			}
		case <-e.done:
			return 0, RcvInfo{}, ErrClosed
		case <-ctx.Done():
			return 0, RcvInfo{}, ctx.Err()
		}
	}
}

// tryRecv reads one message if any association has one; otherwise it
// gives the association whose partly read message to wait for (nil: wait
// for the ready queue). rmu is held only here, never
// while waiting, so PeelOff never waits for a reader.
func (e *Endpoint) tryRecv(buf []byte) (n int, info RcvInfo, ok bool, partial *Assoc) {
	m := e.many
	m.rmu.Lock()
	defer m.rmu.Unlock()
	for {
		a := m.cur
		if a != nil && !a.ext.member.Load() {
			a, m.cur = nil, nil // peeled off in the middle of a message: the rest is its own
		}
		partial := a != nil
		if a == nil {
			if a = m.pop(); a == nil {
				return 0, RcvInfo{}, false, nil
			}
			if !a.ext.member.Load() {
				continue // peeled off while queued
			}
			if !m.ready.Empty() || m.overN.Load() > 0 {
				signal(m.wake) // another reader may take the next one
			}
		}
		n, info, err := a.RecvMsg(doneCtx, buf)
		if err != nil {
			if partial && !isClosed(a) {
				return 0, RcvInfo{}, false, a // the rest of the message is on its way
			}
			m.cur = nil
			if isClosed(a) && a.rx.Empty() {
				e.forget(a, false) // ended, everything read
				continue
			}
			m.requeue(a)
			continue
		}
		info.AssocID = a.id
		// The association's next message is not the endpoint's: the
		// associations take turns (RFC 6458 5.3.6 describes the socket's).
		info.HasNext, info.Next = false, NextInfo{}
		if info.Notification == nil && !info.EOR {
			m.cur = a
		} else {
			m.cur = nil
			m.requeue(a)
		}
		return n, info, true, nil
	}
}

// PeelOff branches the association id off a one-to-many endpoint
// (sctp_peeloff, RFC 6458 9.2): it no longer shows up in the endpoint's
// RecvMsg and is used as a one-to-one Assoc; what it received and was not
// read yet stays with it, in order. It still ends with the endpoint. Its
// SCTP_AUTOCLOSE is turned off (a one-to-many option, RFC 6458 8.1.8).
func (e *Endpoint) PeelOff(id uint32) (*Assoc, error) {
	m, err := e.manyOnly("PeelOff")
	if err != nil {
		return nil, err
	}
	a, err := m.lookup(id)
	if err != nil {
		return nil, err
	}
	m.rmu.Lock() // no reader is in the middle of one of its messages
	e.forget(a, true)
	if m.cur == a {
		m.cur = nil
	}
	m.rmu.Unlock()
	signal(a.readable) // its own reader looks at its ring
	a.peeledOff()      // one-to-one style: no SCTP_AUTOCLOSE (options.go)
	return a, nil
}

// Assocs lists the ids of a one-to-many endpoint's live associations,
// sorted (SCTP_GET_ASSOC_ID_LIST, RFC 6458 8.2.7); peeled-off ones are not
// listed.
func (e *Endpoint) Assocs() ([]uint32, error) {
	m, err := e.manyOnly("Assocs")
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	ids := make([]uint32, 0, len(m.byID))
	for id, a := range m.byID {
		if !isClosed(a) { // ended: RecvMsg forgets it once its messages are read
			ids = append(ids, id)
		}
	}
	m.mu.Unlock()
	slices.Sort(ids)
	return ids, nil
}

// Assoc gives the association id of a one-to-many endpoint, for its
// options, addresses, statistics, Shutdown and Abort. It stays in the
// endpoint: read its messages through Endpoint.RecvMsg (PeelOff to read
// them on the Assoc).
func (e *Endpoint) Assoc(id uint32) (*Assoc, error) {
	m, err := e.manyOnly("Assoc")
	if err != nil {
		return nil, err
	}
	return m.lookup(id)
}

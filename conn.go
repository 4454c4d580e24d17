package sctpxdp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sctp-xdp/sctp-xdp/assoc"
	"github.com/sctp-xdp/sctp-xdp/fastpath"
)

// SndInfo says how a message is sent (RFC 6458 5.3.4).
type SndInfo struct {
	Stream    uint16
	PPID      uint32
	Unordered bool
	// AssocID picks the association of a one-to-many endpoint's SendMsg
	// (snd_assoc_id); Assoc.SendMsg ignores it.
	AssocID uint32
	// Context is an opaque value of the caller's (snd_context); 0 takes
	// the association's (SCTP_CONTEXT, Assoc.SetContext).
	Context uint32
	// TimeToLive bounds the message's life (RFC 6458 5.3.7 sctp_prinfo,
	// PR-SCTP): not supported yet, non-zero is refused (ErrNotSupported).
	TimeToLive time.Duration
	// EOR ends the message being built with Assoc.SetExplicitEOR on
	// (SCTP_EOR); otherwise every call is a whole message.
	EOR bool
	// EOF starts a graceful shutdown after this message, which may be
	// empty (SCTP_EOF).
	EOF bool
	// Abort ends the association with an ABORT carrying data as the
	// reason, at most 512 bytes (SCTP_ABORT).
	Abort bool
}

// RcvInfo describes a received message or part of one (RFC 6458 5.3.5).
type RcvInfo struct {
	// AssocID is the association's id (rcv_assoc_id; Assoc.ID).
	AssocID   uint32
	Stream    uint16
	SSN       uint16
	PPID      uint32
	TSN       uint32
	Unordered bool
	// EOR marks the read that ends the message (RFC 6458 MSG_EOR).
	EOR bool
	// CumTSN is the Cumulative TSN Ack Point when the message was read,
	// and Context the association's (rcv_cumtsn, rcv_context).
	CumTSN, Context uint32
	// Next describes the message after this one when HasNext (RFC 6458
	// 5.3.6 sctp_nxtinfo): with Assoc.SetRecvNextInfo on, on the read that
	// ends a message, if the next one has arrived.
	Next    NextInfo
	HasNext bool
	// Notification, when not nil, makes this read a notification (RFC 6458
	// MSG_NOTIFICATION) instead of data: n is 0. Config.Events enables them.
	Notification *Notification
}

// Assoc is an association. Its methods are safe for concurrent use.
// Messages travel between the caller and the poller that owns the
// association through two lock-free rings (one each way); control calls
// are requests on the poller's ring.
type Assoc struct {
	ep *Endpoint
	h  *pollerHandler
	// eng and the fields below it up to the rings belong to the poller.
	eng             *assoc.Assoc
	txMsg           txMsg // taken from tx, waiting for room in the engine
	txPending       bool
	shutdownAfterTx bool
	rxHeld          rxMsg // taken from the engine, waiting for room in rx
	rxHeldOK        bool
	rxBacklog       []rxMsg // data and notifications queued behind rxHeld, in order

	tx        *fastpath.SPSC[txMsg] // SendMsg → poller
	txMu      sync.Mutex            // SendMsg callers take turns as the producer
	txBytes   atomic.Int64          // bytes in tx (txBudget)
	rx        *fastpath.SPSC[rxMsg] // poller → RecvMsg
	rxMu      sync.Mutex            // RecvMsg callers take turns as the consumer
	rxCur     rxMsg                 // being read (a message longer than the caller's buffer)
	rxOff     int
	kick      kickMsg
	kicked    atomic.Bool // a kick is on its way to the poller
	rxStalled atomic.Bool // the poller found rx full
	sendErr   atomic.Pointer[error]

	mu   sync.Mutex // one request in flight
	req  assocReq
	done chan struct{}

	up, closed         chan struct{}
	upOnce, closedOnce sync.Once
	err                error // why it closed; valid once closed is closed
	readable, writable chan struct{}
	ownsEndpoint       bool        // made by the package-level Dial
	final              assoc.Stats // the counts when it ended (set on the poller before closed)
	finalGather        assoc.Stats // GatherAndReset's last period (set on the poller; then under mu)
	id                 uint32
	peer               netip.Addr // primary peer address at COMM_UP (set on the poller before up)
	aborting           bool       // we sent the ABORT (poller only)
	ext                assocExt   // one-to-many membership, last known addresses (endpoint_many.go)
	opt                assocOpts  // socket options kept in the API layer (options.go)
}

// Ring sizes, in messages, each way.
const ringMessages = 256

type txMsg struct {
	buf  *[]byte
	n    int
	info SndInfo
}

type rxMsg struct {
	buf   *[]byte
	n     int
	info  assoc.RecvInfo
	notif *Notification // a notification instead of data
}

func newAssoc(e *Endpoint, h *pollerHandler) *Assoc {
	a := &Assoc{ep: e, h: h, id: e.nextID.Add(1), done: make(chan struct{}, 1), up: make(chan struct{}), closed: make(chan struct{}),
		readable: make(chan struct{}, 1), writable: make(chan struct{}, 1)}
	a.tx, _ = fastpath.NewSPSC[txMsg](ringMessages, nil)
	a.rx, _ = fastpath.NewSPSC[rxMsg](ringMessages, nil)
	a.kick.a = a
	// Config.Assoc.DisableFragments is SCTP_DISABLE_FRAGMENTS from the
	// start: SendMsg checks the size itself (RFC 6458 8.1.11), as after
	// SetDisableFragments.
	a.opt.noFrag = e.cfg.Assoc.DisableFragments
	a.opt.sendOpts.Store(a.opt.noFrag)
	return a
}

// kickPoller makes the owning poller look at the rings (once per flip of
// the flag: its control ring never fills with kicks).
func (a *Assoc) kickPoller() {
	if !a.kicked.CompareAndSwap(false, true) {
		return
	}
	pushUntil(func() bool { return a.h.poller.Send(&a.kick) }, a.ep.ir.closed, 100*time.Microsecond)
}

func (a *Assoc) setSendErr(err error) { a.sendErr.CompareAndSwap(nil, &err) }

func (a *Assoc) setUp() { a.upOnce.Do(func() { close(a.up) }) }

// finish runs on the poller when the association ends.
func (a *Assoc) finish(err error) {
	a.closedOnce.Do(func() {
		a.err = err
		close(a.closed)
		signal(a.readable)
		a.readyMany() // a one-to-many endpoint's RecvMsg learns of the end
		signal(a.writable)
	})
}

// call sends a.req to the owning poller and waits for it; a.mu is held.
// Once the endpoint is deregistered calls end with ErrClosed (after
// Close, a deferred Abort is harmless); a poller that stopped for good
// never answers, so the wait ends with the runtime too.
func (a *Assoc) call() error {
	select {
	case <-a.ep.stopped:
		return ErrClosed
	default:
	}
	if !pushUntil(func() bool { return a.h.poller.Send(&a.req) }, a.ep.ir.closed, 100*time.Microsecond) {
		return ErrClosed
	}
	select {
	case <-a.done:
		return a.req.err
	case <-a.ep.ir.closed:
		return ErrClosed
	}
}

// SendMsg queues one message: the data is copied, so buf may be reused at
// once. It blocks while the queue is full (back pressure), until ctx ends.
// A message SendMsg accepted is delivered even if the association is shut
// down gracefully right after; an error the engine found with an earlier
// message (an invalid stream, say) is returned by the next call.
func (a *Assoc) SendMsg(ctx context.Context, info SndInfo, data []byte) error {
	if info.special() || a.opt.sendOpts.Load() {
		return a.sendOpt(ctx, info, data) // options.go
	}
	return a.queueMsg(ctx, info, data)
}

// queueMsg is SendMsg without the options of options.go.
func (a *Assoc) queueMsg(ctx context.Context, info SndInfo, data []byte) error {
	if p := a.sendErr.Swap(nil); p != nil {
		return *p
	}
	if len(data) > maxMessage {
		return fmt.Errorf("%w: message of %d bytes (at most %d)", ErrInvalid, len(data), maxMessage)
	}
	select {
	case <-a.closed:
		return a.closedErr()
	default:
	}
	bp := getBuf(len(data))
	copy(*bp, data)
	m := txMsg{buf: bp, n: len(data), info: info}
	a.txMu.Lock()
	for !a.txRoom(m.n) || !a.tx.Push(m) {
		a.txMu.Unlock()
		a.kickPoller()
		select {
		case <-a.writable:
		case <-a.closed:
			putBuf(bp)
			return a.closedErr()
		case <-ctx.Done():
			putBuf(bp)
			return ctx.Err()
		}
		a.txMu.Lock()
	}
	a.txBytes.Add(int64(m.n))
	a.txMu.Unlock()
	a.kickPoller()
	return nil
}

// txBudget bounds the bytes waiting in an association's send ring (on top
// of the engine's send buffer), so that back pressure starts at about the
// same point for 100-byte and 256 KiB messages: the ring's 256 slots alone
// would hold 64 MiB of the latter.
const txBudget = 1 << 20

// txRoom reports whether n more bytes fit the send ring's budget; a message
// always fits an empty ring. Called by the producer (txMu held).
func (a *Assoc) txRoom(n int) bool {
	q := a.txBytes.Load()
	return q == 0 || q+int64(n) <= txBudget
}

// wakeWriter is the poller's signal, after taking messages off the send
// ring, to a SendMsg blocked on it: sent only once the ring has drained to
// half its slots and half its byte budget (hysteresis). A producer far
// ahead of the network then wakes once per half ring instead of once per
// SACK that makes a little room: each wake-up of a parked goroutine costs
// a thread wake-up and sleep, more than the few messages it would push.
// At half, any message fits (maxMessage is at most txBudget/2), so a woken
// producer always makes progress.
func (a *Assoc) wakeWriter() {
	if a.tx.Len() <= a.tx.Cap()/2 && a.txBytes.Load() <= txBudget/2 {
		signal(a.writable)
	}
}

// wakeWriter's promise that any message fits at half the budget.
var _ [txBudget/2 - maxMessage]struct{}

// popTx takes the next message off the send ring (the poller, or a test in
// its place) and gives its bytes back to the budget.
func (a *Assoc) popTx() (txMsg, bool) {
	m, ok := a.tx.Pop()
	if ok {
		a.txBytes.Add(-int64(m.n))
	}
	return m, ok
}

// RecvMsg reads the next message, or the next part of one larger than buf
// (RcvInfo.EOR marks the last part). It blocks until data arrives, the
// association ends (io.EOF after a graceful shutdown, once everything
// received has been read) or ctx ends.
func (a *Assoc) RecvMsg(ctx context.Context, buf []byte) (int, RcvInfo, error) {
	a.rxMu.Lock()
	defer a.rxMu.Unlock()
	for {
		if a.rxCur.buf != nil {
			m := &a.rxCur
			n := copy(buf, (*m.buf)[a.rxOff:m.n])
			a.rxOff += n
			done := a.rxOff == m.n
			ri := RcvInfo{Stream: m.info.Stream, SSN: m.info.SSN, PPID: m.info.PPID, TSN: m.info.TSN,
				Unordered: m.info.Unordered, EOR: m.info.EOR && done}
			a.fillRcvInfo(&ri, m, done) // options.go
			if done {
				putBuf(m.buf)
				a.rxCur, a.rxOff = rxMsg{}, 0
			}
			return n, ri, nil
		}
		if m, ok := a.rx.Pop(); ok {
			if a.rxStalled.Swap(false) {
				a.kickPoller() // room for what the poller holds
			}
			if m.notif != nil {
				return 0, a.notifInfo(m.notif), nil
			}
			a.rxCur = m
			continue
		}
		select {
		case <-a.readable:
		case <-a.closed:
			// Everything received before the end was pushed before closed
			// was closed: one more look, then the end.
			if m, ok := a.rx.Pop(); ok {
				if m.notif != nil {
					return 0, a.notifInfo(m.notif), nil
				}
				a.rxCur = m
				continue
			}
			return 0, RcvInfo{}, a.eofErr()
		case <-ctx.Done():
			return 0, RcvInfo{}, ctx.Err()
		}
	}
}

// Shutdown closes the association gracefully (RFC 9260 9.2: what was sent
// is delivered first) and waits for the SHUTDOWN COMPLETE, or ctx.
func (a *Assoc) Shutdown(ctx context.Context) error {
	if a.pendingRecord() {
		// A record begun with explicit EOR cannot be completed any more,
		// and delivering it cut would pass a part for a whole: the peer
		// gets an ABORT instead (as FreeBSD does for a partial message
		// left at close).
		a.abort([]byte("incomplete record at shutdown (SCTP_EXPLICIT_EOR)"))
		return fmt.Errorf("%w: a record sent with explicit EOR had no end", ErrAborted)
	}
	a.mu.Lock()
	a.req = assocReq{a: a, kind: reqShutdown}
	err := a.call()
	a.mu.Unlock()
	if err != nil && !errors.Is(err, ErrClosed) {
		select {
		case <-a.closed:
		default:
			return a.mapErr(err)
		}
	}
	select {
	case <-a.closed:
		a.release()
		if a.err != nil {
			return a.err
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Abort ends the association at once with an ABORT (RFC 9260 9.1); queued
// data is discarded.
func (a *Assoc) Abort() error {
	a.abort(nil)
	return nil
}

// abort sends the ABORT (with reason as its User-Initiated Abort cause, if
// any), waits a moment for the end and forgets the association.
func (a *Assoc) abort(reason []byte) error {
	a.mu.Lock()
	a.req = assocReq{a: a, kind: reqAbort, reason: reason}
	err := a.call()
	a.mu.Unlock()
	select {
	case <-a.closed:
	case <-time.After(time.Second):
	}
	a.release()
	return err
}

// Close shuts the association down gracefully within CloseTimeout, then
// aborts it.
func (a *Assoc) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), CloseTimeout)
	defer cancel()
	if err := a.Shutdown(ctx); err != nil {
		a.Abort()
		return err
	}
	return nil
}

// release forgets the association; an endpoint made by Dial closes with it.
func (a *Assoc) release() {
	a.ep.untrack(a)
	if a.ownsEndpoint {
		a.ownsEndpoint = false
		go a.ep.Close()
	}
}

// Stats returns the association's counters (Solaris' SCTP_GET_ASSOC_STATS
// fields and more); after the end, the last ones.
func (a *Assoc) Stats() assoc.Stats {
	select {
	case <-a.closed:
		return a.final
	default:
	}
	a.mu.Lock()
	a.req = assocReq{a: a, kind: reqStats}
	err := a.call()
	st := a.req.stats
	a.mu.Unlock()
	if err != nil { // it ended meanwhile: closed is closed or about to be
		select {
		case <-a.closed:
			return a.final
		case <-time.After(time.Second):
		}
	}
	return st
}

// Err is why the association ended (nil after a graceful shutdown), once
// it has.
func (a *Assoc) Err() error {
	select {
	case <-a.closed:
		return a.err
	default:
		return nil
	}
}

func (a *Assoc) closedErr() error {
	if a.err != nil {
		return a.err
	}
	return ErrClosed
}

func (a *Assoc) eofErr() error {
	if a.err != nil {
		return a.err
	}
	return io.EOF
}

func (a *Assoc) mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, assoc.ErrState):
		return a.closedErr()
	case errors.Is(err, assoc.ErrStream), errors.Is(err, assoc.ErrMessageSize):
		return errors.Join(ErrInvalid, err)
	}
	return err
}

package sctpxdp

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sctp-xdp/sctp-xdp/assoc"
)

// SndInfo says how a message is sent (RFC 6458 5.3.4).
type SndInfo struct {
	Stream    uint16
	PPID      uint32
	Unordered bool
}

// RcvInfo describes a received message or part of one (RFC 6458 5.3.5).
type RcvInfo struct {
	Stream    uint16
	SSN       uint16
	PPID      uint32
	TSN       uint32
	Unordered bool
	// EOR marks the read that ends the message (RFC 6458 MSG_EOR).
	EOR bool
}

// Assoc is an association. Its methods are safe for concurrent use: each
// is a request to the poller that owns the association.
type Assoc struct {
	ep *Endpoint
	h  *pollerHandler
	// eng belongs to the poller's goroutine.
	eng *assoc.Assoc

	mu   sync.Mutex // one request in flight
	req  assocReq
	done chan struct{}

	up, closed         chan struct{}
	upOnce, closedOnce sync.Once
	err                error // why it closed; valid once closed is closed
	readable, writable chan struct{}
	wantWrite          atomic.Bool
	ownsEndpoint       bool        // made by the package-level Dial
	final              assoc.Stats // the counts when it ended (set on the poller before closed)
}

func newAssoc(e *Endpoint, h *pollerHandler) *Assoc {
	return &Assoc{ep: e, h: h, done: make(chan struct{}, 1), up: make(chan struct{}), closed: make(chan struct{}),
		readable: make(chan struct{}, 1), writable: make(chan struct{}, 1)}
}

func (a *Assoc) setUp() { a.upOnce.Do(func() { close(a.up) }) }

// finish runs on the poller when the association ends.
func (a *Assoc) finish(err error) {
	a.closedOnce.Do(func() {
		a.err = err
		close(a.closed)
		signal(a.readable)
		signal(a.writable)
	})
}

// call sends a.req to the owning poller and waits for it; a.mu is held.
func (a *Assoc) call() error {
	p := a.ep.ir.rt.Group().Pollers()[a.h.q]
	for !p.Send(&a.req) {
		time.Sleep(100 * time.Microsecond)
	}
	<-a.done
	return a.req.err
}

// SendMsg queues one message; it blocks while the send buffer is full,
// until ctx ends. Messages it accepted are delivered even if the
// association is shut down gracefully right after.
func (a *Assoc) SendMsg(ctx context.Context, info SndInfo, data []byte) error {
	for {
		a.mu.Lock()
		a.req = assocReq{a: a, kind: reqSend, send: info, buf: data}
		err := a.call()
		a.req.buf = nil
		a.mu.Unlock()
		if !errors.Is(err, assoc.ErrWouldBlock) {
			return a.mapErr(err)
		}
		select {
		case <-a.writable:
		case <-a.closed:
			return a.closedErr()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// RecvMsg reads the next message, or the next part of one larger than buf
// (RcvInfo.EOR marks the last part). It blocks until data arrives, the
// association ends (io.EOF after a graceful shutdown) or ctx ends.
func (a *Assoc) RecvMsg(ctx context.Context, buf []byte) (int, RcvInfo, error) {
	for {
		a.mu.Lock()
		a.req = assocReq{a: a, kind: reqRecv, buf: buf}
		err := a.call()
		r := a.req
		a.req.buf = nil
		a.mu.Unlock()
		if r.ok {
			return r.n, RcvInfo{Stream: r.info.Stream, SSN: r.info.SSN, PPID: r.info.PPID, TSN: r.info.TSN,
				Unordered: r.info.Unordered, EOR: r.info.EOR}, nil
		}
		if err != nil {
			if err == io.EOF {
				return 0, RcvInfo{}, a.eofErr()
			}
			return 0, RcvInfo{}, a.mapErr(err)
		}
		select {
		case <-a.readable:
		case <-ctx.Done():
			return 0, RcvInfo{}, ctx.Err()
		}
	}
}

// Shutdown closes the association gracefully (RFC 9260 9.2: what was sent
// is delivered first) and waits for the SHUTDOWN COMPLETE, or ctx.
func (a *Assoc) Shutdown(ctx context.Context) error {
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
	a.mu.Lock()
	a.req = assocReq{a: a, kind: reqAbort}
	a.call()
	a.mu.Unlock()
	select {
	case <-a.closed:
	case <-time.After(time.Second):
	}
	a.release()
	return nil
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

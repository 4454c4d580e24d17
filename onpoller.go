package sctpxdp

import (
	"github.com/sctp-xdp/sctp-xdp/assoc"
	"github.com/sctp-xdp/sctp-xdp/fastpath"
)

// Calls that run a function on a poller: the way for API calls (socket
// options, address lists, status) to read or change what only the poller
// may touch. They are control-path calls: the closure allocates.

// pollerFunc is a function run on a poller for an Assoc (a nil engine
// means the association has ended: the function sees eng == nil).
type pollerFunc func(c *fastpath.Ctx, h *pollerHandler, eng *assoc.Assoc) error

// portFunc is a function run on a poller for an endpoint's engine there.
type portFunc struct {
	ep   *Endpoint // the port may have passed to another endpoint meanwhile
	port uint16
	fn   func(c *fastpath.Ctx, h *pollerHandler, pe *portEngine) error
	done chan error
}

// onPoller runs fn on the poller that owns a and returns its error. After
// the association ended fn still runs, with a nil engine; after the
// endpoint closed it returns ErrClosed without running fn.
func (a *Assoc) onPoller(fn pollerFunc) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.req = assocReq{a: a, kind: reqFunc, fn: fn}
	return a.call()
}

// onPollers runs fn on every poller for the endpoint's engine there, one
// poller after the other, and returns the first error.
func (e *Endpoint) onPollers(fn func(c *fastpath.Ctx, h *pollerHandler, pe *portEngine) error) error {
	for _, h := range e.ir.handlers {
		select {
		case <-e.stopped:
			return ErrClosed
		default:
		}
		req := &portFunc{ep: e, port: e.port, fn: fn, done: make(chan error, 1)}
		if err := e.control(h, req, req.done); err != nil {
			return err
		}
	}
	return nil
}

// runPortFunc answers a portFunc on the poller.
func (h *pollerHandler) runPortFunc(c *fastpath.Ctx, r *portFunc) {
	pe := h.ports[r.port]
	if pe == nil || pe.ep != r.ep {
		r.done <- ErrClosed
		return
	}
	err := r.fn(c, h, pe)
	pe.dirty = true
	r.done <- err
}

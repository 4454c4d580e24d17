package sctpxdp

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sctp-xdp/sctp-xdp/internal/caps"
)

// Endpoint is a local SCTP port on an interface, one-to-one style: Accept
// returns each association a peer opens, Dial opens one. It joins the
// interface's runtime (the XDP program, sockets and pollers), shared with
// the other endpoints on the interface; the last one to close detaches.
type Endpoint struct {
	cfg   Config
	ir    *ifaceRuntime
	port  uint16
	addrs []netip.Addr // registered with the XDP program (the unspecified ones for the wildcard)

	acceptq chan *Assoc
	done    chan struct{}
	stopped chan struct{} // closed once deregistered from the pollers
	once    sync.Once
	next    atomic.Uint32 // poller for the next active open

	mu     sync.Mutex
	assocs map[*Assoc]struct{}

	nextID   atomic.Uint32 // association ids
	statsMu  sync.Mutex    // one stats read at a time; guards the two below
	retired  portStats     // the pollers' counters, handed back at close
	rtClosed bool          // deregistered: the pollers no longer know the port

	many *manyState // one-to-many style (ListenMany, endpoint_many.go); nil for one-to-one
}

// acceptBacklog bounds the passive opens waiting for Accept (listen(2)'s
// backlog; Linux's somaxconn default since 5.4): a burst of a thousand
// clients overflowed 128 between two Accepts, and an overflow ABORTs the
// new association. It costs 8 bytes a slot, on listening endpoints only.
const acceptBacklog = 4096

// Listen opens an endpoint that accepts associations.
func Listen(cfg Config) (*Endpoint, error) { return open(cfg) }

func open(cfg Config) (*Endpoint, error) { return openBacklog(cfg, acceptBacklog) }

// openBacklog opens an endpoint whose Accept queue holds backlog
// associations; 0 refuses passive opens (the ABORT of a full backlog).
func openBacklog(cfg Config, backlog int) (*Endpoint, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Port != 0 && cfg.Port < 1024 && !caps.Has(caps.NetBindService) {
		return nil, fmt.Errorf("%w: port %d needs CAP_NET_BIND_SERVICE", ErrPermission, cfg.Port)
	}
	ir, port, err := acquireRuntime(&cfg, cfg.Port)
	if err != nil {
		return nil, err
	}
	e := &Endpoint{cfg: cfg, ir: ir, port: port, stopped: make(chan struct{}), acceptq: make(chan *Assoc, backlog),
		done: make(chan struct{}), assocs: map[*Assoc]struct{}{}}
	if cfg.oneToMany {
		e.many = newManyState() // before the pollers know the port: passive opens come at once
	}
	ac := cfg.Assoc
	ac.LocalPort = port
	if len(cfg.Addrs) > 1 {
		ac.LocalAddrs = cfg.Addrs
	}
	if len(cfg.Addrs) == 0 {
		// The wildcard announces the interface's addresses as they are
		// now, in the peer's family (assoc.Config.AnnouncePeerFamily):
		// packets to a peer may leave from any of them. Addresses the
		// interface gains later are not announced (no ASCONF).
		ac.LocalAddrs = expandAddrs(ir, []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified()})
		ac.AnnouncePeerFamily = true
	}
	for _, h := range ir.handlers {
		req := &addPortReq{ep: e, cfg: ac, done: make(chan error, 1)}
		if err := e.control(h, req, req.done); err != nil {
			e.closeRuntime()
			return nil, fmt.Errorf("sctp-xdp: %w", err)
		}
	}
	if err := e.addSlowPort(ac); err != nil { // before steering: INITs come at once (slowpath.go)
		e.closeRuntime()
		return nil, fmt.Errorf("sctp-xdp: %w", err)
	}
	e.addrs = cfg.Addrs
	if len(e.addrs) == 0 {
		e.addrs = []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified()}
	}
	for i, a := range e.addrs {
		if err := ir.rt.AddEndpoint(a, port); err != nil {
			e.addrs = e.addrs[:i]
			e.closeRuntime()
			return nil, fmt.Errorf("sctp-xdp: %w", err)
		}
	}
	return e, nil
}

// control sends a message to a poller and waits for its answer.
// Once the runtime has closed nobody answers: ErrClosed.
func (e *Endpoint) control(h *pollerHandler, msg any, done chan error) error {
	if !pushUntil(func() bool { return h.poller.Send(msg) }, e.ir.closed, time.Millisecond) {
		return ErrClosed
	}
	err, ok := awaitRuntime(e, done)
	if !ok {
		return ErrClosed
	}
	return err
}

// Port is the endpoint's local port.
func (e *Endpoint) Port() uint16 { return e.port }

// offer hands a new association to Accept; false when the backlog is full
// or the endpoint closed. It runs on a poller.
func (e *Endpoint) offer(a *Assoc) bool {
	select {
	case <-e.done:
		return false
	default:
	}
	if e.many != nil {
		return e.adopt(a)
	}
	select {
	case e.acceptq <- a:
		e.track(a)
		return true
	default:
		return false
	}
}

func (e *Endpoint) track(a *Assoc) {
	e.mu.Lock()
	e.assocs[a] = struct{}{}
	e.mu.Unlock()
}

func (e *Endpoint) untrack(a *Assoc) {
	e.mu.Lock()
	delete(e.assocs, a)
	e.mu.Unlock()
}

// Accept waits for an association a peer opened.
func (e *Endpoint) Accept(ctx context.Context) (*Assoc, error) {
	if e.many != nil {
		return nil, fmt.Errorf("%w: Accept on a one-to-many endpoint (associations come through RecvMsg)", ErrInvalid)
	}
	select {
	case a := <-e.acceptq:
		return a, nil
	case <-e.done:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Dial opens an association from this endpoint to peers (the first is the
// primary; all must be addresses of one peer) at port, and waits until it
// is established. With several peers it is sctp_connectx (RFC 6458 9.9):
// the INIT goes to the first, and the association knows every one as a
// path from the start. On a one-to-many endpoint the association comes
// back peeled off (endpoint_many.go).
func (e *Endpoint) Dial(ctx context.Context, port uint16, peers ...netip.Addr) (*Assoc, error) {
	if len(peers) == 0 || port == 0 {
		return nil, fmt.Errorf("%w: a peer address and port are required", ErrInvalid)
	}
	hs := e.ir.handlers
	h := hs[int(e.next.Add(1))%len(hs)]
	a := newAssoc(e, h)
	a.mu.Lock()
	a.req = assocReq{a: a, kind: reqDial, peers: peers, port: port}
	err := a.call()
	a.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("sctp-xdp: dial: %w", err)
	}
	e.track(a)
	select {
	case <-a.up:
		if e.many != nil {
			a.peeledOff() // one-to-one style: no SCTP_AUTOCLOSE (options.go)
		}
		return a, nil
	case <-a.closed:
		return nil, fmt.Errorf("sctp-xdp: dial %v: %w", peers[0], a.err)
	case <-ctx.Done():
		a.Abort()
		return nil, ctx.Err()
	}
}

// Dial opens an association to peer from an ephemeral port of cfg's
// interface; closing the association closes that endpoint.
func Dial(ctx context.Context, cfg Config, peer netip.AddrPort, more ...netip.Addr) (*Assoc, error) {
	cfg.Port = 0
	e, err := openBacklog(cfg, 0) // it does not listen: no Accept queue
	if err != nil {
		return nil, err
	}
	a, err := e.Dial(ctx, peer.Port(), append([]netip.Addr{peer.Addr()}, more...)...)
	if err != nil {
		e.Close()
		return nil, err
	}
	a.ownsEndpoint = true
	return a, nil
}

// CloseTimeout bounds the graceful shutdown of an endpoint's associations
// in Close; then they are aborted.
var CloseTimeout = 5 * time.Second

// Close shuts the endpoint's associations down gracefully (everything
// accepted by SendMsg is delivered) within CloseTimeout, aborts those left,
// and deregisters the endpoint; the last endpoint on an interface detaches
// the XDP program.
func (e *Endpoint) Close() error {
	var err error
	e.once.Do(func() {
		close(e.done)
		e.mu.Lock()
		var as []*Assoc
		for a := range e.assocs {
			as = append(as, a)
		}
		e.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), CloseTimeout)
		var wg sync.WaitGroup
		for _, a := range as {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if a.Shutdown(ctx) != nil {
					a.Abort()
				}
			}()
		}
		wg.Wait()
		cancel()
		err = e.closeRuntime()
	})
	return err
}

func (e *Endpoint) closeRuntime() error {
	e.statsMu.Lock()
	defer e.statsMu.Unlock()
	e.rtClosed = true
	var errs []error
	for _, a := range e.addrs {
		errs = append(errs, e.ir.rt.RemoveEndpoint(a, e.port))
	}
	e.removeSlowPort() // first: no new hand-overs; those in flight find no port (slowpath.go)
	for _, h := range e.ir.handlers {
		req := &removePortReq{port: e.port, done: make(chan error, 1)}
		errs = append(errs, e.control(h, req, req.done))
		e.retired.add(&req.stats)
	}
	errs = append(errs, e.ir.release(e.port))
	close(e.stopped) // no poller answers for this endpoint any more
	return errors.Join(errs...)
}

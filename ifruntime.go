package sctpxdp

import (
	"crypto/rand"
	"errors"
	"fmt"
	"sync"

	"github.com/sctp-xdp/sctp-xdp/bpf"
	"github.com/sctp-xdp/sctp-xdp/fastpath"
)

// ifaceRuntime is the fastpath runtime of one interface, shared by every
// endpoint on it (design.md section 3), with the protocol handler of each
// poller.
type ifaceRuntime struct {
	key      ifaceKey
	rt       *fastpath.Runtime
	handlers []*pollerHandler
	keys     *cookieKeeper // the State Cookie keys of every port's holders (cookiekey.go)
	refs     int           // endpoints using it; guarded by ifaces.Mutex
	ports    map[uint16]bool
	closed   chan struct{}      // closed once the pollers have stopped for good
	slow     *slowPath          // INIT and COOKIE ECHO of no association (slowpath.go)
	sp       *fastpath.SlowPath // its goroutine's ring (kept: Group() is gone once the runtime closes)
}

type ifaceKey struct{ netns, iface string }

var ifaces = struct {
	sync.Mutex
	m map[ifaceKey]*ifaceRuntime
}{m: map[ifaceKey]*ifaceRuntime{}}

// acquireRuntime returns the interface's runtime, opening it for the first
// endpoint, and reserves port on it (0: an ephemeral port, returned).
func acquireRuntime(cfg *Config, port uint16) (*ifaceRuntime, uint16, error) {
	ifaces.Lock()
	defer ifaces.Unlock()
	k := ifaceKey{cfg.NetNS, cfg.Interface}
	ir := ifaces.m[k]
	if ir == nil {
		keys, err := newCookieKeeper(cfg.cookieKeyLife())
		if err != nil {
			return nil, 0, err
		}
		ir = &ifaceRuntime{key: k, keys: keys, ports: map[uint16]bool{}, closed: make(chan struct{})}
		ir.slow = newSlowPath(ir)
		rt, err := fastpath.OpenRuntime(fastpath.RuntimeConfig{Interface: cfg.Interface, NetNS: cfg.NetNS,
			Queues: cfg.Queues, NewHandler: ir.newHandler, Slow: ir.slow})
		if errors.Is(err, bpf.ErrAlreadyAttached) {
			// Another process runs the interface (design.md 3: one per
			// interface): its ports are not ours to share.
			return nil, 0, fmt.Errorf("%w: %s is run by another process or XDP program: %w", ErrAddrInUse, cfg.Interface, err)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("sctp-xdp: opening %s: %w", cfg.Interface, err)
		}
		ir.rt = rt
		ir.sp = rt.Group().Slow()
		for i, p := range rt.Group().Pollers() {
			ir.handlers[i].poller = p // kept: Group() is gone once the runtime closes
		}
		ifaces.m[k] = ir
		go ir.keys.run(&ir.slow.stats.keyRotations, ir.notifyRekey)
	}
	// The first endpoint's key life holds, lengthened to cover every
	// endpoint's cookies (Config.CookieKeyLife).
	ir.keys.cover(cfg.cookieSpan())
	if port == 0 {
		port = ir.freePortLocked()
	}
	if port == 0 || ir.ports[port] {
		if ir.refs == 0 {
			ir.closeLocked()
		}
		return nil, 0, fmt.Errorf("%w: port %d on %s", ErrAddrInUse, port, cfg.Interface)
	}
	ir.ports[port] = true
	ir.refs++
	return ir, port, nil
}

func (ir *ifaceRuntime) newHandler(q int) fastpath.Handler {
	h := &pollerHandler{q: q, ir: ir, ports: map[uint16]*portEngine{}, assocs: map[assocKey]*Assoc{},
		blocked: map[*Assoc]struct{}{}, draining: map[*Assoc]error{}}
	ir.handlers = append(ir.handlers, h)
	return h
}

// release gives back port; the last endpoint closes the runtime (detach).
func (ir *ifaceRuntime) release(port uint16) error {
	ifaces.Lock()
	defer ifaces.Unlock()
	delete(ir.ports, port)
	ir.refs--
	if ir.refs > 0 {
		return nil
	}
	return ir.closeLocked()
}

func (ir *ifaceRuntime) closeLocked() error {
	delete(ifaces.m, ir.key)
	ir.keys.halt()       // no rotation reaches a stopping poller
	err := ir.rt.Close() // the pollers have returned when it does
	close(ir.closed)
	return err
}

// freePortLocked picks an unused ephemeral port (RFC 6335's dynamic
// range), or 0.
func (ir *ifaceRuntime) freePortLocked() uint16 {
	var b [2]byte
	for i := 0; i < 1000; i++ {
		rand.Read(b[:])
		p := 49152 + (uint16(b[0])<<8|uint16(b[1]))%16384
		if !ir.ports[p] {
			return p
		}
	}
	return 0
}

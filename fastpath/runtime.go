package fastpath

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sync"

	"github.com/sctp-xdp/sctp-xdp/bpf"
	"github.com/sctp-xdp/sctp-xdp/xdp"
)

// RuntimeConfig configures the runtime of one interface.
type RuntimeConfig struct {
	Interface string // the interface's name inside NetNS
	// NetNS is the interface's network namespace: an `ip netns` name, a
	// path, or "" for the caller's. Attach, socket bind and netlink happen
	// inside it; the pollers then work from any thread.
	NetNS string
	// Queues limits the sockets and pollers to queues 0..Queues-1; 0 takes
	// every queue of the interface (ethtool channels).
	Queues int
	Mode   bpf.Mode // XDP attach mode; ModeAuto (native, generic if refused)
	Frames int      // UMEM frames per socket; the xdp package's default when 0
	// NewHandler returns poller q's handler (the engines; a stub in tests).
	NewHandler func(queue int) Handler
	Slow       SlowHandler // the slow path's work; nil: none
	Pin        bool        // pin poller q to CPU q modulo the CPUs
}

// Runtime is the per-interface runtime of design.md section 3: the XDP
// program attached through a bpf_link, one AF_XDP socket and one poller per
// queue, the route and neighbour cache, and the slow path. Endpoints
// register their (address, port) with it. There is one per (process,
// interface): a second in the same process is refused (ErrRuntimeExists),
// and one in another process is refused by the attach (bpf.ErrAlreadyAttached).
type Runtime struct {
	key    runtimeKey
	link   xdp.Link
	prog   *bpf.Program
	routes *xdp.RouteCache
	socks  []*xdp.Socket
	links  []*XSKLink
	group  *Group

	mu     sync.Mutex
	locals map[netip.Addr]bool // addresses given to the program for wildcard endpoints
	errs   []error             // failures of the address sync, for Close
	closed bool
}

type runtimeKey struct{ netns, iface string }

var runtimes = struct {
	sync.Mutex
	m map[runtimeKey]bool
}{m: map[runtimeKey]bool{}}

// Errors of OpenRuntime.
var (
	ErrRuntimeExists = errors.New("fastpath: this process already runs the interface")
	ErrRuntimeConfig = errors.New("fastpath: invalid runtime configuration")
)

// OpenRuntime attaches the program to the interface, opens a socket and a
// poller per queue and starts them.
func OpenRuntime(cfg RuntimeConfig) (_ *Runtime, err error) {
	if cfg.Interface == "" || cfg.NewHandler == nil || cfg.Queues < 0 {
		return nil, fmt.Errorf("%w: an interface and NewHandler are required", ErrRuntimeConfig)
	}
	r := &Runtime{key: runtimeKey{cfg.NetNS, cfg.Interface}, locals: map[netip.Addr]bool{}}
	runtimes.Lock()
	if runtimes.m[r.key] {
		runtimes.Unlock()
		return nil, fmt.Errorf("%w: %s", ErrRuntimeExists, cfg.Interface)
	}
	runtimes.m[r.key] = true
	runtimes.Unlock()
	defer func() {
		if err != nil {
			r.Close()
		}
	}()

	ns, err := xdp.OpenNetNS(cfg.NetNS)
	if err != nil {
		return nil, err
	}
	r.link, err = ns.LinkByName(cfg.Interface)
	ns.Close()
	if err != nil {
		return nil, fmt.Errorf("fastpath: interface %q: %w", cfg.Interface, err)
	}
	if r.prog, err = bpf.Load(nil); err != nil {
		return nil, err
	}
	if err = r.prog.Attach(bpf.AttachOptions{Ifindex: r.link.Index, NetNS: cfg.NetNS, Mode: cfg.Mode}); err != nil {
		return nil, err
	}
	// The route cache follows the interface's addresses: wildcard endpoints
	// take traffic to exactly those (bpf.Program.AddLocalAddr).
	if r.routes, err = xdp.NewRouteCache(xdp.RouteCacheConfig{NetNS: cfg.NetNS, Ifindex: r.link.Index,
		OnLink: r.syncLocals}); err != nil {
		return nil, err
	}
	if err = r.firstSyncError(); err != nil {
		return nil, err
	}
	if err = r.openSockets(cfg); err != nil {
		return nil, err
	}
	var pcs []PollerConfig
	for q, s := range r.socks {
		l, err := NewXSKLink(s, 64)
		if err != nil {
			return nil, err
		}
		r.links = append(r.links, l)
		if err := r.prog.RegisterSocket(q, s.FD()); err != nil {
			return nil, err
		}
		pcs = append(pcs, PollerConfig{Link: l, Queue: q, Handler: cfg.NewHandler(q),
			Resolver: routeResolver{r.routes}, MAC: r.link.MAC, Pin: cfg.Pin, CPU: q % runtime.NumCPU()})
	}
	if r.group, err = NewGroup(GroupConfig{Pollers: pcs, Slow: cfg.Slow}); err != nil {
		return nil, err
	}
	if err = r.group.Start(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Runtime) openSockets(cfg RuntimeConfig) error {
	opts := xdp.Options{Ifindex: r.link.Index, NetNS: cfg.NetNS, Frames: cfg.Frames}
	if cfg.Queues == 0 {
		socks, err := xdp.NewQueueSockets(opts)
		r.socks = socks
		return err
	}
	for q := 0; q < cfg.Queues; q++ {
		opts.Queue = q
		s, err := xdp.NewSocket(opts)
		if err != nil {
			return err
		}
		r.socks = append(r.socks, s)
	}
	return nil
}

// syncLocals gives the program the interface's usable unicast addresses
// (called by the route cache at start and on every link change).
func (r *Runtime) syncLocals(l xdp.Link) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := map[netip.Addr]bool{}
	for _, a := range l.Addrs {
		if ip := a.Prefix.Addr(); a.Usable() && !ip.IsMulticast() {
			now[ip] = true
		}
	}
	for ip := range now {
		if !r.locals[ip] {
			if err := r.prog.AddLocalAddr(ip); err != nil {
				r.errs = append(r.errs, err)
				continue
			}
			r.locals[ip] = true
		}
	}
	for ip := range r.locals {
		if !now[ip] {
			if err := r.prog.RemoveLocalAddr(ip); err != nil {
				r.errs = append(r.errs, err)
				continue
			}
			delete(r.locals, ip)
		}
	}
}

func (r *Runtime) firstSyncError() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return errors.Join(r.errs...)
}

// routeResolver gives pollers next hops from the kernel's routes and
// neighbours.
type routeResolver struct{ c *xdp.RouteCache }

func (rr routeResolver) Resolve(src, dst netip.Addr) (NextHop, error) {
	h, err := rr.c.Lookup(dst)
	if err != nil {
		return NextHop{}, err
	}
	return NextHop{SrcMAC: h.SrcMAC, DstMAC: h.DstMAC, Src: h.Src}, nil
}

// AddEndpoint steers SCTP to (addr, port) into the pollers; the unspecified
// address of a family is every local address of it.
func (r *Runtime) AddEndpoint(addr netip.Addr, port uint16) error {
	return r.prog.AddEndpoint(bpf.Endpoint{Addr: addr, Port: port})
}

// RemoveEndpoint stops steering (addr, port).
func (r *Runtime) RemoveEndpoint(addr netip.Addr, port uint16) error {
	return r.prog.RemoveEndpoint(bpf.Endpoint{Addr: addr, Port: port})
}

// Group is the pollers and the slow path.
func (r *Runtime) Group() *Group { return r.group }

// Link is the interface as it was when the runtime opened (index, MAC, MTU).
func (r *Runtime) Link() xdp.Link { return r.link }

// CurrentLink is the interface's current state, addresses included.
func (r *Runtime) CurrentLink() xdp.Link { return r.routes.Link() }

// Program is the attached XDP program (counters, mode).
func (r *Runtime) Program() *bpf.Program { return r.prog }

// Sockets are the AF_XDP sockets, by queue (statistics).
func (r *Runtime) Sockets() []*xdp.Socket { return r.socks }

// Close stops the pollers, detaches the program and closes everything, in
// that order, and lets the interface be opened again.
func (r *Runtime) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()
	var errs []error
	if r.group != nil {
		errs = append(errs, r.group.Stop())
	}
	if r.routes != nil {
		errs = append(errs, r.routes.Close())
	}
	if r.prog != nil {
		errs = append(errs, r.prog.Close()) // detaches
	}
	for _, l := range r.links {
		errs = append(errs, l.Close())
	}
	for _, s := range r.socks {
		errs = append(errs, s.Close())
	}
	r.group, r.routes, r.prog, r.links, r.socks = nil, nil, nil, nil, nil
	runtimes.Lock()
	delete(runtimes.m, r.key)
	runtimes.Unlock()
	return errors.Join(errs...)
}

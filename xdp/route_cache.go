package xdp

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Errors of RouteCache.Lookup, returned wrapped with the addresses involved.
var (
	// ErrNoRoute: the kernel has no unicast route to the destination through
	// our interface (unreachable, local, broadcast or via another interface).
	ErrNoRoute = errors.New("no route through the interface")
	// ErrLinkDown: the interface is administratively down, has no carrier,
	// or is gone.
	ErrLinkDown = errors.New("interface is down")
	// ErrRouteCacheClosed: the RouteCache was closed.
	ErrRouteCacheClosed = errors.New("route cache closed")
)

// NextHop is how to send to a destination: the addresses of the Ethernet and
// IP headers, and the MTU of the route.
type NextHop struct {
	Src     netip.Addr // the kernel's source address choice (RFC 6724 for IPv6)
	SrcMAC  [6]byte    // our interface
	DstMAC  [6]byte    // the gateway, or the destination when on-link
	Gateway netip.Addr // the zero Addr when the destination is on-link
	MTU     int        // the route's MTU metric, else the interface's
}

// RouteCacheConfig configures NewRouteCache.
type RouteCacheConfig struct {
	// NetNS is the network namespace of the interface, as in
	// Options.NetNS: an `ip netns` name, a path (/run/netns/NAME,
	// /proc/PID/ns/net, /proc/self/fd/N for a descriptor), or "" for the
	// calling thread's. The netlink sockets are opened inside it.
	NetNS string
	// Ifindex is the interface frames leave through (index in NetNS).
	Ifindex int
	// Entries bounds the destination cache (default 4096, rounded up to a
	// power of two times 4). Misses cost a route lookup, never memory.
	Entries int
	// OnLink, if set, is called with the interface's state once from
	// NewRouteCache, then from the event goroutine after every change of
	// its flags, MTU, MAC or addresses. It must not block for long and must
	// not call Close.
	OnLink func(Link)
}

// RouteCache answers "which addresses do I put in a frame to this
// destination" for one interface, from the kernel's routes and neighbours.
// Lookups that hit the cache take no lock, make no system call and allocate
// nothing; misses ask the kernel (RTM_GETROUTE) under a mutex. Netlink event
// subscriptions (routes, neighbours, links, addresses) keep it current: any
// route, address or link change invalidates every cached route at once (a
// generation number); neighbour changes update the shared neighbour record
// in place, so cached routes stay valid across ARP/ND refreshes.
//
// It never returns a link-layer address the kernel does not hold as valid
// for that next hop (see usableStates): while resolution is under way, or
// while its view of the kernel is being rebuilt after lost events, lookups
// fail with ErrNeighbourPending.
type RouteCache struct {
	ifindex int
	h       *netlink.Handle
	ns      *NetNS
	onLink  func(Link)

	link  atomic.Pointer[linkState]
	gen   atomic.Uint64
	table *destTable
	kicks chan *neighRecord // STALE records to verify, from lookups

	mu     sync.Mutex // slow path and event application
	neigh  map[netip.Addr]*neighRecord
	synced bool // the neighbour records mirror the kernel's table
	closed bool

	done chan struct{}
	wg   sync.WaitGroup

	// Counters for tests and metrics.
	misses, kicksSent, resyncs, eventErrors atomic.Uint64
}

// linkState is an immutable snapshot of the interface for the hot path.
type linkState struct {
	link Link
	up   bool
}

// kickInterval rate-limits resolution requests per next hop; the kernel
// retransmits solicitations on its own timers in between.
const kickInterval = time.Second

// NewRouteCache subscribes to the kernel's events in the namespace, reads
// the interface and its neighbours, and starts the event goroutine. Close
// stops it.
func NewRouteCache(cfg RouteCacheConfig) (*RouteCache, error) {
	if cfg.Ifindex <= 0 {
		return nil, fmt.Errorf("xdp: route cache: invalid interface index %d", cfg.Ifindex)
	}
	if cfg.Entries < 0 {
		return nil, fmt.Errorf("xdp: route cache: invalid entries %d", cfg.Entries)
	}
	if cfg.Entries == 0 {
		cfg.Entries = 4096
	}
	c := &RouteCache{
		ifindex: cfg.Ifindex,
		onLink:  cfg.OnLink,
		table:   newDestTable(min(cfg.Entries, 1<<22)),
		kicks:   make(chan *neighRecord, 64),
		neigh:   make(map[netip.Addr]*neighRecord),
		done:    make(chan struct{}),
	}
	ns, err := OpenNetNS(cfg.NetNS)
	if err != nil {
		return nil, err
	}
	c.ns = ns
	h, err := c.ns.handle()
	if err != nil {
		c.closeNS()
		return nil, err
	}
	c.h = h
	l, err := readLink(h, c.ifindex)
	if err != nil {
		c.closeNS()
		h.Close()
		return nil, err
	}
	if !l.Ethernet {
		c.closeNS()
		h.Close()
		return nil, fmt.Errorf("xdp: route cache: %s: %w", l.Name, ErrNotEthernet)
	}
	subs, err := c.subscribe()
	if err != nil {
		c.closeNS()
		h.Close()
		return nil, err
	}
	if err := c.resync(); err != nil {
		subs.stop()
		c.closeNS()
		h.Close()
		return nil, err
	}
	c.wg.Add(1)
	go c.run(subs)
	return c, nil
}

func (c *RouteCache) closeNS() { c.ns.Close() }

// Close stops the event goroutine and releases the netlink sockets. Lookups
// after Close fail with ErrRouteCacheClosed (or, racing with it, answer from the
// cache).
func (c *RouteCache) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	close(c.done)
	c.wg.Wait()
	c.table.clear()
	c.link.Store(&linkState{})
	c.h.Close()
	c.closeNS()
	return nil
}

// RouteCacheStats are counters of a RouteCache, for metrics.
type RouteCacheStats struct {
	Misses             uint64 // lookups that asked the kernel or found no usable neighbour
	ResolutionRequests uint64 // NTF_USE requests: resolutions and STALE verifications
	Resyncs            uint64 // full rebuilds from dumps, the first one included
	EventErrors        uint64 // errors reported by the event subscriptions
}

// Stats reads the counters.
func (c *RouteCache) Stats() RouteCacheStats {
	return RouteCacheStats{
		Misses:             c.misses.Load(),
		ResolutionRequests: c.kicksSent.Load(),
		Resyncs:            c.resyncs.Load(),
		EventErrors:        c.eventErrors.Load(),
	}
}

// Link returns the interface as last reported by the kernel. Its Addrs
// slice is shared: read it, do not modify it.
func (c *RouteCache) Link() Link { return c.link.Load().link }

// Lookup returns the addresses for a frame to dst (IPv4 or IPv6). It fails
// with ErrNeighbourPending (retry later: resolution has been requested),
// ErrNoRoute, ErrLinkDown or ErrRouteCacheClosed, wrapped.
func (c *RouteCache) Lookup(dst netip.Addr) (NextHop, error) {
	dst = normalizeAddr(dst)
	ls := c.link.Load()
	if !ls.up {
		return NextHop{}, c.linkDown()
	}
	if e := c.table.find(dst); e != nil && e.gen == c.gen.Load() {
		if w := e.neigh.load(); w.usable() {
			if e.neigh.requestVerify(w) {
				select {
				case c.kicks <- e.neigh:
				default: // the event goroutine is busy: a later lookup asks again
					e.neigh.word.CompareAndSwap(uint64(w|nwKicked), uint64(w))
				}
			}
			return NextHop{Src: e.src, SrcMAC: ls.link.MAC, DstMAC: w.mac(), Gateway: e.gw, MTU: e.mtu}, nil
		}
	}
	return c.slowLookup(dst)
}

func (c *RouteCache) linkDown() error {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return ErrRouteCacheClosed
	}
	return fmt.Errorf("xdp: interface %d: %w", c.ifindex, ErrLinkDown)
}

// slowLookup asks the kernel for the route and, when the next hop's address
// is not usable, asks it to resolve the neighbour.
func (c *RouteCache) slowLookup(dst netip.Addr) (NextHop, error) {
	c.misses.Add(1)
	if !dst.IsValid() {
		return NextHop{}, fmt.Errorf("xdp: lookup of the zero address: %w", ErrNoRoute)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return NextHop{}, ErrRouteCacheClosed
	}
	ls := c.link.Load()
	if !ls.up {
		return NextHop{}, fmt.Errorf("xdp: %s: %w", ls.link.Name, ErrLinkDown)
	}
	gen := c.gen.Load() // before asking: an event during the query outdates the answer
	e := c.table.find(dst)
	if e == nil || e.gen != gen {
		var err error
		if e, err = c.route(dst, ls, gen); err != nil {
			return NextHop{}, err
		}
		c.table.insert(e, gen)
	}
	nh := e.dst
	if e.gw.IsValid() {
		nh = e.gw
	}
	if r := c.neigh[nh]; r != e.neigh && r != nil {
		// The record was replaced (deleted and re-learnt, or a resync):
		// point the route at the live one.
		e = &destEntry{dst: e.dst, gen: e.gen, src: e.src, gw: e.gw, mtu: e.mtu, neigh: r}
		c.table.insert(e, gen)
	} else if r == nil {
		c.neigh[nh] = e.neigh
	}
	w := e.neigh.load()
	if w.usable() {
		return NextHop{Src: e.src, SrcMAC: ls.link.MAC, DstMAC: w.mac(), Gateway: e.gw, MTU: e.mtu}, nil
	}
	if c.synced && w.state()&(netlink.NUD_PERMANENT|netlink.NUD_NOARP) == 0 {
		if now := time.Now(); now.Sub(e.neigh.kickedAt) >= kickInterval {
			e.neigh.kickedAt = now
			c.kicksSent.Add(1)
			if err := kick(c.h, c.ifindex, nh); err != nil {
				return NextHop{}, fmt.Errorf("xdp: resolving %s (next hop to %s): %w", nh, dst, err)
			}
		}
	}
	return NextHop{}, fmt.Errorf("xdp: next hop %s to %s: %w", nh, dst, ErrNeighbourPending)
}

// route asks the kernel for the route to dst (RTM_GETROUTE, so policy
// routing, source selection and multipath choice are the kernel's) and
// checks that it leaves through our interface. Callers hold c.mu.
func (c *RouteCache) route(dst netip.Addr, ls *linkState, gen uint64) (*destEntry, error) {
	var opts *netlink.RouteGetOptions
	if dst.Is6() && dst.IsLinkLocalUnicast() {
		// fe80::/64 is on every interface: without naming ours the kernel
		// answers for whichever comes first (RFC 4291 2.5.6).
		opts = &netlink.RouteGetOptions{OifIndex: c.ifindex}
	}
	routes, err := c.h.RouteGetWithOptions(dst.AsSlice(), opts)
	if err != nil {
		return nil, fmt.Errorf("xdp: route to %s: %w (%w)", dst, ErrNoRoute, err)
	}
	if len(routes) == 0 {
		return nil, fmt.Errorf("xdp: route to %s: %w", dst, ErrNoRoute)
	}
	r := routes[0]
	if r.Type != unix.RTN_UNICAST {
		return nil, fmt.Errorf("xdp: route to %s is of type %d, not unicast: %w", dst, r.Type, ErrNoRoute)
	}
	if r.LinkIndex != c.ifindex {
		return nil, fmt.Errorf("xdp: route to %s leaves through interface %d, not %d: %w", dst, r.LinkIndex, c.ifindex, ErrNoRoute)
	}
	src, ok := ipAddr(r.Src)
	if !ok {
		return nil, fmt.Errorf("xdp: route to %s has no source address: %w", dst, ErrNoRoute)
	}
	e := &destEntry{dst: dst, gen: gen, src: src, mtu: r.MTU}
	if gw, ok := ipAddr(r.Gw); ok {
		e.gw = gw
	} else if v, ok := r.Via.(*netlink.Via); ok && v != nil {
		if gw, ok := ipAddr(v.Addr); ok {
			e.gw = gw // RFC 5549: an IPv4 route via an IPv6 next hop
		}
	}
	if e.mtu <= 0 {
		e.mtu = ls.link.MTU
	}
	nh := dst
	if e.gw.IsValid() {
		nh = e.gw
	}
	e.neigh = c.neigh[nh]
	if e.neigh == nil {
		e.neigh = &neighRecord{addr: nh}
		c.neigh[nh] = e.neigh
	}
	return e, nil
}

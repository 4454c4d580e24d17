package xdp

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// subscriptions are the four netlink event streams of one RouteCache round.
// The library closes each channel when its socket fails (ENOBUFS after an
// overflow, for instance); we then rebuild everything from fresh dumps.
type subscriptions struct {
	done  chan struct{}
	neigh chan netlink.NeighUpdate
	route chan netlink.RouteUpdate
	link  chan netlink.LinkUpdate
	addr  chan netlink.AddrUpdate
	errs  chan error // a stream reported an error: rebuild
}

// eventBuffer is the receive buffer asked for each subscription socket, so
// bursts (a neighbour table flush) do not overflow it.
const eventBuffer = 1 << 20

func (c *RouteCache) subscribe() (*subscriptions, error) {
	s := &subscriptions{
		done:  make(chan struct{}),
		neigh: make(chan netlink.NeighUpdate, 256),
		route: make(chan netlink.RouteUpdate, 64),
		link:  make(chan netlink.LinkUpdate, 16),
		addr:  make(chan netlink.AddrUpdate, 16),
		errs:  make(chan error, 1),
	}
	ns := &c.ns.fd
	if c.ns.current {
		ns = nil // the library subscribes in the calling thread's namespace, without setns(2)
	}
	// A lost or unreadable neighbour, link or address event leaves state we
	// cannot trust: rebuild. A lost route event is covered by invalidating
	// every cached route, since routes are not kept beyond those entries.
	stopping := func() bool {
		select {
		case <-s.done: // our own Close of the sockets
			return true
		default:
			return false
		}
	}
	rebuild := func(error) {
		if stopping() {
			return
		}
		c.eventErrors.Add(1)
		select {
		case s.errs <- nil:
		default:
		}
	}
	onRouteErr := func(error) {
		if !stopping() {
			c.gen.Add(1)
			c.eventErrors.Add(1)
		}
	}
	chans := []func(){
		func() { close(s.neigh) }, func() { close(s.route) },
		func() { close(s.link) }, func() { close(s.addr) },
	}
	subs := []func() error{
		func() error {
			return netlink.NeighSubscribeWithOptions(s.neigh, s.done, netlink.NeighSubscribeOptions{
				Namespace: ns, ErrorCallback: rebuild, ReceiveBufferSize: eventBuffer})
		},
		func() error {
			return netlink.RouteSubscribeWithOptions(s.route, s.done, netlink.RouteSubscribeOptions{
				Namespace: ns, ErrorCallback: onRouteErr, ReceiveBufferSize: eventBuffer})
		},
		func() error {
			return netlink.LinkSubscribeWithOptions(s.link, s.done, netlink.LinkSubscribeOptions{
				Namespace: ns, ErrorCallback: rebuild, ReceiveBufferSize: eventBuffer})
		},
		func() error {
			return netlink.AddrSubscribeWithOptions(s.addr, s.done, netlink.AddrSubscribeOptions{
				Namespace: ns, ErrorCallback: rebuild, ReceiveBufferSize: eventBuffer})
		},
	}
	for i, sub := range subs {
		if err := sub(); err != nil {
			// The failed subscription and those not yet made have no
			// goroutine to close their channels: close them here, and
			// let stop drain the ones that run.
			for _, cl := range chans[i:] {
				cl()
			}
			s.stop()
			return nil, fmt.Errorf("xdp: netlink subscription in %s: %w", c.ns, err)
		}
	}
	return s, nil
}

// stop ends the subscriptions and waits until the library goroutines have
// closed their channels (they may be blocked sending to us).
func (s *subscriptions) stop() {
	close(s.done)
	for s.neigh != nil || s.route != nil || s.link != nil || s.addr != nil {
		select {
		case _, ok := <-s.neigh:
			if !ok {
				s.neigh = nil
			}
		case _, ok := <-s.route:
			if !ok {
				s.route = nil
			}
		case _, ok := <-s.link:
			if !ok {
				s.link = nil
			}
		case _, ok := <-s.addr:
			if !ok {
				s.addr = nil
			}
		}
	}
}

// run is the event goroutine: it applies events and resolution requests
// until Close, and rebuilds subscriptions and state when a stream breaks.
func (c *RouteCache) run(s *subscriptions) {
	defer c.wg.Done()
	backoff := 10 * time.Millisecond
	for {
		if c.loop(s) {
			s.stop()
			return
		}
		// A stream broke: events were lost. Stop trusting the records,
		// then start over: subscribe first, dump second, so that no
		// change falls between the two.
		s.stop()
		c.invalidate()
		for {
			var err error
			if s, err = c.subscribe(); err == nil {
				if err = c.resync(); err == nil {
					backoff = 10 * time.Millisecond
					break
				}
				s.stop()
			}
			select {
			case <-c.done:
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Second)
		}
	}
}

// loop applies events until Close (true) or a broken stream (false).
func (c *RouteCache) loop(s *subscriptions) bool {
	for {
		select {
		case <-c.done:
			return true
		case u, ok := <-s.neigh:
			if !ok {
				return false
			}
			c.applyNeigh(&u)
		case _, ok := <-s.route:
			if !ok {
				return false
			}
			c.gen.Add(1)
		case u, ok := <-s.link:
			if !ok {
				return false
			}
			c.gen.Add(1)
			if u.Attrs().Index == c.ifindex {
				c.reloadLink(u.Header.Type == unix.RTM_DELLINK)
			}
		case u, ok := <-s.addr:
			if !ok {
				return false
			}
			c.gen.Add(1) // source address choices may change, on any interface
			if u.LinkIndex == c.ifindex {
				c.reloadLink(false)
			}
		case <-s.errs:
			return false
		case r := <-c.kicks:
			c.verify(r)
		}
	}
}

func (c *RouteCache) applyNeigh(u *netlink.NeighUpdate) {
	if u.LinkIndex != c.ifindex || (u.Family != unix.AF_INET && u.Family != unix.AF_INET6) {
		return
	}
	a, ok := ipAddr(u.IP)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.neigh[a]
	if u.Type == unix.RTM_DELNEIGH {
		if r != nil {
			r.store(0)
			delete(c.neigh, a)
		}
		return
	}
	if r == nil {
		r = &neighRecord{addr: a}
		c.neigh[a] = r
	}
	r.set(&u.Neigh)
}

// verify asks the kernel to re-confirm a STALE neighbour a lookup used.
func (c *RouteCache) verify(r *neighRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := r.load()
	if w&nwStale == 0 || c.closed {
		return // the state moved on meanwhile
	}
	if time.Since(r.kickedAt) < kickInterval {
		// Asked already: let the next STALE lookup ask again later.
		r.word.CompareAndSwap(uint64(w), uint64(w&^nwKicked))
		return
	}
	r.kickedAt = time.Now()
	c.kicksSent.Add(1)
	kick(c.h, c.ifindex, r.addr) // a failure leaves the entry STALE and usable, as in the kernel
}

// invalidate forgets every neighbour and route: until the next resync,
// lookups answer ErrNeighbourPending rather than risk an outdated address.
func (c *RouteCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.synced = false
	for a, r := range c.neigh {
		r.store(0)
		delete(c.neigh, a)
	}
	c.gen.Add(1)
}

// resync replaces the neighbour records and the interface snapshot with
// fresh dumps. The subscriptions are already open, so every change after
// the subscription arrives as an event, applied after the dump in order.
// Some of those events may predate the dump and briefly replay an older
// state over it, but the last event of each entry is the kernel's current
// state, so the records are exact once the queue drains.
func (c *RouteCache) resync() error {
	list, err := c.h.NeighList(c.ifindex, netlink.FAMILY_ALL)
	if err != nil {
		return fmt.Errorf("xdp: neighbours of interface %d: %w", c.ifindex, err)
	}
	if err := c.reloadLink(false); err != nil {
		return err
	}
	c.resyncs.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := make(map[netip.Addr]bool, len(list))
	for i := range list {
		n := &list[i]
		a, ok := ipAddr(n.IP)
		if !ok || n.LinkIndex != c.ifindex {
			continue
		}
		seen[a] = true
		r := c.neigh[a]
		if r == nil {
			r = &neighRecord{addr: a}
			c.neigh[a] = r
		}
		r.set(n)
	}
	for a, r := range c.neigh {
		if !seen[a] {
			r.store(0)
			delete(c.neigh, a)
		}
	}
	c.synced = true
	c.gen.Add(1)
	return nil
}

// reloadLink re-reads the interface and its addresses and publishes them.
func (c *RouteCache) reloadLink(deleted bool) error {
	var l Link
	var err error
	if !deleted {
		l, err = readLink(c.h, c.ifindex)
	}
	if deleted || err != nil {
		if old := c.link.Load(); old != nil {
			l = old.link
		}
		l.AdminUp, l.Running, l.Addrs = false, false, nil
	}
	c.link.Store(&linkState{link: l, up: l.Up() && l.Ethernet})
	c.gen.Add(1)
	if c.onLink != nil {
		c.onLink(l)
	}
	return err
}

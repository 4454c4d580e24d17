package sctpxdp

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/sctp-xdp/sctp-xdp/assoc"
	"github.com/sctp-xdp/sctp-xdp/fastpath"
	"github.com/sctp-xdp/sctp-xdp/xdp"
)

// The address calls of RFC 6458 9: sctp_bindx (BindAddrs, UnbindAddrs),
// sctp_getladdrs (Endpoint.LocalAddrs, Assoc.LocalAddrs), sctp_getpaddrs
// (Assoc.PeerAddrs). sctp_connectx is Endpoint.Dial with several peer
// addresses: the INIT goes to the first, and the association knows them
// all as paths from the start (RFC 9260 5.1.2 lets the peer's INIT ACK add
// more).

// BindAddrs adds local addresses of the interface to the endpoint
// (sctp_bindx with SCTP_BINDX_ADD_ADDR): the XDP program steers their
// traffic to it, and the INIT and INIT ACK of associations set up from now
// on list every bound address. Live associations are not told: that takes
// ASCONF (RFC 5061), not implemented, as Linux with auto_asconf off. An
// endpoint bound to the wildcard has every address already (ErrInvalid);
// an address that is not the interface's, or is bound already, is refused
// with ErrInvalid.
func (e *Endpoint) BindAddrs(addrs ...netip.Addr) error {
	addrs, err := checkAddrs(addrs)
	if err != nil {
		return err
	}
	e.statsMu.Lock() // closeRuntime reads e.addrs under it
	defer e.statsMu.Unlock()
	if err := e.bindable(); err != nil {
		return err
	}
	have := e.ir.rt.CurrentLink().Addrs
	for _, a := range addrs {
		if slices.Contains(e.addrs, a) {
			return fmt.Errorf("%w: %v is bound already", ErrInvalid, a)
		}
		if !slices.ContainsFunc(have, func(h xdp.Addr) bool { return h.Prefix.Addr() == a }) {
			return fmt.Errorf("%w: %v is not an address of %s", ErrInvalid, a, e.cfg.Interface)
		}
	}
	for i, a := range addrs {
		if err := e.ir.rt.AddEndpoint(a, e.port); err != nil {
			for _, b := range addrs[:i] {
				e.ir.rt.RemoveEndpoint(b, e.port)
			}
			return fmt.Errorf("sctp-xdp: bind %v: %w", a, err)
		}
	}
	next := append(slices.Clone(e.addrs), addrs...)
	if err := e.setEngineAddrs(next); err != nil {
		for _, a := range addrs {
			e.ir.rt.RemoveEndpoint(a, e.port)
		}
		e.setEngineAddrs(e.addrs)
		return err
	}
	e.addrs = next
	return nil
}

// UnbindAddrs removes local addresses from the endpoint (sctp_bindx with
// SCTP_BINDX_REM_ADDR): their traffic is no longer steered to it, and new
// associations do not list them. Live associations that use them lose
// those paths (without ASCONF the peer is not told; a multi-homed
// association fails over). The last address cannot be removed, nor one
// that is not bound (ErrInvalid).
func (e *Endpoint) UnbindAddrs(addrs ...netip.Addr) error {
	addrs, err := checkAddrs(addrs)
	if err != nil {
		return err
	}
	e.statsMu.Lock()
	defer e.statsMu.Unlock()
	if err := e.bindable(); err != nil {
		return err
	}
	next := slices.Clone(e.addrs)
	for _, a := range addrs {
		i := slices.Index(next, a)
		if i < 0 {
			return fmt.Errorf("%w: %v is not bound", ErrInvalid, a)
		}
		next = slices.Delete(next, i, i+1)
	}
	if len(next) == 0 {
		return fmt.Errorf("%w: an endpoint keeps at least one address", ErrInvalid)
	}
	if err := e.setEngineAddrs(next); err != nil {
		return err
	}
	e.addrs = next
	var first error
	for _, a := range addrs {
		if err := e.ir.rt.RemoveEndpoint(a, e.port); err != nil && first == nil {
			first = fmt.Errorf("sctp-xdp: unbind %v: %w", a, err)
		}
	}
	return first
}

// checkAddrs refuses what cannot be a local address and unmaps the rest.
func checkAddrs(addrs []netip.Addr) ([]netip.Addr, error) {
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%w: no address", ErrInvalid)
	}
	out := make([]netip.Addr, len(addrs))
	for i, a := range addrs {
		a = a.Unmap()
		if !a.IsValid() || a.IsUnspecified() || a.IsMulticast() {
			return nil, fmt.Errorf("%w: local address %v", ErrInvalid, a)
		}
		if slices.Contains(out[:i], a) {
			return nil, fmt.Errorf("%w: %v given twice", ErrInvalid, a)
		}
		out[i] = a
	}
	return out, nil
}

// bindable checks that bindx applies; statsMu is held.
func (e *Endpoint) bindable() error {
	if e.rtClosed {
		return ErrClosed
	}
	if slices.ContainsFunc(e.addrs, netip.Addr.IsUnspecified) {
		return fmt.Errorf("%w: the endpoint is bound to every address of %s (the wildcard)", ErrInvalid, e.cfg.Interface)
	}
	return nil
}

// setEngineAddrs gives the slow path and every poller the addresses new
// associations announce (a single one is not listed: the packets' address
// stands for it, RFC 9260 5.1.2), and the pollers the sources their
// packets leave from. Live associations keep the list they announced.
func (e *Endpoint) setEngineAddrs(addrs []netip.Addr) error {
	announce := addrs
	if len(announce) < 2 {
		announce = nil
	}
	if err := e.updateAssocConfig(func(c *assoc.Config) { c.LocalAddrs = slices.Clone(announce) }); err != nil {
		return err
	}
	src := sourcesOf(addrs)
	return e.onPollers(func(_ *fastpath.Ctx, _ *pollerHandler, pe *portEngine) error {
		pe.src = src
		return nil
	})
}

// sources are the addresses an endpoint bound to specific addresses sends
// from, IPv4 and IPv6 (nil for the wildcard: the route's choice). Left to
// the route alone, the source could be an address of the interface the
// endpoint does not have, which the peer would take for one of ours (RFC
// 9260 5.1.2: an INIT's or INIT ACK's source is a transport address);
// forced to one bound address, a multi-homed peer's second address would
// be reached from a source it may have no route back to. So the route's
// preferred source is kept when it is bound (fastpath Ctx.SendFrom).
type sources [2][]netip.Addr

func sourcesOf(addrs []netip.Addr) sources {
	var s sources
	for _, a := range addrs {
		if i := family(a); !a.IsUnspecified() {
			s[i] = append(s[i], a.Unmap())
		}
	}
	return s
}

func family(a netip.Addr) int {
	if a.Unmap().Is4() {
		return 0
	}
	return 1
}

// sources gives the addresses a packet to dst may leave from (nil: the
// route's choice, for the wildcard). It runs per packet: no allocation.
func (pe *portEngine) sources(dst netip.Addr) []netip.Addr { return pe.src[family(dst)] }

// LocalAddrs lists the endpoint's local addresses (sctp_getladdrs with
// association id 0): the bound ones, or for the wildcard the interface's
// usable addresses (IPv6 link-local ones left out: they need a zone, and
// RFC 9260 5.1.2 scoping keeps them from peers off the link). Nil once
// closed.
func (e *Endpoint) LocalAddrs() []netip.Addr {
	e.statsMu.Lock()
	defer e.statsMu.Unlock()
	if e.rtClosed {
		return nil
	}
	return expandAddrs(e.ir, e.addrs)
}

// expandAddrs replaces the unspecified addresses in addrs by the usable
// addresses of the interface in their family (IPv6 link-local left out).
func expandAddrs(ir *ifaceRuntime, addrs []netip.Addr) []netip.Addr {
	var out []netip.Addr
	for _, a := range addrs {
		if !a.IsUnspecified() {
			out = append(out, a)
			continue
		}
		for _, la := range ir.rt.CurrentLink().Addrs {
			l := la.Prefix.Addr().Unmap()
			if la.Usable() && l.Is4() == a.Is4() && !l.IsLinkLocalUnicast() && !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
	}
	return out
}

// LocalAddrs lists the local addresses of the association (sctp_getladdrs):
// those its INIT or INIT ACK announced when the endpoint had several
// bound; otherwise the endpoint's, in the families of the peer's addresses
// (an IPv4 peer is reached from IPv4 addresses).
func (a *Assoc) LocalAddrs() []netip.Addr {
	var announced, peers []netip.Addr
	err := a.onPoller(func(_ *fastpath.Ctx, _ *pollerHandler, eng *assoc.Assoc) error {
		if eng != nil {
			announced, peers = eng.Config().LocalAddrs, eng.PeerAddrs(nil)
		} else {
			peers = slices.Clone(a.ext.peers)
		}
		return nil
	})
	if err != nil && isClosed(a) {
		peers = slices.Clone(a.ext.peers)
	}
	if len(announced) > 0 {
		return slices.Clone(announced)
	}
	var out []netip.Addr
	for _, l := range a.ep.LocalAddrs() {
		if slices.ContainsFunc(peers, func(p netip.Addr) bool { return p.Unmap().Is4() == l.Is4() }) {
			out = append(out, l)
		}
	}
	return out
}

// PeerAddrs lists the peer's transport addresses, the primary first
// (sctp_getpaddrs): those given to Dial until the INIT ACK, then every
// one the peer announced; after the end, the last known.
func (a *Assoc) PeerAddrs() []netip.Addr {
	var out []netip.Addr
	err := a.onPoller(func(_ *fastpath.Ctx, _ *pollerHandler, eng *assoc.Assoc) error {
		if eng != nil {
			out = eng.PeerAddrs(nil)
		} else {
			out = slices.Clone(a.ext.peers)
		}
		return nil
	})
	if err != nil && isClosed(a) {
		return slices.Clone(a.ext.peers) // written before closed was closed
	}
	return out
}

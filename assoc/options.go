package assoc

import (
	"fmt"
	"math"
	"net/netip"
	"time"
)

// Run-time options (RFC 6458 8.1): setters that change a live association
// or, on an Endpoint, the associations it makes from now on. Every setter
// validates its arguments and returns an error wrapping ErrConfig (or
// ErrUnknownAddr) without changing anything on bad input.
//
// An association starts out sharing its endpoint's Config; the first
// setter gives it a copy of its own (ownConfig), so a per-association
// option never leaks into the endpoint's other associations.

// ownConfig gives a its own Config the first time an option changes it.
func (a *Assoc) ownConfig() *Config {
	if a.resp != nil && a.cfg == a.resp.cfg {
		c := *a.cfg
		a.cfg = &c
	}
	return a.cfg
}

// Config gives a copy of the association's parameters as they are now.
func (a *Assoc) Config() Config { return *a.cfg }

// SetRTO sets RTO.Initial, RTO.Min and RTO.Max (SCTP_RTOINFO, RFC 6458
// 8.1.1; RFC 9260 6.3.1): 0 < min <= initial <= max. Every path's current
// RTO is brought within the new bounds; a path without an RTT measurement
// yet takes the new initial value.
func (a *Assoc) SetRTO(initial, min, max time.Duration) error {
	if min <= 0 || min > initial || initial > max {
		return fmt.Errorf("%w: need 0 < RTO.Min <= RTO.Initial <= RTO.Max (have %v, %v, %v)", ErrConfig, min, initial, max)
	}
	c := a.ownConfig()
	c.RTOInitial, c.RTOMin, c.RTOMax = initial, min, max
	for i := range a.paths {
		p := &a.paths[i]
		if !p.measured {
			p.rto = int64(initial)
		}
		p.rto = clampI64(p.rto, int64(min), int64(max))
	}
	a.noteRTOIfUp()
	return nil
}

// SetMaxRetrans sets Association.Max.Retrans (SCTP_ASSOCINFO
// sasoc_asocmaxrxt, RFC 6458 8.1.2; RFC 9260 8.1), at least 1.
func (a *Assoc) SetMaxRetrans(n int) error {
	if n < 1 {
		return fmt.Errorf("%w: Association.Max.Retrans %d below 1", ErrConfig, n)
	}
	a.ownConfig().AssocMaxRetrans = n
	return nil
}

// SetMaxBurst sets Max.Burst (SCTP_MAX_BURST, RFC 6458 8.1.24): packets
// of new DATA per send opportunity; 0 removes the limit.
func (a *Assoc) SetMaxBurst(n int) error {
	if n < 0 {
		return fmt.Errorf("%w: Max.Burst %d is negative", ErrConfig, n)
	}
	if n == 0 {
		n = math.MaxInt
	}
	a.ownConfig().MaxBurst = n
	return nil
}

// MaxBurst gives Max.Burst, 0 for no limit.
func (a *Assoc) MaxBurst() int {
	if a.cfg.MaxBurst == math.MaxInt {
		return 0
	}
	return a.cfg.MaxBurst
}

// SetSackDelay sets the delayed SACK timer (SCTP_DELAYED_SACK sack_delay,
// RFC 6458 8.1.19): more than 0, at most 500 ms (RFC 9260 6.2). A running
// timer keeps its deadline.
func (a *Assoc) SetSackDelay(d time.Duration) error {
	if d <= 0 || d > 500*time.Millisecond {
		return fmt.Errorf("%w: SACK delay %v outside (0, 500ms] (RFC 9260 6.2)", ErrConfig, d)
	}
	a.ownConfig().SackDelay = d
	return nil
}

// SetMaxSeg caps the user data of one DATA chunk (SCTP_MAXSEG, RFC 6458
// 8.1.16); 0 lets the path MTU decide. A path MTU allowing less wins.
func (a *Assoc) SetMaxSeg(n int) error {
	if n != 0 && (n < minMaxSeg || n > math.MaxUint16) {
		return fmt.Errorf("%w: MAXSEG %d outside [%d, %d] (or 0)", ErrConfig, n, minMaxSeg, math.MaxUint16)
	}
	a.ownConfig().MaxSeg = n
	return nil
}

// minMaxSeg is the smallest MAXSEG taken: a DATA chunk carries its data in
// multiples of 4 bytes here, and tiny fragments only multiply headers.
const minMaxSeg = 64

// FragmentationPoint gives the user data one DATA chunk carries now: the
// current path's MTU less the headers, capped by MaxSeg (SCTP_STATUS
// sstat_fragmentation_point).
func (a *Assoc) FragmentationPoint() int { return a.maxFragment() }

// SetNoDelay turns Nagle's algorithm off or on (SCTP_NODELAY, RFC 6458
// 8.1.5).
func (a *Assoc) SetNoDelay(on bool) { a.ownConfig().NoDelay = on }

// SetAutoClose shuts the association down after d without DATA either way
// (SCTP_AUTOCLOSE, RFC 6458 8.1.8); 0 disables it. The idle time counts
// from the last DATA.
func (a *Assoc) SetAutoClose(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("%w: autoclose %v is negative", ErrConfig, d)
	}
	a.ownConfig().AutoClose = d
	return nil
}

// SetDisableFragments makes Send refuse a message larger than one DATA
// chunk instead of fragmenting it (SCTP_DISABLE_FRAGMENTS, RFC 6458
// 8.1.11).
func (a *Assoc) SetDisableFragments(on bool) { a.ownConfig().DisableFragments = on }

// SetPartialDeliveryPoint sets the bytes of an incomplete message held
// before it is handed over in pieces (SCTP_PARTIAL_DELIVERY_POINT, RFC
// 6458 8.1.21): more than 0, at most the receive window.
func (a *Assoc) SetPartialDeliveryPoint(n int) error {
	if n <= 0 || n > int(a.cfg.ARwnd) {
		return fmt.Errorf("%w: partial delivery point %d outside [1, %d] (the receive window)", ErrConfig, n, a.cfg.ARwnd)
	}
	a.ownConfig().PartialDeliveryPoint = n
	a.rq.pdPoint = n
	return nil
}

// SetARwnd sets the receive window we advertise (SO_RCVBUF, RFC 6458
// 8.1.6): at least 1500 bytes (RFC 9260 3.3.2), at most 1 GiB. The
// partial delivery point is kept within it; a smaller window closes as
// the reader drains what is held.
func (a *Assoc) SetARwnd(n int) error {
	if n < 1500 || n > 1<<30 {
		return fmt.Errorf("%w: receive window %d outside [1500, 1 GiB]", ErrConfig, n)
	}
	c := a.ownConfig()
	c.ARwnd = uint32(n)
	if c.PartialDeliveryPoint > n {
		c.PartialDeliveryPoint = n / 2
		a.rq.pdPoint = c.PartialDeliveryPoint
	}
	return nil
}

// PeerAddrParams are a peer address's parameters (SCTP_PEER_ADDR_PARAMS,
// RFC 6458 8.1.12).
type PeerAddrParams struct {
	HBInterval     time.Duration // spp_hbinterval
	Heartbeats     bool          // SPP_HB_ENABLE / SPP_HB_DISABLE
	PathMaxRetrans int           // spp_pathmaxrxt
	PathMTU        int           // spp_pathmtu, IP header included
}

// PeerAddrParams gives the parameters of the peer address addr.
func (a *Assoc) PeerAddrParams(addr netip.Addr) (PeerAddrParams, error) {
	i := a.pathIndex(addr)
	if i < 0 {
		return PeerAddrParams{}, fmt.Errorf("%w: %v", ErrUnknownAddr, addr)
	}
	p := &a.paths[i]
	return PeerAddrParams{HBInterval: time.Duration(p.hbInterval), Heartbeats: !p.hbOff,
		PathMaxRetrans: p.maxRetrans, PathMTU: p.mtu}, nil
}

// SetPathMaxRetrans sets Path.Max.Retrans (RFC 9260 8.2) of the peer
// address addr, or of every peer address (and those learned later) when
// addr is the zero Addr (SCTP_PEER_ADDR_PARAMS spp_pathmaxrxt). At least 1.
func (a *Assoc) SetPathMaxRetrans(addr netip.Addr, n int) error {
	if n < 1 {
		return fmt.Errorf("%w: Path.Max.Retrans %d below 1", ErrConfig, n)
	}
	return a.eachPath(addr, func(p *path) { p.maxRetrans = n }, func(c *Config) { c.PathMaxRetrans = n })
}

// SetHBInterval sets HB.interval (RFC 9260 8.3) of the peer address addr,
// or of every peer address when addr is the zero Addr (SCTP_PEER_ADDR_PARAMS
// spp_hbinterval). It takes effect from the path's next heartbeat.
func (a *Assoc) SetHBInterval(addr netip.Addr, d time.Duration) error {
	if d <= 0 || d > 24*time.Hour {
		return fmt.Errorf("%w: HB.interval %v outside (0, 24h]", ErrConfig, d)
	}
	return a.eachPath(addr, func(p *path) { p.hbInterval = int64(d) }, func(c *Config) { c.HBInterval = d })
}

// SetPathMTU fixes the path MTU (IP header included) of the peer address
// addr, or of every peer address when addr is the zero Addr
// (SCTP_PEER_ADDR_PARAMS spp_pathmtu with SPP_PMTUD_DISABLE). At least the
// IP minimum (576 for IPv4, 1280 for IPv6 paths), at most 65535. ICMP
// may still lower it (RFC 9260 7.3).
func (a *Assoc) SetPathMTU(addr netip.Addr, mtu int) error {
	if mtu > math.MaxUint16 {
		return fmt.Errorf("%w: path MTU %d above 65535", ErrConfig, mtu)
	}
	for i := range a.paths {
		p := &a.paths[i]
		if (!addr.IsValid() || p.addr == addr.Unmap()) && mtu < minMTU(p) {
			return fmt.Errorf("%w: path MTU %d below %d for %v", ErrConfig, mtu, minMTU(p), p.addr)
		}
	}
	if !addr.IsValid() && mtu < 576 {
		return fmt.Errorf("%w: path MTU %d below 576", ErrConfig, mtu)
	}
	return a.eachPath(addr, func(p *path) {
		p.mtu = mtu
		if p.cc != nil {
			p.cc.SetMTU(mtu - p.ipHeaderLen())
		}
	}, func(c *Config) { c.PMTU = mtu })
}

func minMTU(p *path) int {
	if p.ipHeaderLen() == 40 {
		return 1280
	}
	return 576
}

// eachPath applies fn to the path of addr, or to every path and with cf to
// the association's Config (for paths learned later) when addr is zero.
func (a *Assoc) eachPath(addr netip.Addr, fn func(*path), cf func(*Config)) error {
	if addr.IsValid() {
		i := a.pathIndex(addr)
		if i < 0 {
			return fmt.Errorf("%w: %v", ErrUnknownAddr, addr)
		}
		fn(&a.paths[i])
		return nil
	}
	cf(a.ownConfig())
	for i := range a.paths {
		fn(&a.paths[i])
	}
	return nil
}

// Status is a snapshot of the association (SCTP_STATUS, RFC 6458 8.2.1).
type Status struct {
	State      State
	PeerRwnd   uint32 // sstat_rwnd: the peer's window as we count it
	LocalRwnd  uint32 // the window we advertise now
	Unacked    int    // sstat_unackdata: DATA chunks sent and not acknowledged
	Pending    int    // sstat_penddata: bytes received and not yet read (or reassembled)
	Queued     int    // bytes of the send buffer in use (queued or unacknowledged)
	InStreams  uint16 // sstat_instrms
	OutStreams uint16 // sstat_outstrms
	FragPoint  int    // sstat_fragmentation_point
	Primary    PathInfo
}

// Status describes the association now.
func (a *Assoc) Status() Status {
	s := Status{State: a.state, PeerRwnd: uint32(max(a.fl.peerRwnd, 0)), LocalRwnd: a.rwndAvail(),
		Unacked: a.fl.unacked(), Pending: a.rq.pendBytes + a.rq.readyBytes, Queued: a.ring.used,
		InStreams: a.mis, OutStreams: a.os, FragPoint: a.maxFragment()}
	if len(a.paths) > 0 {
		s.Primary = a.pathInfo(a.primary)
	}
	return s
}

// UpdateConfig changes the endpoint's Config for the associations it
// makes from now on (INITMSG, and the defaults of every other option): fn
// edits a copy, which must validate. Live associations keep the values
// they had.
func (e *Endpoint) UpdateConfig(fn func(*Config)) error {
	c, err := editConfig(e.cfg, fn)
	if err != nil {
		return err
	}
	for _, as := range e.Assocs() {
		as.ownConfig()
	}
	*e.cfg = *c
	return nil
}

// editConfig returns a copy of cur that fn edited, validated; the local
// port and owner bits, which route packets, cannot change.
func editConfig(cur *Config, fn func(*Config)) (*Config, error) {
	c := *cur
	fn(&c)
	if c.LocalPort != cur.LocalPort || c.OwnerBits != cur.OwnerBits || c.Owner != cur.Owner {
		return nil, fmt.Errorf("%w: the local port and owner bits cannot change", ErrConfig)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// UpdateConfig changes the Config of the associations r creates from now
// on (a slow path's Responder): fn edits a copy, which must validate. r
// installs the copy rather than writing over the Config that associations
// it created (perhaps in flight to another goroutine) still point to.
func (r *Responder) UpdateConfig(fn func(*Config)) error {
	c, err := editConfig(r.cfg, fn)
	if err != nil {
		return err
	}
	r.cfg = c
	return nil
}

// Config gives a copy of the endpoint's Config.
func (e *Endpoint) Config() Config { return *e.cfg }

func clampI64(v, lo, hi int64) int64 { return min(max(v, lo), hi) }

// noteRTOIfUp records the largest RTO for the statistics once the data
// transfer state exists.
func (a *Assoc) noteRTOIfUp() {
	if a.state != Closed && len(a.paths) > 0 {
		a.noteRTO()
	}
}

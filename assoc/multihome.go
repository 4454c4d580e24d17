package assoc

import (
	"errors"
	"fmt"
	"net/netip"
)

// Multi-homing (RFC 9260 6.4, 8.2; RFC 7829). One destination carries new
// DATA at a time: a.tx, the user's primary while it is active, else an
// alternate active path (failover), back to the primary as soon as it is
// active again. Retransmissions after a T3-rtx expiry go to an alternate
// active path (a.rtx, 6.4) when the path that timed out is still
// considered active. Because DATA uses one path at a time, one flight
// count and one T3-rtx serve the association (6.3.2's per-destination
// timer collapses to it); each chunk remembers the path it last went to,
// so acknowledgements clear that path's error counter and sample its RTT.

// ErrNotSupported is wrapped by calls needing an extension not implemented.
var ErrNotSupported = errors.New("assoc: not supported")

// ErrUnknownAddr is returned for an address that is not one of the peer's.
var ErrUnknownAddr = errors.New("assoc: not a peer address of the association")

// ErrUnconfirmed is returned by SetPrimary for an unconfirmed address
// (RFC 9260 5.4: nothing but HEARTBEATs goes there).
var ErrUnconfirmed = errors.New("assoc: peer address not confirmed")

func (a *Assoc) pathIndex(addr netip.Addr) int {
	addr = addr.Unmap()
	for i := range a.paths {
		if a.paths[i].addr == addr {
			return i
		}
	}
	return -1
}

// SetPrimary makes addr the primary path (PRIMARY_ADDR, RFC 6458 8.1.9;
// RFC 9260 6.4): new DATA goes there while it is active.
func (a *Assoc) SetPrimary(addr netip.Addr) error {
	i := a.pathIndex(addr)
	if i < 0 {
		return ErrUnknownAddr
	}
	if a.paths[i].state == PathUnconfirmed {
		return ErrUnconfirmed
	}
	a.primary = i
	a.choosePath()
	a.events.push(Event{Type: EventAddrMadePrim, State: a.state, Addr: addr})
	return nil
}

// Primary is the user's primary peer address.
func (a *Assoc) Primary() netip.Addr {
	if len(a.paths) == 0 {
		return netip.Addr{}
	}
	return a.paths[a.primary].addr
}

// SetPeerPrimary asks the peer to use addr, one of our addresses, as its
// primary (SET_PEER_PRIMARY_ADDR, RFC 6458 8.3.1). It needs ASCONF (RFC
// 5061), not implemented: the error wraps ErrNotSupported.
func (a *Assoc) SetPeerPrimary(addr netip.Addr) error {
	return fmt.Errorf("%w: SET_PEER_PRIMARY_ADDR %v needs ASCONF (RFC 5061)", ErrNotSupported, addr)
}

// choosePath picks the destination of new DATA: the primary if active,
// else the active path with the fewest errors, the first of equals (RFC
// 9260 6.4.1 failover, 8.2; RFC 7829 6); with no
// active path, the potentially-failed one with the fewest errors (RFC 7829
// 5.1 step 5); with none of those either, the primary (8.2 leaves the
// choice open; retransmissions must go somewhere).
func (a *Assoc) choosePath() {
	if len(a.paths) == 0 {
		return
	}
	if a.paths[a.primary].state == PathActive {
		a.tx = a.primary
		return
	}
	pf, act := -1, -1
	for i := range a.paths {
		p := &a.paths[i]
		switch p.state {
		case PathActive:
			if act < 0 || p.errors < a.paths[act].errors {
				act = i
			}
		case PathPotentiallyFailed:
			if pf < 0 || p.errors < a.paths[pf].errors {
				pf = i
			}
		}
	}
	switch {
	case act >= 0:
		a.tx = act
	case pf >= 0:
		a.tx = pf
	default:
		a.tx = a.primary
	}
}

// alternate gives an active path other than i for retransmissions (RFC
// 9260 6.4), or -1.
func (a *Assoc) alternate(i int) int {
	for j := range a.paths {
		if j != i && a.paths[j].state == PathActive {
			return j
		}
	}
	return -1
}

func (a *Assoc) pathEvent(t EventType, i int) {
	a.events.push(Event{Type: t, State: a.state, Addr: a.paths[i].addr})
}

// strike counts a timeout (T3-rtx or an unanswered HEARTBEAT) against path
// i (RFC 9260 8.2) and moves it to potentially-failed past PFMaxRetrans
// (RFC 7829 5.1 step 2) or inactive past Path.Max.Retrans (8.2, RFC 7829
// 5.1 step 3). An unconfirmed path stays unconfirmed. The PF state needs
// an alternate path to fail over to: a single-homed association skips it.
func (a *Assoc) strike(now int64, i int) {
	p := &a.paths[i]
	p.errors++
	p.struckAt = now
	switch {
	case p.state == PathUnconfirmed || p.state == PathInactive:
	case p.errors > p.maxRetrans:
		p.state = PathInactive
		a.pathEvent(EventAddrUnreachable, i)
		if !p.hbOut && a.hbState() { // probed at HB.interval until it answers (8.3)
			p.hb.at = a.hbPeriod(now, p)
		}
	case p.state == PathActive && len(a.paths) > 1 && a.cfg.PFMaxRetrans >= 0 && p.errors > a.cfg.PFMaxRetrans:
		p.state = PathPotentiallyFailed
		a.pathEvent(EventAddrPotentiallyFailed, i)
		if a.hbState() { // RFC 7829 5.1 step 3: a HEARTBEAT at once, then once per RTO
			p.hbOut = false
			p.hb.fireAt(now)
		}
	}
	a.choosePath()
	if a.cfg.PrimarySwitchover && i == a.primary && p.errors > a.cfg.PSMaxRetrans &&
		a.tx != i && a.paths[a.tx].state == PathActive {
		a.primary = a.tx // RFC 7829 6: the working path becomes the primary
		a.pathEvent(EventAddrMadePrim, a.tx)
	}
}

// reached clears path i's error counter after an acknowledgement of DATA
// last sent there or a HEARTBEAT ACK for it (RFC 9260 8.2, 8.3; RFC 7829
// 5.1 step 4) and makes it active again; the primary takes DATA back as
// soon as it is active (6.4.1, switch-back).
func (a *Assoc) reached(i int) {
	p := &a.paths[i]
	p.errors = 0
	switch p.state {
	case PathActive, PathUnconfirmed: // unconfirmed: only a nonce confirms (heartbeat.go)
		return
	}
	p.state = PathActive
	a.pathEvent(EventAddrAvailable, i)
	a.choosePath()
}

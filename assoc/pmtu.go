package assoc

import "github.com/sctp-xdp/sctp-xdp/wire"

// minPMTU is the smallest path MTU an ICMP message may set: IPv6's 1280
// (RFC 8200 5), and for IPv4 the 576 every host must accept (RFC 791).
func minPMTU(v6 bool) int {
	if v6 {
		return 1280
	}
	return 576
}

// HandleICMP takes an ICMP or ICMPv6 error about a packet this association
// sent (RFC 9260 Appendix C). The quoted SCTP header must carry our ports
// and the peer's verification tag (a quoted tag of 0 is an INIT: refused
// here, as the quoted INIT's Initiate Tag is not always quoted) and the
// quoted destination must be one of the peer's addresses; anything else is
// ignored (an attacker's guess). A "fragmentation needed" (RFC 1191) or
// "packet too big" (RFC 8201) lowers that path's MTU (RFC 9260 7.3, never
// below the IP minimum, never raised); later DATA is cut to it. A
// "protocol unreachable" about our INIT ends the handshake (ICMP8, below).
// It reports whether the message was accepted.
func (a *Assoc) HandleICMP(now int64, e *wire.ICMPError) bool {
	if a.state == Closed || e.Protocol != 132 || len(e.Quoted) < 8 {
		a.Stats.ICMPIgnored++
		return false
	}
	src, dst := e.QuotedPorts()
	p := a.pathOf(e.Destination)
	if a.state == CookieWait && e.ProtocolUnreachable() && src == a.localPort && dst == a.peerPort && p != nil {
		// ICMP8 with ICMP6: about our INIT (tag 0, its Initiate Tag ours),
		// the peer's host runs no SCTP: handled like an ABORT in
		// COOKIE-WAIT (the Dial is refused at once instead of retrying
		// INIT for minutes). In the other states, where ICMP8 says to take
		// it as an ABORT too, it is ignored as Linux does: a peer killed
		// and restarted on the same port (a RESTART, 5.2.2) would
		// otherwise lose its association to one unlucky packet between.
		if tag, ok := e.QuotedInitiateTag(); ok && e.QuotedVerificationTag() == 0 && tag == a.localTag {
			a.Stats.ICMPAccepted++
			a.close()
			a.out.clear()
			a.events.push(Event{Type: EventCantStrAssoc, State: Closed})
			return true
		}
	}
	if src != a.localPort || dst != a.peerPort || e.QuotedVerificationTag() != a.peerTag || a.peerTag == 0 || p == nil {
		a.Stats.ICMPIgnored++
		return false
	}
	if !e.TooBig() {
		return true // other errors: path failure is left to T3-rtx and HEARTBEATs (multihome.go)
	}
	mtu := max(int(e.MTU), minPMTU(p.ipHeaderLen() == 40))
	if e.MTU == 0 || mtu >= p.mtu {
		a.Stats.ICMPIgnored++
		return false
	}
	p.mtu = mtu
	if a.pl.on && p == &a.paths[a.primary] { // the search stays below it
		a.pl.lo, a.pl.hi = min(a.pl.lo, mtu), min(a.pl.hi, mtu+1)
	}
	if p.cc != nil {
		p.cc.SetMTU(mtu - p.ipHeaderLen())
	}
	a.Stats.ICMPAccepted++
	return true
}

// PathMTU gives the current path's MTU (IP header included): the
// primary's, or its stand-in's after failover (PathInfo has every path's).
func (a *Assoc) PathMTU() int { return a.pathMTU() }

// HandleICMP finds the association an ICMP error is about (the quoted
// packet's destination address and port) and hands the error to it
// (Assoc.HandleICMP, RFC 9260 Appendix C). It reports whether an
// association accepted it.
func (e *Endpoint) HandleICMP(now int64, m *wire.ICMPError) bool {
	if len(m.Quoted) < 8 || m.Protocol != 132 {
		return false
	}
	src, dst := m.QuotedPorts()
	if src != e.cfg.LocalPort {
		return false
	}
	a := e.byPeer[peerKey{m.Destination, dst}]
	return a != nil && a.HandleICMP(now, m)
}

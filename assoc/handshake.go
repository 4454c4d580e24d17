package assoc

import (
	"errors"
	"net/netip"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// ErrState is returned by a user call not allowed in the current state.
var ErrState = errors.New("assoc: call not allowed in this state")

// ErrNoPeer is returned by Connect without a usable peer address or port.
var ErrNoPeer = errors.New("assoc: no usable peer address or port")

// connect starts the handshake (RFC 9260 5.1 A): INIT to the first
// address, T1-init, COOKIE-WAIT.
func (a *Assoc) connect(now int64, peers []netip.Addr, port uint16) error {
	if a.state != Closed || a.paths != nil {
		return ErrState
	}
	for _, p := range peers {
		a.addPath(p, true) // RFC 9260 5.4 rule 1
	}
	if len(a.paths) == 0 || port == 0 {
		return ErrNoPeer
	}
	a.peerPort = port
	a.localTag = a.resp.tag()
	a.localTSN = a.cfg.Rand.Uint32()
	a.state = CookieWait
	a.buildInit()
	a.sendInit(now)
	return nil
}

// buildInit keeps our INIT chunk (RFC 9260 3.3.2) for T1-init.
func (a *Assoc) buildInit() {
	var w wire.Builder
	w.Start(a.initChunk[:0], 0, 0, 0)
	w.BeginInit(a.localTag, a.cfg.ARwnd, a.cfg.OutStreams, a.cfg.MaxInStreams, a.localTSN)
	appendLocalAddrs(&w, a.cfg, a.dst())
	if a.preserve != 0 {
		w.ParamCookiePreservative(a.preserve)
	}
	if a.cfg.HasAdaptation {
		w.ParamAdaptation(a.cfg.Adaptation)
	}
	b, _ := w.FinishZeroChecksum()
	a.initChunk = b
}

func (a *Assoc) sendInit(now int64) {
	w := a.out.begin(a.localPort, a.peerPort, 0) // 8.5.1 A: vtag 0
	w.Raw(a.initChunk[wire.SCTPHeaderLen:])
	a.out.commit(a.dst(), true)
	a.initSentAt = now
	a.t1.start(now, a.RTO())
}

func (a *Assoc) sendCookieEcho(now int64) {
	w := a.queue()
	w.CookieEcho(a.cookie)
	a.commit()
	a.initSentAt = now
	a.t1.start(now, a.RTO())
}

// t1Expired retransmits INIT or COOKIE ECHO with back-off, and gives up
// after Max.Init.Retransmits (RFC 9260 5.1 C, 6.3.3).
func (a *Assoc) t1Expired(now int64) {
	if !a.retransmitOK(&a.t1, a.cfg.MaxInitRetransmits) {
		a.fail(EventCantStrAssoc)
		return
	}
	a.paths[a.tx].backoff(a.cfg)
	// RFC 9260 6.4: retransmit to another confirmed peer address if there
	// is one (unconfirmed ones would need a HEARTBEAT bundled, 5.4); each
	// keeps its own backed-off RTO.
	if alt := a.alternate(a.tx); alt >= 0 && (a.state == CookieWait || a.state == CookieEchoed) {
		a.tx = alt
	}
	switch a.state {
	case CookieWait:
		a.sendInit(now)
	case CookieEchoed:
		a.sendCookieEcho(now)
	default:
		a.t1.stop()
	}
}

// fail ends the association without a packet, with event t.
func (a *Assoc) fail(t EventType) {
	a.close()
	a.event(t)
}

// recvInitAck handles an INIT ACK: in COOKIE-WAIT it completes our half of
// the handshake (RFC 9260 5.1 C); in any other state it is discarded
// (5.2.3).
func (a *Assoc) recvInitAck(now int64, pi *PacketInfo, ia wire.InitChunk) {
	if a.state != CookieWait {
		a.Stats.NotInState++
		return
	}
	var o wire.InitOptions
	ia.Options(&o)
	if o.HasHostName { // RFC 9260 3.3.2.1
		w := a.out.begin(a.localPort, a.peerPort, ia.InitiateTag())
		abortHostName(w, ia)
		a.out.commit(pi.Src, false)
		a.fail(EventCantStrAssoc)
		return
	}
	if len(o.StateCookie) == 0 || len(o.StateCookie) > 4096 {
		return // wire refuses a missing cookie; a huge one is not kept
	}
	a.peerTag = ia.InitiateTag()
	a.peerTSN = ia.InitialTSN()
	a.peerARwnd = ia.ARwnd()
	a.os = min(a.cfg.OutStreams, ia.InStreams())
	a.mis = min(a.cfg.MaxInStreams, ia.OutStreams())
	a.hasPeerAdapt, a.peerAdapt = o.HasAdaptation, o.Adaptation
	a.cookie = append(a.cookie[:0], o.StateCookie...)
	a.addPath(pi.Src, false)
	a.addrParams(ia, o.Stop)
	a.initData()
	if a.t1.n == 0 { // Karn: no sample from a retransmitted INIT
		a.paths[a.tx].sample(now-a.initSentAt, a.cfg)
	}
	a.t1.stop()
	a.state = CookieEchoed
	// COOKIE ECHO first (RFC 9260 5.1), then an ERROR reporting the
	// unrecognized parameters whose action bits ask for it (3.2.1).
	w := a.queue()
	w.CookieEcho(a.cookie)
	report := false
	for it := ia.Params(); ; {
		p, ok := it.Next()
		if !ok {
			break
		}
		if t := p.Type(); !t.Known() {
			if t.Action().Report() {
				if !report {
					w.BeginError()
					w.BeginCause(wire.CauseUnrecognizedParams)
					report = true
				}
				w.Raw(p)
				w.Zeros((4 - len(p)&3) & 3)
			}
			if !t.Action().Skip() {
				break
			}
		}
	}
	a.commit()
	a.initSentAt = now
	a.t1.start(now, a.RTO())
}

// addrParams adds the address parameters of an INIT or INIT ACK as paths,
// up to a parameter whose action bits say stop.
func (a *Assoc) addrParams(c wire.InitChunk, stop wire.Param) {
	for it := c.Params(); ; {
		p, ok := it.Next()
		if !ok || (stop != nil && &p[0] == &stop[0]) || len(a.paths) >= maxCookieAddrs+1 {
			return
		}
		if t := p.Type(); t == wire.ParamIPv4 || t == wire.ParamIPv6 {
			a.addPath(p.Addr(), false)
		}
	}
}

// recvCookieAck completes the handshake in COOKIE-ECHOED (RFC 9260 5.1 E);
// elsewhere it is discarded (5.2.5).
func (a *Assoc) recvCookieAck(now int64) {
	if a.state != CookieEchoed {
		a.Stats.NotInState++
		return
	}
	if a.t1.n == 0 {
		a.paths[a.tx].sample(now-a.initSentAt, a.cfg)
	}
	a.t1.stop()
	a.up(now, EventCommUp)
}

// up enters ESTABLISHED and notifies the user.
func (a *Assoc) up(now int64, t EventType) {
	a.state = Established
	a.lastActive = now
	a.choosePath()
	a.plStart(now)
	a.hbStart(now)
	a.event(t)
	if a.hasPeerAdapt {
		a.events.push(Event{Type: EventAdaptation, State: a.state, Adaptation: a.peerAdapt})
	}
}

// staleCookie handles a Stale Cookie error in COOKIE-ECHOED (RFC 9260
// 5.2.6): a new INIT asking for a longer cookie life, counted against
// Max.Init.Retransmits.
func (a *Assoc) staleCookie(now int64, staleUs uint32) {
	if !a.retransmitOK(&a.t1, a.cfg.MaxInitRetransmits) {
		a.fail(EventCantStrAssoc)
		return
	}
	// The staleness plus at most one second (5.2.6), in ms.
	a.preserve = staleUs/1000 + uint32(min(a.RTO()/1e6, 1000))
	a.peerTag, a.cookie = 0, a.cookie[:0]
	a.state = CookieWait
	a.buildInit()
	a.sendInit(now)
}

// recvInit answers an INIT received while the association exists (RFC 9260
// 5.2.1, 5.2.2, 9.2).
func (a *Assoc) recvInit(now int64, pi *PacketInfo, pkt wire.SCTP, init wire.InitChunk) {
	if a.state != ShutdownAckSent && a.newAddrs(now, pi, pkt, init) {
		// 5.2.2, and 5.2.1 in COOKIE-WAIT and COOKIE-ECHOED: the INIT ACK
		// goes only to an address we know and the INIT lists; an INIT from
		// or adding other addresses is refused, never answered with our tag.
		return
	}
	switch a.state {
	case CookieWait: // 5.2.1: our own tag and TSN, unchanged; no tie-tags yet
		a.initAck(now, pi, pkt, init, a.localTag, a.localTSN, 0, 0)
	case CookieEchoed: // 5.2.1, with the tags we hold as tie-tags; the
		// initial TSN, even if DATA went out with the COOKIE ECHO
		a.initAck(now, pi, pkt, init, a.localTag, a.fl.cumAck+1, a.localTag, a.peerTag)
	case ShutdownAckSent: // 9.2: discard and retransmit SHUTDOWN ACK
		a.sendShutdownAck(now)
	default: // 5.2.2: a new tag, the current ones as tie-tags
		a.initAck(now, pi, pkt, init, a.resp.tag(), a.cfg.Rand.Uint32(), a.localTag, a.peerTag)
	}
}

func (a *Assoc) initAck(now int64, pi *PacketInfo, pkt wire.SCTP, init wire.InitChunk, tag, tsn, lt, pt uint32) {
	w := a.out.begin(a.localPort, pkt.SrcPort(), init.InitiateTag())
	if a.resp.writeInitAck(w, now, pi, pkt, init, tag, tsn, lt, pt) {
		a.out.commit(pi.Src, true)
	}
}

// newAddrs refuses a restart that adds addresses (RFC 9260 5.2.2): ABORT
// with "Restart of an Association with New Addresses" listing them.
func (a *Assoc) newAddrs(now int64, pi *PacketInfo, pkt wire.SCTP, init wire.InitChunk) bool {
	isNew := func(x netip.Addr) bool { return usableAddr(x) && a.pathOf(x) == nil }
	found := isNew(pi.Src)
	for it := init.Params(); !found; {
		p, ok := it.Next()
		if !ok {
			break
		}
		if t := p.Type(); (t == wire.ParamIPv4 || t == wire.ParamIPv6) && isNew(p.Addr()) {
			found = true
		}
	}
	if !found {
		return false
	}
	w := a.out.begin(a.localPort, pkt.SrcPort(), init.InitiateTag())
	w.BeginAbort(false)
	w.BeginCause(wire.CauseRestartNewAddresses)
	if isNew(pi.Src) {
		w.ParamAddr(pi.Src)
	}
	for it := init.Params(); ; {
		p, ok := it.Next()
		if !ok {
			break
		}
		if t := p.Type(); (t == wire.ParamIPv4 || t == wire.ParamIPv6) && isNew(p.Addr()) {
			w.ParamAddr(p.Addr())
		}
	}
	w.End()
	w.End()
	a.out.commit(pi.Src, false)
	return true
}

// recvCookieEcho handles a COOKIE ECHO while the association exists: the
// table of RFC 9260 5.2.4. It returns false when the packet is discarded.
func (a *Assoc) recvCookieEcho(now int64, pi *PacketInfo, pkt wire.SCTP, ce wire.CookieEchoChunk) bool {
	cd := &a.resp.cd
	if a.resp.keys.open(ce.Cookie(), now, cd) != nil ||
		cd.localPort != a.localPort || cd.peerPort != pkt.SrcPort() ||
		pkt.VerificationTag() != cd.localTag {
		a.Stats.Discarded++
		return false
	}
	lm, pm := cd.localTag == a.localTag, cd.peerTag == a.peerTag
	if st := cd.staleness(now); st != 0 && !(lm && pm) {
		a.staleError(pi, pkt, cd, st) // 5.2.4 step 3 (cases C and D with a stale cookie)
		return false
	}
	switch {
	case !lm && !pm && cd.localTieTag == a.localTag && cd.peerTieTag == a.peerTag &&
		cd.localTieTag != 0: // (A) the peer restarted
		if a.state == ShutdownAckSent {
			w := a.out.begin(a.localPort, a.peerPort, cd.peerTag)
			w.ShutdownAck()
			w.BeginError()
			w.CauseEmpty(wire.CauseCookieWhileShuttingDown)
			w.End()
			a.out.commit(pi.Src, false)
			return false
		}
		a.out.clear()
		a.close()
		a.resetSend()
		a.adopt(cd)
		a.cookieAck()
		a.up(now, EventRestart)
	case lm && !pm: // (B) INIT collision; also a peer's tag of 0 in COOKIE-WAIT
		if a.state != CookieWait && a.state != CookieEchoed {
			a.sq.restartSSNs() // the peer's new TCB expects SSN 0 (as Linux)
		}
		a.adopt(cd)
		a.t1.stop()
		a.cookieAck()
		if a.state == CookieWait || a.state == CookieEchoed {
			a.up(now, EventCommUp)
		}
	case !lm && pm && cd.localTieTag == 0 && cd.peerTieTag == 0: // (C)
		a.Stats.Discarded++
		return false
	case lm && pm: // (D)
		a.t1.stop()
		if a.state == CookieWait || a.state == CookieEchoed {
			a.up(now, EventCommUp)
		}
		a.cookieAck()
	default:
		a.Stats.Discarded++
		return false
	}
	return true
}

func (a *Assoc) cookieAck() {
	w := a.queue()
	w.CookieAck()
	a.commit()
}

// staleError answers a stale cookie (RFC 9260 5.1.5 step 3, 3.3.10.3).
func (a *Assoc) staleError(pi *PacketInfo, pkt wire.SCTP, cd *cookieData, st uint32) {
	w := a.out.begin(a.localPort, pkt.SrcPort(), cd.peerTag)
	w.BeginError()
	w.CauseU32(wire.CauseStaleCookie, st)
	w.End()
	a.out.commit(pi.Src, false)
}

// adopt takes the association's parameters from a cookie (5.1.5, 5.2.4).
func (a *Assoc) adopt(cd *cookieData) {
	a.localPort, a.peerPort = cd.localPort, cd.peerPort
	a.localTag, a.peerTag = cd.localTag, cd.peerTag
	if a.fl.outstanding() == 0 { // else DATA left with the COOKIE ECHO (5.2.1)
		a.localTSN = cd.localTSN
	}
	a.peerTSN = cd.peerTSN
	a.peerARwnd = cd.peerARwnd
	a.os, a.mis = min(cd.localOS, cd.peerMIS), min(cd.localMIS, cd.peerOS)
	a.hasPeerAdapt, a.peerAdapt = cd.flags&cookieFlagAdapt != 0, cd.peerAdapt
	if p := a.pathOf(cd.src); p == nil {
		a.addPath(cd.src, true) // RFC 9260 5.4 rule 2: where the INIT ACK went
	} else if p.state == PathUnconfirmed {
		p.state = PathActive
	}
	for i := 0; i < cd.nAddrs; i++ {
		a.addPath(cd.addrs[i], false)
	}
	for i := range a.paths {
		if a.paths[i].addr == cd.src {
			a.primary = i // the INIT's source is the primary path
		}
	}
	a.choosePath()
	a.initData()
}

// appendLocalAddrs announces our addresses in an INIT or INIT ACK to peer
// (RFC 9260 3.3.2, 5.1.2): all of LocalAddrs when there are several, or with
// AnnouncePeerFamily those of peer's family when there are several.
func appendLocalAddrs(w *wire.Builder, cfg *Config, peer netip.Addr) {
	is4 := peer.Unmap().Is4()
	n := 0
	for _, l := range cfg.LocalAddrs {
		if !cfg.AnnouncePeerFamily || l.Unmap().Is4() == is4 {
			n++
		}
	}
	if n < 2 {
		return
	}
	for _, l := range cfg.LocalAddrs {
		if !cfg.AnnouncePeerFamily || l.Unmap().Is4() == is4 {
			w.ParamAddr(l)
		}
	}
}

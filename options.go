package sctpxdp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sctp-xdp/sctp-xdp/assoc"
	"github.com/sctp-xdp/sctp-xdp/fastpath"
)

// Socket options (RFC 6458 8) as typed methods. Per association: methods
// on *Assoc, each naming its RFC 6458 section and SCTP_ option. Options
// the engine keeps (RTO, retransmission limits, Nagle, MAXSEG...) are read
// and changed on the association's poller (onPoller) and take effect at
// once; options of the API layer (default send parameters, context,
// explicit EOR, next-message information, mapped addresses, events) live
// in assocOpts. Endpoint-wide options (INITMSG, buffer sizes, adaptation
// layer, autoclose for one-to-many) are methods on *Endpoint and apply to
// the associations made afterwards. A bad value is refused with an error
// wrapping ErrInvalid; an option whose protocol work comes later (AUTH,
// ASCONF, stream reset, PR-SCTP) with one wrapping ErrNotSupported.

// assocOpts are an Assoc's options kept in the API layer.
type assocOpts struct {
	mu      sync.Mutex // guards defSnd, eor*, fragLevel
	defSnd  SndInfo    // SCTP_DEFAULT_SNDINFO
	context atomic.Uint32
	// sendOpts routes every SendMsg through sendOpt: explicit EOR or
	// disabled fragments are on.
	sendOpts    atomic.Bool
	explicitEOR bool
	noFrag      bool
	eorBuf      []byte  // the message being built with explicit EOR
	eorInfo     SndInfo // its send parameters (from the first part)
	fragLevel   int

	mappedV4  atomic.Bool   // SCTP_I_WANT_MAPPED_V4_ADDR
	recvNxt   atomic.Bool   // SCTP_RECVNXTINFO
	events    atomic.Uint32 // per-association SCTP_EVENT, when eventsSet
	eventsSet atomic.Bool

	rd, wd deadline // net.Conn deadlines (netconn.go)
}

// special reports whether SendMsg must look at options beyond a plain
// queued message.
func (i *SndInfo) special() bool { return i.TimeToLive != 0 || i.EOF || i.Abort || i.EOR }

// sendOpt is SendMsg with the options of this file: PR-SCTP's time to
// live (refused), SCTP_ABORT, SCTP_EOF, explicit EOR, disabled fragments.
func (a *Assoc) sendOpt(ctx context.Context, info SndInfo, data []byte) error {
	if info.TimeToLive < 0 {
		return fmt.Errorf("%w: negative time to live", ErrInvalid)
	}
	if info.TimeToLive != 0 {
		return fmt.Errorf("%w: a time to live needs PR-SCTP (RFC 3758)", ErrNotSupported)
	}
	if info.Abort {
		return a.abortWith(data)
	}
	a.opt.mu.Lock()
	explicit, noFrag := a.opt.explicitEOR, a.opt.noFrag
	a.opt.mu.Unlock()
	if explicit {
		var done bool
		var err error
		if info, data, done, err = a.buildEOR(info, data); err != nil || !done {
			return err
		}
	}
	if noFrag && len(data) > 0 {
		st, err := a.Status()
		if err != nil {
			return err
		}
		if len(data) > st.FragPoint {
			return fmt.Errorf("%w: message of %d bytes with fragmentation disabled (one DATA chunk carries %d, SCTP_DISABLE_FRAGMENTS)",
				ErrInvalid, len(data), st.FragPoint)
		}
	}
	if len(data) > 0 || !info.EOF {
		if err := a.queueMsg(ctx, info, data); err != nil {
			return err
		}
	}
	if info.EOF {
		return a.shutdownAsync()
	}
	return nil
}

// buildEOR adds a part to the message being built (SCTP_EXPLICIT_EOR, RFC
// 6458 8.1.26): the message goes when a part has EOR, or EOF (the
// graceful shutdown ends the record too). The stream may not change in
// the middle of a message.
func (a *Assoc) buildEOR(info SndInfo, data []byte) (SndInfo, []byte, bool, error) {
	a.opt.mu.Lock()
	defer a.opt.mu.Unlock()
	if len(a.opt.eorBuf) > 0 && (info.Stream != a.opt.eorInfo.Stream || info.Unordered != a.opt.eorInfo.Unordered) {
		return info, nil, false, fmt.Errorf("%w: stream or ordering changed before the end of record (SCTP_EXPLICIT_EOR)", ErrInvalid)
	}
	if len(a.opt.eorBuf)+len(data) > maxMessage {
		a.opt.eorBuf = a.opt.eorBuf[:0]
		return info, nil, false, fmt.Errorf("%w: message built with explicit EOR exceeds %d bytes; discarded", ErrInvalid, maxMessage)
	}
	if len(a.opt.eorBuf) == 0 {
		a.opt.eorInfo = info
	}
	a.opt.eorBuf = append(a.opt.eorBuf, data...)
	if !info.EOR && !info.EOF {
		return info, nil, false, nil
	}
	msg := append([]byte(nil), a.opt.eorBuf...) // queueMsg copies again; the parts buffer is reused
	a.opt.eorBuf = a.opt.eorBuf[:0]
	out := a.opt.eorInfo
	out.EOR, out.EOF = info.EOR, info.EOF
	return out, msg, true, nil
}

// pendingRecord reports whether a record begun with explicit EOR waits for
// its end.
func (a *Assoc) pendingRecord() bool {
	a.opt.mu.Lock()
	defer a.opt.mu.Unlock()
	return len(a.opt.eorBuf) > 0
}

// abortWith aborts the association with data as the User-Initiated Abort
// reason (SCTP_ABORT, RFC 6458 5.3.4; RFC 9260 9.1).
func (a *Assoc) abortWith(reason []byte) error {
	if len(reason) > 512 {
		return fmt.Errorf("%w: abort reason of %d bytes (at most 512)", ErrInvalid, len(reason))
	}
	if err := a.abort(append([]byte(nil), reason...)); err != nil {
		return a.mapErr(err)
	}
	return nil
}

// shutdownAsync starts the graceful shutdown behind what was queued
// (SCTP_EOF) without waiting for it.
func (a *Assoc) shutdownAsync() error {
	a.mu.Lock()
	a.req = assocReq{a: a, kind: reqShutdown}
	err := a.call()
	a.mu.Unlock()
	return a.mapErr(err)
}

// Send sends data as one message with the default send parameters
// (SetDefaultSndInfo; RFC 6458 8.1.31): the call of the non-extended API.
func (a *Assoc) Send(ctx context.Context, data []byte) error {
	a.opt.mu.Lock()
	info := a.opt.defSnd
	a.opt.mu.Unlock()
	return a.SendMsg(ctx, info, data)
}

// DefaultSndInfo gives the default send parameters (SCTP_DEFAULT_SNDINFO,
// RFC 6458 8.1.31; SCTP_DEFAULT_SEND_PARAM, 8.1.13).
func (a *Assoc) DefaultSndInfo() SndInfo {
	a.opt.mu.Lock()
	defer a.opt.mu.Unlock()
	return a.opt.defSnd
}

// SetDefaultSndInfo sets the parameters Send and Write use: stream, PPID,
// unordered, context. The flags EOR, EOF and Abort are per call, not
// defaults; a time to live needs PR-SCTP.
func (a *Assoc) SetDefaultSndInfo(info SndInfo) error {
	if info.TimeToLive != 0 {
		return fmt.Errorf("%w: a default time to live needs PR-SCTP (RFC 3758)", ErrNotSupported)
	}
	if info.EOR || info.EOF || info.Abort {
		return fmt.Errorf("%w: EOR, EOF and Abort are flags of one call, not defaults", ErrInvalid)
	}
	st, err := a.Status()
	if err != nil {
		return err
	}
	if info.Stream >= st.OutStreams {
		return fmt.Errorf("%w: default stream %d, the association has %d outbound streams", ErrInvalid, info.Stream, st.OutStreams)
	}
	a.opt.mu.Lock()
	a.opt.defSnd = info
	a.opt.mu.Unlock()
	return nil
}

// Context gives the association's default context (SCTP_CONTEXT, RFC 6458
// 8.1.25), reported in RcvInfo.Context.
func (a *Assoc) Context() uint32 { return a.opt.context.Load() }

// SetContext sets the default context (SCTP_CONTEXT).
func (a *Assoc) SetContext(c uint32) { a.opt.context.Store(c) }

// ExplicitEOR reports whether messages end only with SndInfo.EOR
// (SCTP_EXPLICIT_EOR, RFC 6458 8.1.26).
func (a *Assoc) ExplicitEOR() bool {
	a.opt.mu.Lock()
	defer a.opt.mu.Unlock()
	return a.opt.explicitEOR
}

// SetExplicitEOR makes each SendMsg a part of a message that ends with the
// part carrying SndInfo.EOR (up to 256 KiB in all; the stream may not
// change in between). Turning it off discards an unfinished message.
func (a *Assoc) SetExplicitEOR(on bool) {
	a.opt.mu.Lock()
	a.opt.explicitEOR = on
	if !on {
		a.opt.eorBuf = nil
	}
	a.opt.sendOpts.Store(a.opt.explicitEOR || a.opt.noFrag)
	a.opt.mu.Unlock()
}

// MappedV4 reports whether IPv4 addresses are reported as IPv4-mapped IPv6
// ones (SCTP_I_WANT_MAPPED_V4_ADDR, RFC 6458 8.1.15).
func (a *Assoc) MappedV4() bool { return a.opt.mappedV4.Load() }

// SetMappedV4 turns the IPv4-mapped reporting of addresses on or off: in
// RemoteAddr, PrimaryAddr, Status, PeerAddrInfo and notifications.
func (a *Assoc) SetMappedV4(on bool) { a.opt.mappedV4.Store(on) }

func (a *Assoc) mapAddr(ad netip.Addr) netip.Addr {
	if a.opt.mappedV4.Load() && ad.Is4() {
		return netip.AddrFrom16(ad.As16())
	}
	return ad
}

// RecvNextInfo reports whether RcvInfo describes the next message
// (SCTP_RECVNXTINFO, RFC 6458 8.1.30; SCTP_USE_EXT_RCVINFO, 8.1.22).
func (a *Assoc) RecvNextInfo() bool { return a.opt.recvNxt.Load() }

// SetRecvNextInfo turns RcvInfo.Next on or off.
func (a *Assoc) SetRecvNextInfo(on bool) { a.opt.recvNxt.Store(on) }

// NextInfo describes the message RecvMsg returns next (RFC 6458 5.3.6).
type NextInfo struct {
	Stream       uint16
	PPID         uint32
	Unordered    bool
	Length       int  // bytes of it that have arrived
	Complete     bool // SCTP_COMPLETE: Length is the whole message
	Notification bool // the next read is a notification
	AssocID      uint32
}

// fillRcvInfo completes a data read's RcvInfo: the ids, the cumulative
// TSN and, when asked, the next message (RecvMsg, rxMu held).
func (a *Assoc) fillRcvInfo(ri *RcvInfo, m *rxMsg, done bool) {
	ri.AssocID, ri.CumTSN, ri.Context = a.id, m.info.CumTSN, a.opt.context.Load()
	if !done || !a.opt.recvNxt.Load() {
		return
	}
	if n, ok := a.rx.Peek(); ok {
		ri.HasNext = true
		if n.notif != nil {
			ri.Next = NextInfo{Notification: true, AssocID: a.id}
			return
		}
		ri.Next = NextInfo{Stream: n.info.Stream, PPID: n.info.PPID, Unordered: n.info.Unordered,
			Length: n.n, Complete: n.info.EOR, AssocID: a.id}
	}
}

// notifInfo is the RcvInfo of a notification read.
func (a *Assoc) notifInfo(n *Notification) RcvInfo {
	if a.opt.mappedV4.Load() && n.Addr.Is4() {
		c := *n
		c.Addr = a.mapAddr(n.Addr)
		n = &c
	}
	return RcvInfo{AssocID: a.id, Context: a.opt.context.Load(), Notification: n}
}

// Events gives the notifications this association delivers (SCTP_EVENT,
// RFC 6458 8.1.28): its own if SetEvents was called, else the endpoint's.
func (a *Assoc) Events() Events {
	if a.opt.eventsSet.Load() {
		return Events(a.opt.events.Load())
	}
	return a.ep.cfg.Events
}

// SetEvents chooses the notifications of this association (SCTP_EVENT,
// SCTP_EVENTS of RFC 6458 8.1.14), from the next event on.
func (a *Assoc) SetEvents(ev Events) error {
	if err := ev.validate(); err != nil {
		return err
	}
	a.opt.events.Store(uint32(ev))
	a.opt.eventsSet.Store(true)
	return nil
}

// engine runs fn with the association's engine on its poller.
func (a *Assoc) engine(fn func(eng *assoc.Assoc) error) error {
	err := a.onPoller(func(c *fastpath.Ctx, h *pollerHandler, eng *assoc.Assoc) error {
		if eng == nil {
			return ErrClosed
		}
		return fn(eng)
	})
	return optErr(err)
}

// optErr maps the engine's option errors to this package's sentinels.
func optErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, assoc.ErrConfig), errors.Is(err, assoc.ErrUnknownAddr), errors.Is(err, assoc.ErrUnconfirmed):
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	case errors.Is(err, assoc.ErrNotSupported):
		return fmt.Errorf("%w: %w", ErrNotSupported, err)
	}
	return err
}

// NoDelay reports whether Nagle's algorithm is off (SCTP_NODELAY, RFC 6458
// 8.1.5).
func (a *Assoc) NoDelay() (on bool, err error) {
	err = a.engine(func(eng *assoc.Assoc) error { on = eng.Config().NoDelay; return nil })
	return on, err
}

// SetNoDelay turns Nagle's algorithm off (true) or on.
func (a *Assoc) SetNoDelay(on bool) error {
	return a.engine(func(eng *assoc.Assoc) error { eng.SetNoDelay(on); return nil })
}

// RTOInfo are the retransmission timeout bounds (SCTP_RTOINFO, RFC 6458
// 8.1.1; RFC 9260 6.3.1).
type RTOInfo struct{ Initial, Min, Max time.Duration }

// RTOInfo gives the association's RTO bounds.
func (a *Assoc) RTOInfo() (ri RTOInfo, err error) {
	err = a.engine(func(eng *assoc.Assoc) error {
		c := eng.Config()
		ri = RTOInfo{c.RTOInitial, c.RTOMin, c.RTOMax}
		return nil
	})
	return ri, err
}

// SetRTOInfo sets the RTO bounds; a zero field keeps its value. They must
// satisfy 0 < Min <= Initial <= Max.
func (a *Assoc) SetRTOInfo(ri RTOInfo) error {
	if ri.Initial < 0 || ri.Min < 0 || ri.Max < 0 {
		return fmt.Errorf("%w: negative RTO value %+v", ErrInvalid, ri)
	}
	return a.engine(func(eng *assoc.Assoc) error {
		c := eng.Config()
		n := RTOInfo{c.RTOInitial, c.RTOMin, c.RTOMax}
		if ri.Initial != 0 {
			n.Initial = ri.Initial
		}
		if ri.Min != 0 {
			n.Min = ri.Min
		}
		if ri.Max != 0 {
			n.Max = ri.Max
		}
		return eng.SetRTO(n.Initial, n.Min, n.Max)
	})
}

// AssocParams is SCTP_ASSOCINFO (RFC 6458 8.1.2).
type AssocParams struct {
	MaxRetrans       int           // sasoc_asocmaxrxt: Association.Max.Retrans
	PeerDestinations int           // sasoc_number_peer_destinations (read only)
	PeerRwnd         uint32        // sasoc_peer_rwnd (read only)
	LocalRwnd        uint32        // sasoc_local_rwnd (read only)
	CookieLife       time.Duration // sasoc_cookie_life: Valid.Cookie.Life
}

// AssocParams gives the association's parameters; CookieLife is the
// endpoint's, the one SetAssocParams sets (the association's own copy is
// never used: only the endpoint issues cookies).
func (a *Assoc) AssocParams() (ai AssocParams, err error) {
	err = a.engine(func(eng *assoc.Assoc) error {
		c, st := eng.Config(), eng.Status()
		ai = AssocParams{MaxRetrans: c.AssocMaxRetrans, PeerDestinations: len(eng.PeerAddrs(nil)),
			PeerRwnd: st.PeerRwnd, LocalRwnd: st.LocalRwnd}
		return nil
	})
	if err != nil {
		return ai, err
	}
	c, err := a.ep.assocConfig()
	ai.CookieLife = c.ValidCookieLife
	return ai, err
}

// SetAssocParams sets Association.Max.Retrans and Valid.Cookie.Life; zero
// keeps a value, the read-only fields are ignored (as RFC 6458 says). The
// cookie life is the endpoint's: it applies to the cookies it issues from
// now on, for every association.
func (a *Assoc) SetAssocParams(ai AssocParams) error {
	if ai.MaxRetrans < 0 || ai.CookieLife < 0 {
		return fmt.Errorf("%w: negative MaxRetrans or CookieLife", ErrInvalid)
	}
	if ai.CookieLife != 0 && (ai.CookieLife < time.Millisecond || ai.CookieLife > time.Hour) {
		return fmt.Errorf("%w: cookie life %v outside [1ms, 1h]", ErrInvalid, ai.CookieLife)
	}
	if ai.MaxRetrans != 0 {
		if err := a.engine(func(eng *assoc.Assoc) error { return eng.SetMaxRetrans(ai.MaxRetrans) }); err != nil {
			return err
		}
	}
	if ai.CookieLife != 0 {
		return a.ep.updateAssocConfig(func(c *assoc.Config) { c.ValidCookieLife = ai.CookieLife })
	}
	return nil
}

// SCTP_AUTOCLOSE "is applicable to the one-to-many style socket only"
// (RFC 6458 8.1.8; NetBSD sctp(4) and Solaris sctp(7P) say the same):
// ListenMany's endpoint and the associations in its set take it. A
// one-to-one endpoint, its associations, and an association branched off
// a one-to-many endpoint (PeelOff, or Endpoint.Dial, which returns it
// peeled off; RFC 6458 9.2 makes it one-to-one style) refuse it with an
// error wrapping ErrNotSupported (Linux: EOPNOTSUPP, FreeBSD: EINVAL).
// The getters answer everywhere. Branching an association off turns its
// autoclose off (peeledOff), as FreeBSD's sctp_peeloff stops the timer:
// nothing could turn it off after that.

// errAutoCloseStyle is the refusal of SCTP_AUTOCLOSE outside the
// one-to-many style; where names what it was asked of.
func errAutoCloseStyle(where string) error {
	return fmt.Errorf("%w: SCTP_AUTOCLOSE on %s: one-to-many style only (RFC 6458 8.1.8)", ErrNotSupported, where)
}

// checkAutoClose checks an idle time set through the API: 0 or at least
// a second (the RFC counts in seconds).
func checkAutoClose(d time.Duration) error {
	if d != 0 && d < time.Second {
		return fmt.Errorf("%w: autoclose %v: 0 or at least 1 s", ErrInvalid, d)
	}
	return nil
}

// validateOptions checks a Config's socket options (Config.validate): the
// kinds of SCTP_EVENT, and Assoc.AutoClose only for ListenMany (RFC 6458
// 8.1.8; the error wraps ErrNotSupported, as the setters').
func (c *Config) validateOptions() error {
	if c.Assoc.AutoClose != 0 && !c.oneToMany {
		return errAutoCloseStyle("a one-to-one endpoint's Config.Assoc.AutoClose")
	}
	return c.Events.validate()
}

// AutoClose gives the idle time after which the association shuts down,
// 0 for never (SCTP_AUTOCLOSE, RFC 6458 8.1.8), on any association.
func (a *Assoc) AutoClose() (d time.Duration, err error) {
	err = a.engine(func(eng *assoc.Assoc) error { d = eng.Config().AutoClose; return nil })
	return d, err
}

// SetAutoClose sets the idle time of an association in a one-to-many
// endpoint's set: at least a second, or 0 for never. Elsewhere it is
// refused (ErrNotSupported, see above).
func (a *Assoc) SetAutoClose(d time.Duration) error {
	if !a.ext.member.Load() {
		return errAutoCloseStyle("a one-to-one or peeled-off association")
	}
	if err := checkAutoClose(d); err != nil {
		return err
	}
	return a.engine(func(eng *assoc.Assoc) error {
		if !a.ext.member.Load() { // peeled off since the check above
			return errAutoCloseStyle("a peeled-off association")
		}
		return eng.SetAutoClose(d)
	})
}

// peeledOff turns the autoclose of an association branched off a
// one-to-many endpoint off (PeelOff, and Endpoint.Dial there): it is
// one-to-one style now. An association that ended meanwhile has nothing
// to turn off, nor has one without a poller (the fixtures of
// endpoint_many_internal_test.go).
func (a *Assoc) peeledOff() {
	if a.h != nil {
		a.engine(func(eng *assoc.Assoc) error { return eng.SetAutoClose(0) })
	}
}

// PrimaryAddr gives the primary peer address (SCTP_PRIMARY_ADDR, RFC 6458
// 8.1.9).
func (a *Assoc) PrimaryAddr() (p netip.Addr, err error) {
	err = a.engine(func(eng *assoc.Assoc) error { p = eng.Primary(); return nil })
	return a.mapAddr(p), err
}

// SetPrimaryAddr makes addr, a confirmed peer address, the primary: new
// DATA goes there while it is active (RFC 9260 6.4).
func (a *Assoc) SetPrimaryAddr(addr netip.Addr) error {
	if !addr.IsValid() {
		return fmt.Errorf("%w: no address", ErrInvalid)
	}
	return a.engine(func(eng *assoc.Assoc) error { return eng.SetPrimary(addr) })
}

// SetPeerPrimaryAddr asks the peer to make addr, one of ours, its primary
// (SCTP_SET_PEER_PRIMARY_ADDR, RFC 6458 8.3.1): it needs ASCONF (RFC 5061).
func (a *Assoc) SetPeerPrimaryAddr(addr netip.Addr) error {
	return a.engine(func(eng *assoc.Assoc) error { return eng.SetPeerPrimary(addr) })
}

// AdaptationLayer gives our Adaptation Code Point and the peer's, with
// whether each was sent (SCTP_ADAPTATION_LAYER, RFC 6458 8.1.10; RFC
// 5061 4.2.6). Endpoint.SetAdaptationLayer sets ours for new associations.
func (a *Assoc) AdaptationLayer() (ours uint32, sent bool, peer uint32, peerSent bool, err error) {
	err = a.engine(func(eng *assoc.Assoc) error {
		c := eng.Config()
		ours, sent = c.Adaptation, c.HasAdaptation
		peer, peerSent = eng.PeerAdaptation()
		return nil
	})
	return
}

// DisableFragments reports whether messages larger than one DATA chunk
// are refused (SCTP_DISABLE_FRAGMENTS, RFC 6458 8.1.11): the engine's
// flag, which Config.Assoc.DisableFragments sets as well as
// SetDisableFragments; after the end, the last one SetDisableFragments set.
func (a *Assoc) DisableFragments() bool {
	var on bool
	if a.engine(func(eng *assoc.Assoc) error { on = eng.Config().DisableFragments; return nil }) == nil {
		return on
	}
	a.opt.mu.Lock()
	defer a.opt.mu.Unlock()
	return a.opt.noFrag
}

// SetDisableFragments makes SendMsg refuse (ErrInvalid) a message larger
// than the fragmentation point instead of fragmenting it.
func (a *Assoc) SetDisableFragments(on bool) error {
	if err := a.engine(func(eng *assoc.Assoc) error { eng.SetDisableFragments(on); return nil }); err != nil {
		return err
	}
	a.opt.mu.Lock()
	a.opt.noFrag = on
	a.opt.sendOpts.Store(a.opt.explicitEOR || a.opt.noFrag)
	a.opt.mu.Unlock()
	return nil
}

// HeartbeatMode is the heartbeat part of SCTP_PEER_ADDR_PARAMS' flags.
type HeartbeatMode uint8

// Heartbeat modes.
const (
	HeartbeatUnchanged HeartbeatMode = iota
	HeartbeatEnable                  // SPP_HB_ENABLE
	HeartbeatDisable                 // SPP_HB_DISABLE
	HeartbeatDemand                  // SPP_HB_DEMAND: one HEARTBEAT now
)

// PeerAddrParams is SCTP_PEER_ADDR_PARAMS (RFC 6458 8.1.12). In a set,
// zero fields keep their values.
type PeerAddrParams struct {
	// Addr is the peer address; the zero Addr means every peer address
	// (and, for the values, the addresses learned later).
	Addr           netip.Addr
	HBInterval     time.Duration // spp_hbinterval (RFC 9260 8.3 HB.interval)
	Heartbeat      HeartbeatMode // got: HeartbeatEnable or HeartbeatDisable
	PathMaxRetrans int           // spp_pathmaxrxt (RFC 9260 8.2)
	PathMTU        int           // spp_pathmtu, IP header included; setting it fixes it (SPP_PMTUD_DISABLE)
}

// PeerAddrParams gives the parameters of the peer address addr (the
// primary's for the zero Addr).
func (a *Assoc) PeerAddrParams(addr netip.Addr) (pp PeerAddrParams, err error) {
	err = a.engine(func(eng *assoc.Assoc) error {
		if !addr.IsValid() {
			addr = eng.Primary()
		}
		p, err := eng.PeerAddrParams(addr)
		if err != nil {
			return err
		}
		pp = PeerAddrParams{Addr: a.mapAddr(addr.Unmap()), HBInterval: p.HBInterval, Heartbeat: HeartbeatDisable,
			PathMaxRetrans: p.PathMaxRetrans, PathMTU: p.PathMTU}
		if p.Heartbeats {
			pp.Heartbeat = HeartbeatEnable
		}
		return nil
	})
	return pp, err
}

// SetPeerAddrParams changes a peer address's parameters (or every peer
// address's), all or nothing for the checks that do not depend on the
// address.
func (a *Assoc) SetPeerAddrParams(pp PeerAddrParams) error {
	switch {
	case pp.HBInterval < 0 || pp.HBInterval > 24*time.Hour:
		return fmt.Errorf("%w: heartbeat interval %v outside [0, 24h]", ErrInvalid, pp.HBInterval)
	case pp.PathMaxRetrans < 0:
		return fmt.Errorf("%w: negative path max retrans", ErrInvalid)
	case pp.PathMTU != 0 && (pp.PathMTU < 576 || pp.PathMTU > math.MaxUint16):
		return fmt.Errorf("%w: path MTU %d outside [576, 65535]", ErrInvalid, pp.PathMTU)
	case pp.Heartbeat > HeartbeatDemand:
		return fmt.Errorf("%w: heartbeat mode %d", ErrInvalid, pp.Heartbeat)
	}
	return a.onPollerEngine(func(c *fastpath.Ctx, eng *assoc.Assoc) error {
		if pp.Addr.IsValid() {
			if _, ok := eng.PathInfo(pp.Addr); !ok {
				return fmt.Errorf("%w: %v", assoc.ErrUnknownAddr, pp.Addr)
			}
		}
		if pp.PathMTU != 0 { // the one check that depends on the address family
			if err := eng.SetPathMTU(pp.Addr, pp.PathMTU); err != nil {
				return err
			}
		}
		if pp.HBInterval != 0 {
			if err := eng.SetHBInterval(pp.Addr, pp.HBInterval); err != nil {
				return err
			}
		}
		if pp.PathMaxRetrans != 0 {
			if err := eng.SetPathMaxRetrans(pp.Addr, pp.PathMaxRetrans); err != nil {
				return err
			}
		}
		if pp.Heartbeat == HeartbeatUnchanged {
			return nil
		}
		var buf [8]netip.Addr
		addrs := []netip.Addr{pp.Addr}
		if !pp.Addr.IsValid() {
			addrs = eng.PeerAddrs(buf[:0])
		}
		for _, ad := range addrs {
			var err error
			if pp.Heartbeat == HeartbeatDemand {
				err = eng.RequestHeartbeat(c.Now, ad)
			} else {
				err = eng.SetHeartbeat(c.Now, ad, pp.Heartbeat == HeartbeatEnable)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// onPollerEngine is engine with the poller's context (for now).
func (a *Assoc) onPollerEngine(fn func(c *fastpath.Ctx, eng *assoc.Assoc) error) error {
	return optErr(a.onPoller(func(c *fastpath.Ctx, h *pollerHandler, eng *assoc.Assoc) error {
		if eng == nil {
			return ErrClosed
		}
		return fn(c, eng)
	}))
}

// MaxSeg gives the cap on a DATA chunk's user data, 0 for the path MTU's
// (SCTP_MAXSEG, RFC 6458 8.1.16).
func (a *Assoc) MaxSeg() (n int, err error) {
	err = a.engine(func(eng *assoc.Assoc) error { n = eng.Config().MaxSeg; return nil })
	return n, err
}

// SetMaxSeg caps a DATA chunk's user data (at least 64 bytes, or 0); a
// smaller path MTU still wins. A value above the largest IP datagram
// (65535) is taken as 0: "the same as setting this option to 0" (RFC
// 6458 8.1.16), and MaxSeg then reads 0 (as FreeBSD's).
func (a *Assoc) SetMaxSeg(n int) error {
	if n > math.MaxUint16 {
		n = 0
	}
	return a.engine(func(eng *assoc.Assoc) error { return eng.SetMaxSeg(n) })
}

// SackInfo is SCTP_DELAYED_SACK (RFC 6458 8.1.19; SCTP_DELAYED_ACK_TIME).
type SackInfo struct {
	Delay time.Duration // sack_delay: at most 500 ms (RFC 9260 6.2)
	Freq  int           // sack_freq: packets per SACK; this engine does 2
}

// DelayedSack gives the delayed SACK parameters.
func (a *Assoc) DelayedSack() (si SackInfo, err error) {
	err = a.engine(func(eng *assoc.Assoc) error { si = SackInfo{eng.Config().SackDelay, 2}; return nil })
	return si, err
}

// SetDelayedSack sets the delayed SACK timer; a zero field keeps its
// value. A frequency other than 2 (every second packet, RFC 9260 6.2) is
// not supported.
func (a *Assoc) SetDelayedSack(si SackInfo) error {
	if si.Delay < 0 || si.Delay > 500*time.Millisecond || si.Freq < 0 {
		return fmt.Errorf("%w: SACK delay %v outside [0, 500ms] or negative frequency", ErrInvalid, si.Delay)
	}
	if si.Freq != 0 && si.Freq != 2 {
		return fmt.Errorf("%w: SACK frequency %d (only 2)", ErrNotSupported, si.Freq)
	}
	if si.Delay == 0 {
		return nil
	}
	return a.engine(func(eng *assoc.Assoc) error { return eng.SetSackDelay(si.Delay) })
}

// PartialDeliveryPoint gives the bytes of an incomplete message held
// before it is delivered in pieces (SCTP_PARTIAL_DELIVERY_POINT, RFC 6458
// 8.1.21).
func (a *Assoc) PartialDeliveryPoint() (n int, err error) {
	err = a.engine(func(eng *assoc.Assoc) error { n = eng.Config().PartialDeliveryPoint; return nil })
	return n, err
}

// SetPartialDeliveryPoint sets it: 1 byte up to the receive window.
func (a *Assoc) SetPartialDeliveryPoint(n int) error {
	return a.engine(func(eng *assoc.Assoc) error { return eng.SetPartialDeliveryPoint(n) })
}

// FragmentInterleave gives the fragment interleave level
// (SCTP_FRAGMENT_INTERLEAVE, RFC 6458 8.1.20). The engine never
// interleaves another message into one being partially delivered: levels
// 0 and 1 are the same on one association.
func (a *Assoc) FragmentInterleave() int {
	a.opt.mu.Lock()
	defer a.opt.mu.Unlock()
	return a.opt.fragLevel
}

// SetFragmentInterleave sets level 0 or 1; level 2 (messages of other
// streams interleaved) is not supported.
func (a *Assoc) SetFragmentInterleave(level int) error {
	switch level {
	case 0, 1:
	case 2:
		return fmt.Errorf("%w: fragment interleave level 2", ErrNotSupported)
	default:
		return fmt.Errorf("%w: fragment interleave level %d (0, 1 or 2)", ErrInvalid, level)
	}
	a.opt.mu.Lock()
	a.opt.fragLevel = level
	a.opt.mu.Unlock()
	return nil
}

// AutoASCONF reports whether address changes are sent to the peer
// (SCTP_AUTO_ASCONF, RFC 6458 8.1.23): never, ASCONF comes later.
func (a *Assoc) AutoASCONF() bool { return false }

// SetAutoASCONF: turning it on needs ASCONF (RFC 5061).
func (a *Assoc) SetAutoASCONF(on bool) error { return autoASCONF(on) }

func autoASCONF(on bool) error {
	if on {
		return fmt.Errorf("%w: automatic ASCONF needs RFC 5061", ErrNotSupported)
	}
	return nil
}

// MaxBurst gives Max.Burst, 0 for no limit (SCTP_MAX_BURST, RFC 6458
// 8.1.24).
func (a *Assoc) MaxBurst() (n int, err error) {
	err = a.engine(func(eng *assoc.Assoc) error { n = eng.MaxBurst(); return nil })
	return n, err
}

// SetMaxBurst sets Max.Burst (RFC 9260 6.1, 16); 0 removes the limit.
func (a *Assoc) SetMaxBurst(n int) error {
	return a.engine(func(eng *assoc.Assoc) error { return eng.SetMaxBurst(n) })
}

// Status is SCTP_STATUS (RFC 6458 8.2.1): the engine's snapshot and the
// association's id.
type Status struct {
	AssocID uint32
	assoc.Status
}

// Status describes the association now.
func (a *Assoc) Status() (st Status, err error) {
	err = a.engine(func(eng *assoc.Assoc) error { st = Status{a.id, eng.Status()}; return nil })
	st.Primary.Addr = a.mapAddr(st.Primary.Addr)
	return st, err
}

// PeerAddrInfo describes the peer address addr (SCTP_GET_PEER_ADDR_INFO,
// RFC 6458 8.2.2): state, SRTT, RTO, cwnd, MTU.
func (a *Assoc) PeerAddrInfo(addr netip.Addr) (pi assoc.PathInfo, err error) {
	err = a.engine(func(eng *assoc.Assoc) error {
		var ok bool
		if pi, ok = eng.PathInfo(addr); !ok {
			return fmt.Errorf("%w: %v", assoc.ErrUnknownAddr, addr)
		}
		return nil
	})
	pi.Addr = a.mapAddr(pi.Addr)
	return pi, err
}

// PeerAddrInfos describes every peer address.
func (a *Assoc) PeerAddrInfos() (ps []assoc.PathInfo, err error) {
	err = a.engine(func(eng *assoc.Assoc) error { ps = eng.Paths(nil); return nil })
	for i := range ps {
		ps[i].Addr = a.mapAddr(ps[i].Addr)
	}
	return ps, err
}

// ReceiveBuffer gives the receive window (a_rwnd) of the association, in
// bytes (SO_RCVBUF, RFC 6458 8.1.6).
func (a *Assoc) ReceiveBuffer() (n int, err error) {
	err = a.engine(func(eng *assoc.Assoc) error { n = int(eng.Config().ARwnd); return nil })
	return n, err
}

// SetReceiveBuffer sets the association's receive window (SO_RCVBUF):
// 1500 bytes to 1 GiB; the next SACK advertises it.
func (a *Assoc) SetReceiveBuffer(n int) error {
	return a.engine(func(eng *assoc.Assoc) error { return eng.SetARwnd(n) })
}

// SendBuffer gives the bytes queued or unacknowledged the association
// holds before SendMsg blocks (SO_SNDBUF, RFC 6458 8.1.7).
func (a *Assoc) SendBuffer() (n int, err error) {
	err = a.engine(func(eng *assoc.Assoc) error { n = eng.Config().SendBuffer; return nil })
	return n, err
}

// Options of AUTH (RFC 4895) and stream reset (RFC 6525): their protocol
// work comes later.
var errAuth = fmt.Errorf("%w: SCTP AUTH (RFC 4895)", ErrNotSupported)

// AddAuthChunk asks the peer to authenticate chunks of type t
// (SCTP_AUTH_CHUNK, RFC 6458 8.3.2).
func (a *Assoc) AddAuthChunk(t uint8) error { return authChunk(t) }

func authChunk(t uint8) error {
	switch t {
	case 1, 2, 14, 15: // INIT, INIT ACK, SHUTDOWN COMPLETE, AUTH: never authenticated (RFC 4895 3.2)
		return fmt.Errorf("%w: chunk type %d cannot be authenticated (RFC 4895 3.2)", ErrInvalid, t)
	}
	return errAuth
}

// SetAuthKey installs a shared key (SCTP_AUTH_KEY, RFC 6458 8.3.3).
func (a *Assoc) SetAuthKey(id uint16, key []byte) error { return errAuth }

// SetActiveAuthKey makes key id the one used to send (SCTP_AUTH_ACTIVE_KEY,
// RFC 6458 8.1.18).
func (a *Assoc) SetActiveAuthKey(id uint16) error { return errAuth }

// DeleteAuthKey removes key id (SCTP_AUTH_DELETE_KEY, RFC 6458 8.3.5).
func (a *Assoc) DeleteAuthKey(id uint16) error { return errAuth }

// HMACIdents gives the HMAC algorithms offered (SCTP_HMAC_IDENT, RFC 6458
// 8.1.17).
func (a *Assoc) HMACIdents() ([]uint16, error) { return nil, errAuth }

// SetHMACIdents sets them, most preferred first.
func (a *Assoc) SetHMACIdents(ids []uint16) error { return errAuth }

// PeerAuthChunks lists the chunk types the peer wants authenticated
// (SCTP_PEER_AUTH_CHUNKS, RFC 6458 8.2.3).
func (a *Assoc) PeerAuthChunks() ([]uint8, error) { return nil, errAuth }

// LocalAuthChunks lists the chunk types we want authenticated
// (SCTP_LOCAL_AUTH_CHUNKS, RFC 6458 8.2.4).
func (a *Assoc) LocalAuthChunks() ([]uint8, error) { return nil, errAuth }

// ResetStreams resets the sequence numbers of streams (all when empty),
// incoming and/or outgoing (SCTP_RESET_STREAMS, RFC 6525 6.3.2).
func (a *Assoc) ResetStreams(streams []uint16, incoming, outgoing bool) error {
	if !incoming && !outgoing {
		return fmt.Errorf("%w: reset neither incoming nor outgoing streams", ErrInvalid)
	}
	return fmt.Errorf("%w: stream reset (RFC 6525)", ErrNotSupported)
}

// Endpoint options: they apply to the associations made from now on (on
// every poller); live associations keep their values.

// updateAssocConfig changes the endpoint's association defaults on every
// poller, then on the slow path: an association the slow path makes in
// between takes the pollers' (new) configuration when it is adopted. A
// value the engines refuse is refused by the first poller, before any
// change.
func (e *Endpoint) updateAssocConfig(fn func(*assoc.Config)) error {
	select {
	case <-e.stopped:
		return ErrClosed
	default:
	}
	if err := e.onPollers(func(c *fastpath.Ctx, h *pollerHandler, pe *portEngine) error {
		return pe.eng.UpdateConfig(fn)
	}); err != nil {
		return optErr(err)
	}
	req := &slowConfigReq{ep: e, port: e.port, fn: fn, done: make(chan error, 1)}
	if !e.slowRequest(req) {
		return ErrClosed
	}
	if err, ok := awaitRuntime(e, req.done); !ok {
		return ErrClosed
	} else if err != nil {
		return optErr(err)
	}
	return nil
}

// slowConfigReq changes the slow path's responder of a port: it answers
// INITs and creates the associations the pollers adopt.
type slowConfigReq struct {
	ep   *Endpoint
	port uint16
	fn   func(*assoc.Config)
	done chan error
}

func (r *slowConfigReq) run(s *slowPath) {
	p := s.ports[r.port]
	if p == nil || p.ep != r.ep {
		r.done <- ErrClosed
		return
	}
	r.done <- p.resp.UpdateConfig(r.fn)
}

// assocConfig reads the endpoint's association defaults.
func (e *Endpoint) assocConfig() (cfg assoc.Config, err error) {
	err = e.onPollers(func(c *fastpath.Ctx, h *pollerHandler, pe *portEngine) error {
		cfg = pe.eng.Config()
		return nil
	})
	return cfg, err
}

// InitMsg is SCTP_INITMSG (RFC 6458 8.1.3): what new associations ask for.
type InitMsg struct {
	OutStreams   uint16 // sinit_num_ostreams
	MaxInStreams uint16 // sinit_max_instreams
	MaxAttempts  int    // sinit_max_attempts: Max.Init.Retransmits
	// MaxInitTimeout (sinit_max_init_timeo) is RTO.Max here: a separate
	// value is not supported.
	MaxInitTimeout time.Duration
}

// InitMsg gives the INIT parameters of new associations.
func (e *Endpoint) InitMsg() (InitMsg, error) {
	c, err := e.assocConfig()
	return InitMsg{c.OutStreams, c.MaxInStreams, c.MaxInitRetransmits, c.RTOMax}, err
}

// SetInitMsg sets them; zero fields keep their values.
func (e *Endpoint) SetInitMsg(m InitMsg) error {
	if m.MaxAttempts < 0 || m.MaxInitTimeout < 0 {
		return fmt.Errorf("%w: negative MaxAttempts or MaxInitTimeout", ErrInvalid)
	}
	if m.MaxInitTimeout != 0 {
		return fmt.Errorf("%w: a T1-init bound apart from RTO.Max", ErrNotSupported)
	}
	return e.updateAssocConfig(func(c *assoc.Config) {
		if m.OutStreams != 0 {
			c.OutStreams = m.OutStreams
		}
		if m.MaxInStreams != 0 {
			c.MaxInStreams = m.MaxInStreams
		}
		if m.MaxAttempts != 0 {
			c.MaxInitRetransmits = m.MaxAttempts
		}
	})
}

// AutoClose gives the idle time after which the endpoint's new
// associations shut down, 0 for never (SCTP_AUTOCLOSE, RFC 6458 8.1.8).
func (e *Endpoint) AutoClose() (time.Duration, error) {
	c, err := e.assocConfig()
	return c.AutoClose, err
}

// SetAutoClose sets the idle time after which the associations a
// one-to-many endpoint makes from now on shut down (at least a second, or
// 0 for never); those in its set keep theirs (Assoc.SetAutoClose changes
// one). A one-to-one endpoint refuses it (ErrNotSupported, RFC 6458 8.1.8).
func (e *Endpoint) SetAutoClose(d time.Duration) error {
	if e.many == nil {
		return errAutoCloseStyle("a one-to-one endpoint")
	}
	if err := checkAutoClose(d); err != nil {
		return err
	}
	return e.updateAssocConfig(func(c *assoc.Config) { c.AutoClose = d })
}

// SetAdaptationLayer sets the Adaptation Code Point sent in INIT and INIT
// ACK of new associations (SCTP_ADAPTATION_LAYER, RFC 6458 8.1.10).
func (e *Endpoint) SetAdaptationLayer(code uint32) error {
	return e.updateAssocConfig(func(c *assoc.Config) { c.HasAdaptation, c.Adaptation = true, code })
}

// SetReceiveBuffer sets the receive window of new associations (SO_RCVBUF,
// RFC 6458 8.1.6): at least 1500 bytes (RFC 9260 3.3.2), at most 1 GiB.
func (e *Endpoint) SetReceiveBuffer(n int) error {
	if n < 1500 || n > 1<<30 {
		return fmt.Errorf("%w: receive buffer %d outside [1500, 1 GiB]", ErrInvalid, n)
	}
	return e.updateAssocConfig(func(c *assoc.Config) {
		c.ARwnd = uint32(n)
		if c.PartialDeliveryPoint > n {
			c.PartialDeliveryPoint = n / 2
		}
	})
}

// SetSendBuffer sets the send buffer of new associations (SO_SNDBUF, RFC
// 6458 8.1.7): at least 1500 bytes, at most 1 GiB.
func (e *Endpoint) SetSendBuffer(n int) error {
	if n < 1500 || n > 1<<30 {
		return fmt.Errorf("%w: send buffer %d outside [1500, 1 GiB]", ErrInvalid, n)
	}
	return e.updateAssocConfig(func(c *assoc.Config) { c.SendBuffer = n })
}

// SetAutoASCONF: turning it on needs ASCONF (SCTP_AUTO_ASCONF, RFC 6458
// 8.1.23; RFC 5061).
func (e *Endpoint) SetAutoASCONF(on bool) error { return autoASCONF(on) }

// AddAuthChunk asks peers of new associations to authenticate chunks of
// type t (SCTP_AUTH_CHUNK, RFC 6458 8.3.2).
func (e *Endpoint) AddAuthChunk(t uint8) error { return authChunk(t) }

// SetAuthKey installs an endpoint shared key (SCTP_AUTH_KEY, RFC 6458
// 8.3.3).
func (e *Endpoint) SetAuthKey(id uint16, key []byte) error { return errAuth }

// SetHMACIdents sets the HMAC algorithms offered (SCTP_HMAC_IDENT, RFC
// 6458 8.1.17).
func (e *Endpoint) SetHMACIdents(ids []uint16) error { return errAuth }

package assoc

import (
	"errors"
	"net/netip"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// PacketInfo is a received packet's metadata.
type PacketInfo struct {
	Src, Dst netip.Addr
	Size     int   // bytes on the wire (IP header included)
	ECN      uint8 // the IP header's ECN bits
}

// Responder is the stateless part of an endpoint: it answers INIT with INIT
// ACK without keeping anything (RFC 9260 5.1 B), seals and opens State
// Cookies, and creates an association from a valid COOKIE ECHO. Like an
// Assoc it is owned by one goroutine (it keeps scratch space to stay
// allocation-free); give each poller or slow path its own, with the same keys
// (CookieKeys: the same generations) and the same clock (a cookie's creation
// time is the caller's now).
type Responder struct {
	cfg  *Config
	keys cookieKeys
	opts wire.InitOptions
	cd   cookieData
	w    wire.Builder
	ck   [cookieLen]byte

	// InUse, when set, reports whether a tag is our verification tag in a
	// live association; the tags drawn for Connect and for INIT ACKs are
	// redrawn while it says so (RFC 9260 5.3.1; tags route packets,
	// design.md 3). The Endpoint sets it.
	InUse func(tag uint32) bool
}

// maxTagDraws bounds the redraws of a tag found in use (with 24 random
// bits, a second collision in a row is already unlikely).
const maxTagDraws = 16

// tag draws an Initiate Tag not in use by a live association.
func (r *Responder) tag() uint32 {
	t := r.cfg.tag()
	for i := 1; i < maxTagDraws && r.InUse != nil && r.InUse(t); i++ {
		t = r.cfg.tag()
	}
	return t
}

// ErrNoKey is returned for an empty current cookie key.
var ErrNoKey = errors.New("assoc: empty cookie key")

// NewResponder returns a responder for cfg (validated here) with the cookie
// keys in force at now (see SetKeys).
func NewResponder(cfg *Config, keys CookieKeys, now int64) (*Responder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &Responder{cfg: cfg}
	if err := r.SetKeys(keys, now); err != nil {
		return nil, err
	}
	return r, nil
}

// SetKeys installs the cookie keys in force at now (RFC 9260 5.1.3: the
// secret is changed from time to time): keys.Cur seals from now on, and
// keys.Prev opens its cookies until Valid.Cookie.Life plus the bounded
// preservative after the rotation (keys.Age before now). Every holder of an
// endpoint's keys must be given the same generations.
func (r *Responder) SetKeys(keys CookieKeys, now int64) error {
	return r.keys.set(&keys, now, int64(r.cfg.ValidCookieLife+r.cfg.MaxCookiePreservative))
}

// HandleInit answers an INIT that matches no association (RFC 9260 5.1 B):
// it appends the whole reply packet to buf, an INIT ACK with a fresh State
// Cookie or an ABORT the RFC prescribes, or returns ok false for silence.
// pkt must come from wire.ParseSCTP with an INIT as its first chunk.
func (r *Responder) HandleInit(now int64, pi *PacketInfo, pkt wire.SCTP, buf []byte) (reply []byte, ok bool) {
	init, vok := initAlone(pkt)
	if !vok {
		return buf, false
	}
	w := &r.w
	w.Start(buf, pkt.DstPort(), pkt.SrcPort(), init.InitiateTag())
	if !r.writeInitAck(w, now, pi, pkt, init, r.tag(), r.cfg.Rand.Uint32(), 0, 0) {
		return buf, false
	}
	out, err := w.Finish()
	if err != nil {
		return buf, false
	}
	return out, true
}

// initAlone applies RFC 9260 6.10 and 8.5.1 A to a packet starting with an
// INIT: the INIT must be the only chunk and the verification tag 0.
func initAlone(pkt wire.SCTP) (wire.InitChunk, bool) {
	it := pkt.Chunks()
	c, ok := it.Next()
	if !ok || c.Type() != wire.ChunkInit || pkt.VerificationTag() != 0 {
		return nil, false
	}
	if _, more := it.Next(); more {
		return nil, false
	}
	return wire.InitChunk(c), true
}

// writeInitAck writes into w (started with the INIT's Initiate Tag as
// verification tag) the answer to init: an INIT ACK whose cookie carries
// localTag, localTSN and the tie-tags (RFC 9260 5.2.2), or an ABORT when
// the INIT must be refused. It returns false for silence.
func (r *Responder) writeInitAck(w *wire.Builder, now int64, pi *PacketInfo, pkt wire.SCTP,
	init wire.InitChunk, localTag, localTSN, localTie, peerTie uint32) bool {
	cfg := r.cfg
	o := &r.opts
	init.Options(o)
	if o.Stop != nil { // RFC 9260 3.2.1: nothing after a stop parameter counts
		if off := cap(init) - cap(o.Stop); off >= wire.InitHeaderLen && off <= len(init) {
			stop := o.Stop // kept for the address loop below
			wire.InitChunk(init[:off]).Options(o)
			o.Stop = stop
		}
	}
	if o.HasHostName {
		// RFC 9260 3.3.2.1: a Host Name Address is answered with an ABORT,
		// which may carry Unresolvable Address.
		abortHostName(w, init)
		return true
	}
	if o.SupportedAddrTypes != nil && !r.sharesAddrType(o.SupportedAddrTypes, pi.Dst) {
		// RFC 9260 5.1.2: none of our address types is acceptable to the
		// peer; the cause carries the address it cannot use (3.3.10.5).
		w.BeginAbort(false)
		w.BeginCause(wire.CauseUnresolvableAddress)
		w.ParamAddr(pi.Dst)
		w.End()
		w.End()
		return true
	}
	cd := &r.cd
	*cd = cookieData{
		created:     now,
		lifeMs:      uint32(cfg.ValidCookieLife.Milliseconds()),
		localPort:   pkt.DstPort(),
		peerPort:    pkt.SrcPort(),
		localTag:    localTag,
		peerTag:     init.InitiateTag(),
		localTieTag: localTie,
		peerTieTag:  peerTie,
		localTSN:    localTSN,
		localOS:     cfg.OutStreams,
		localMIS:    cfg.MaxInStreams,
		peerTSN:     init.InitialTSN(),
		peerARwnd:   init.ARwnd(),
		peerOS:      init.OutStreams(),
		peerMIS:     init.InStreams(),
		src:         pi.Src,
		dst:         pi.Dst,
	}
	// RFC 9260 5.1.3: honour a Cookie Preservative, bounded.
	if o.CookiePreservative != 0 {
		cd.lifeMs += min(o.CookiePreservative, uint32(cfg.MaxCookiePreservative.Milliseconds()))
	}
	if o.HasAdaptation {
		cd.flags |= cookieFlagAdapt
		cd.peerAdapt = o.Adaptation
	}
	if o.ECN {
		cd.flags |= cookieFlagECN
	}
	if o.ForwardTSN {
		cd.flags |= cookieFlagFwd
	}
	// Addresses up to the first parameter whose action bits say stop
	// (RFC 9260 3.2.1).
	for it := init.Params(); ; {
		p, ok := it.Next()
		if !ok || (o.Stop != nil && &p[0] == &o.Stop[0]) {
			break
		}
		if t := p.Type(); (t == wire.ParamIPv4 || t == wire.ParamIPv6) && cd.nAddrs < maxCookieAddrs {
			if a := p.Addr(); usableAddr(a) && a != pi.Src {
				cd.addrs[cd.nAddrs] = a
				cd.nAddrs++
			}
		}
	}
	w.BeginInitAck(localTag, cfg.ARwnd, cfg.OutStreams, cfg.MaxInStreams, localTSN)
	w.BeginParam(wire.ParamStateCookie)
	w.Raw(r.keys.seal(r.ck[:0], cd))
	w.End()
	appendLocalAddrs(w, cfg, pi.Src)
	if cfg.HasAdaptation {
		w.ParamAdaptation(cfg.Adaptation)
	}
	// RFC 9260 3.2.1: unrecognized parameters whose action bits ask for a
	// report go back in Unrecognized Parameter parameters; 00 and 01 stop
	// the processing of further parameters. The reports are capped
	// (amplification, section 14): they add at most the INIT's own size
	// and the INIT ACK stays within the PMTU; the rest go unreported.
	limit := min(cfg.PMTU-40, w.Len()+len(pkt))
	for it := init.Params(); ; {
		p, ok := it.Next()
		if !ok {
			break
		}
		t := p.Type()
		if t.Known() {
			continue
		}
		if t.Action().Report() && 4+(len(p)+3)&^3 <= w.Room(limit) {
			w.ParamUnrecognized(p)
		}
		if !t.Action().Skip() {
			break
		}
	}
	w.End()
	return true
}

// usableAddr reports whether a peer may use a as a transport address.
func usableAddr(a netip.Addr) bool {
	return a.IsValid() && !a.IsUnspecified() && !a.IsMulticast() && !(a.Is4() && a == netip.AddrFrom4([4]byte{255, 255, 255, 255}))
}

// AcceptCookie handles a COOKIE ECHO that matches no association (RFC 9260
// 5.1.5). On a valid cookie it returns the new association in ESTABLISHED,
// its COOKIE ACK queued, COMM_UP pending and the packet's other chunks
// processed. A stale cookie gets an ERROR with the staleness appended to
// buf as reply; any other failure is silent (err says why).
func (r *Responder) AcceptCookie(now int64, pi *PacketInfo, pkt wire.SCTP, buf []byte) (a *Assoc, reply []byte, err error) {
	it := pkt.Chunks()
	c, ok := it.Next()
	if !ok || c.Type() != wire.ChunkCookieEcho {
		return nil, buf, ErrCookieLength
	}
	cd := &r.cd
	if err := r.keys.open(wire.CookieEchoChunk(c).Cookie(), now, cd); err != nil {
		return nil, buf, err
	}
	if cd.localPort != pkt.DstPort() || cd.peerPort != pkt.SrcPort() {
		return nil, buf, ErrCookiePorts
	}
	if pkt.VerificationTag() != cd.localTag { // 5.1.5 step 4 ... 8.5.1 D
		return nil, buf, ErrCookieTag
	}
	if st := cd.staleness(now); st != 0 { // 5.1.5 step 3
		var w wire.Builder
		w.Start(buf, pkt.DstPort(), pkt.SrcPort(), cd.peerTag)
		w.BeginError()
		w.CauseU32(wire.CauseStaleCookie, st)
		w.End()
		out, _ := w.Finish()
		return nil, out, ErrCookieStale
	}
	if !usableAddr(cd.src) {
		return nil, buf, ErrCookieAddress
	}
	a = newAssoc(r)
	a.adopt(cd)
	a.cookieAck()
	a.up(now, EventCommUp)
	a.ctrlBudget = maxCtrlReplies
	for {
		c, ok := it.Next()
		if !ok || a.state == Closed || !a.chunk(now, pi, pkt, c) {
			break
		}
	}
	a.sackAfterPacket(now) // DATA bundled with the COOKIE ECHO (5.1 D)
	return a, buf, nil
}

// Connect creates an association and starts its handshake (RFC 9260 5.1 A)
// to peers (the first is the primary path) at port: the INIT is queued and
// T1-init runs. The association shares r's cookie keys.
func (r *Responder) Connect(now int64, peers []netip.Addr, port uint16) (*Assoc, error) {
	a := newAssoc(r)
	if err := a.connect(now, peers, port); err != nil {
		return nil, err
	}
	return a, nil
}

// sharesAddrType reports whether a Supported Address Types parameter lists
// the type of one of our addresses (the configured ones, else dst).
func (r *Responder) sharesAddrType(p wire.Param, dst netip.Addr) bool {
	has := func(a netip.Addr) bool {
		want := wire.ParamIPv6
		if a.Is4() || a.Is4In6() {
			want = wire.ParamIPv4
		}
		for i := 0; i < p.NumU16(); i++ {
			if wire.ParamType(p.U16(i)) == want {
				return true
			}
		}
		return false
	}
	if len(r.cfg.LocalAddrs) == 0 {
		return has(dst)
	}
	for _, a := range r.cfg.LocalAddrs {
		if has(a) {
			return true
		}
	}
	return false
}

// abortHostName writes an ABORT with an Unresolvable Address cause carrying
// the Host Name Address parameter of c (RFC 9260 3.3.2.1, 3.3.10.5).
func abortHostName(w *wire.Builder, c wire.InitChunk) {
	w.BeginAbort(false)
	w.BeginCause(wire.CauseUnresolvableAddress)
	for it := c.Params(); ; {
		p, ok := it.Next()
		if !ok {
			break
		}
		if p.Type() == wire.ParamHostName {
			w.Raw(p)
			break
		}
	}
	w.End()
	w.End()
}

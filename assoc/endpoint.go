package assoc

import (
	"errors"
	"net/netip"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// Endpoint is a sans-IO demultiplexer for one local port: it finds the
// association of a received packet (by peer address and port, or by
// verification tag), hands INIT and COOKIE ECHO to its Responder and
// answers out-of-the-blue packets. The simulator runs one per host; the
// runtime (fastpath/) uses the same pieces and routes by the owner bits of
// the verification tag. Owned by one goroutine.
type Endpoint struct {
	cfg    *Config
	resp   *Responder
	assocs []*Assoc
	byPeer map[peerKey]*Assoc
	byTag  map[uint32]*Assoc
	out    outQueue // stateless replies
	buf    []byte
	next   int // round-robin position for output and events
	Stats  EndpointStats
}

// EndpointStats counts the demultiplexer's decisions.
type EndpointStats struct {
	Malformed, InitAcks, CookiesAccepted, CookiesRefused, StaleCookies, OOTBReplies, Silent uint64
}

type peerKey struct {
	addr netip.Addr
	port uint16
}

// NewEndpoint validates cfg and returns an endpoint with the cookie keys in
// force at now (Responder.SetKeys changes them).
func NewEndpoint(cfg Config, keys CookieKeys, now int64) (*Endpoint, error) {
	r, err := NewResponder(&cfg, keys, now)
	if err != nil {
		return nil, err
	}
	e := &Endpoint{cfg: r.cfg, resp: r, byPeer: map[peerKey]*Assoc{}, byTag: map[uint32]*Assoc{}}
	r.InUse = e.tagInUse
	return e, nil
}

// tagInUse reports whether tag routes to a live association.
func (e *Endpoint) tagInUse(tag uint32) bool {
	b := e.byTag[tag]
	return b != nil && b.state != Closed
}

// Responder is the endpoint's stateless responder (key rotation goes there).
func (e *Endpoint) Responder() *Responder { return e.resp }

// Assocs lists the live associations.
func (e *Endpoint) Assocs() []*Assoc { return e.assocs }

// LookupTag finds an association by our verification tag.
func (e *Endpoint) LookupTag(tag uint32) *Assoc { return e.byTag[tag] }

// Connect starts an association to peers (the first is the primary) at port.
func (e *Endpoint) Connect(now int64, peers []netip.Addr, port uint16) (*Assoc, error) {
	for _, p := range peers {
		if o := e.byPeer[peerKey{p, port}]; o != nil && o.state != Closed {
			return nil, errAssocExists
		}
	}
	a, err := e.resp.Connect(now, peers, port)
	if err != nil {
		return nil, err
	}
	e.add(a)
	return a, nil
}

var errAssocExists = errors.New("assoc: an association with this peer exists")

func (e *Endpoint) add(a *Assoc) {
	e.assocs = append(e.assocs, a)
	e.index(a)
}

// index (re)publishes an association's tag and peer addresses.
func (e *Endpoint) index(a *Assoc) {
	e.byTag[a.localTag] = a
	for _, p := range a.paths {
		e.byPeer[peerKey{p.addr, a.peerPort}] = a
	}
}

// Receive handles one received SCTP packet (raw, from the IP payload on).
func (e *Endpoint) Receive(now int64, pi PacketInfo, raw []byte) {
	pkt, err := wire.ParseSCTP(raw)
	if err != nil {
		e.malformed(now, &pi, raw, err)
		return
	}
	first, _ := pkt.FirstChunk()
	if pkt.DstPort() != e.cfg.LocalPort {
		e.ootb(&pi, pkt)
		return
	}
	if a := e.find(&pi, pkt, first); a != nil { // classify.go
		oldTag := a.localTag
		a.Receive(now, &pi, pkt)
		if a.localTag != oldTag { // restart (5.2.4 A): new tags
			delete(e.byTag, oldTag)
			e.index(a)
		}
		return
	}
	switch first.Type() {
	case wire.ChunkInit:
		reply, ok := e.resp.HandleInit(now, &pi, pkt, e.buf[:0])
		e.buf = reply[:0]
		if ok {
			e.queueRaw(pi.Src, reply, true)
			e.Stats.InitAcks++
		} else {
			e.Stats.Silent++
		}
	case wire.ChunkCookieEcho:
		a, reply, _ := e.resp.AcceptCookie(now, &pi, pkt, e.buf[:0]) // failures are silent (5.1.5)
		e.buf = reply[:0]
		switch {
		case a != nil && e.tagInUse(a.localTag):
			// The cookie's tag was free when the INIT ACK left but a live
			// association took it since: tags route packets (design.md 3),
			// so the new one is dropped, its COOKIE ACK unsent; the peer
			// retries its handshake.
			e.Stats.CookiesRefused++
		case a != nil:
			e.Stats.CookiesAccepted++
			e.add(a) // a closed predecessor is reaped once its events are read
		case len(reply) > 0:
			e.Stats.StaleCookies++
			e.queueRaw(pi.Src, reply, false)
		default:
			e.Stats.CookiesRefused++
		}
	default:
		e.ootb(&pi, pkt)
	}
}

// byInitAddrs finds an association by the addresses an INIT lists (RFC
// 9260 5.2.2: a restarting peer may come from another of its addresses).
func (e *Endpoint) byInitAddrs(c wire.InitChunk, port uint16) *Assoc {
	for it := c.Params(); ; {
		p, ok := it.Next()
		if !ok {
			return nil
		}
		if t := p.Type(); t == wire.ParamIPv4 || t == wire.ParamIPv6 {
			if a := e.byPeer[peerKey{p.Addr(), port}]; a != nil {
				return a
			}
		}
	}
}

// ootb answers an out-of-the-blue packet (RFC 9260 8.4).
func (e *Endpoint) ootb(pi *PacketInfo, pkt wire.SCTP) {
	reply, ok := OOTB(pi, pkt, e.buf[:0])
	e.buf = reply[:0]
	if ok {
		e.Stats.OOTBReplies++
		e.queueRaw(pi.Src, reply, true)
	} else {
		e.Stats.Silent++
	}
}

// malformed handles a packet wire refused. Where the RFC prescribes an
// answer it is sent: an INIT with zero streams gets an ABORT with Invalid
// Mandatory Parameter (RFC 9260 3.3.2); a packet of an association whose
// chunk carries a prescribed cause (No User Data, 6.2; an INIT ACK without
// cookie, Missing Mandatory Parameter) aborts that association. Anything
// else is dropped.
func (e *Endpoint) malformed(now int64, pi *PacketInfo, raw []byte, err error) {
	e.Stats.Malformed++
	var we *wire.Error
	if !errors.As(err, &we) || we.Cause == 0 || len(raw) < wire.SCTPHeaderLen+wire.ChunkHeaderLen {
		return
	}
	sport, vtag := beU16(raw[0:]), beU32(raw[4:])
	if beU16(raw[2:]) != e.cfg.LocalPort {
		return
	}
	if wire.ChunkType(raw[12]) == wire.ChunkInit && len(raw) >= wire.SCTPHeaderLen+wire.InitHeaderLen && vtag == 0 {
		if tag := beU32(raw[16:]); tag != 0 && e.byPeer[peerKey{pi.Src, sport}] == nil {
			w := e.out.begin(e.cfg.LocalPort, sport, tag)
			w.BeginAbort(false)
			causeFor(w, we.Cause, raw)
			w.End()
			e.out.commit(pi.Src, false)
		}
		return
	}
	if a := e.byPeer[peerKey{pi.Src, sport}]; a != nil && vtag == a.localTag && a.state != Closed {
		a.abortWith(we.Cause, raw)
	}
}

// causeFor writes the error cause a wire error prescribes, with the
// information its layout requires (RFC 9260 3.3.10).
func causeFor(w *wire.Builder, code wire.CauseCode, raw []byte) {
	switch code {
	case wire.CauseNoUserData: // the TSN of the empty DATA chunk (6.2)
		it := wire.SCTP(raw).Chunks()
		for {
			c, ok := it.Next()
			if !ok {
				w.CauseU32(code, 0)
				return
			}
			if c.Type() == wire.ChunkData && len(c) >= 16 {
				w.CauseU32(code, beU32(c[4:]))
				return
			}
		}
	case wire.CauseMissingMandatoryParam: // an INIT ACK without State Cookie
		w.CauseMissingParams([]wire.ParamType{wire.ParamStateCookie})
	default:
		w.CauseEmpty(code)
	}
}

// queueRaw queues a whole packet built elsewhere (the CRC is stamped again
// when it leaves).
func (e *Endpoint) queueRaw(dst netip.Addr, pkt []byte, alone bool) {
	w := e.out.begin(beU16(pkt[0:]), beU16(pkt[2:]), beU32(pkt[4:]))
	w.Raw(pkt[wire.SCTPHeaderLen:])
	e.out.commit(dst, alone)
}

func (e *Endpoint) drop(a *Assoc) {
	if e.byTag[a.localTag] == a {
		delete(e.byTag, a.localTag)
	}
	for _, p := range a.paths {
		if e.byPeer[peerKey{p.addr, a.peerPort}] == a {
			delete(e.byPeer, peerKey{p.addr, a.peerPort})
		}
	}
	for i, x := range e.assocs {
		if x == a {
			e.assocs = append(e.assocs[:i], e.assocs[i+1:]...)
			break
		}
	}
}

// reap forgets associations that are done.
func (e *Endpoint) reap() {
	for i := 0; i < len(e.assocs); {
		if a := e.assocs[i]; a.Done() {
			e.drop(a)
			continue
		}
		i++
	}
}

// NextPacket appends the next packet to send to buf: the associations'
// output in turn, then the stateless replies. That order keeps cause before
// effect when a batch ends an association and then brings a late packet of
// it: its SHUTDOWN COMPLETE (or ABORT) leaves before the out-of-the-blue
// answer to the late packet, which the peer then discards (RFC 9260 8.4
// item 2) instead of taking it as its association's ABORT.
func (e *Endpoint) NextPacket(now int64, buf []byte) ([]byte, netip.Addr, bool) {
	for range e.assocs {
		e.next = (e.next + 1) % len(e.assocs)
		if p, d, ok := e.assocs[e.next].NextPacket(now, buf); ok {
			return p, d, true
		}
	}
	if p, d, ok := e.out.next(buf, e.cfg.PMTU-40); ok {
		return p, d, true
	}
	e.reap()
	return buf, netip.Addr{}, false
}

// NextEvent pops the next notification of any association.
func (e *Endpoint) NextEvent() (*Assoc, Event, bool) {
	for _, a := range e.assocs {
		if ev, ok := a.NextEvent(); ok {
			return a, ev, true
		}
	}
	e.reap()
	return nil, Event{}, false
}

// Deadline is the earliest deadline of any association, or 0.
func (e *Endpoint) Deadline() int64 {
	d := int64(0)
	for _, a := range e.assocs {
		if t := a.Deadline(); t != 0 && (d == 0 || t < d) {
			d = t
		}
	}
	return d
}

// HandleTimeout runs the timers due at now.
func (e *Endpoint) HandleTimeout(now int64) {
	for _, a := range e.assocs {
		a.HandleTimeout(now)
	}
}

func beU16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }
func beU32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

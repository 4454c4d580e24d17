package assoc

import (
	"fmt"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// Hand-over of a passive open between goroutines (design.md 3): a slow
// path's Responder answers INIT and accepts COOKIE ECHO (AcceptCookie) for
// any poller; the new association then moves to the Endpoint of the poller
// its tag names, which Adopts it.

// AdoptResult says what Adopt did with an association.
type AdoptResult uint8

const (
	// Adopted: the association is the endpoint's; its COOKIE ACK and
	// COMM_UP come out of NextPacket and NextEvent.
	Adopted AdoptResult = iota + 1
	// AdoptedExisting: the COOKIE ECHO belongs to a live association of
	// the endpoint (a retransmission that crossed the hand-over of the
	// first, an INIT collision, a restart): the newcomer is dropped and the
	// existing association answered the COOKIE ECHO (RFC 9260 5.2.4).
	AdoptedExisting
	// AdoptRefused: the newcomer's tag routes to another live association,
	// or one of its peer addresses belongs to one: it is dropped unanswered
	// and the peer retries its handshake.
	AdoptRefused
)

func (r AdoptResult) String() string {
	switch r {
	case Adopted:
		return "adopted"
	case AdoptedExisting:
		return "existing"
	case AdoptRefused:
		return "refused"
	}
	return fmt.Sprintf("AdoptResult(%d)", uint8(r))
}

// Adopt takes a that another goroutine's Responder created with
// AcceptCookie from the COOKIE ECHO raw (the SCTP packet, from pi). From
// then on a uses the endpoint's Config and Responder, never its creator's
// (their Rand, cookie scratch and Owner are not safe to share): the
// creator must not touch a again. A hand-over is racy by nature, so a
// newcomer that would make two associations for one peer or one tag is
// dropped (AdoptedExisting, AdoptRefused) and the endpoint keeps one.
func (e *Endpoint) Adopt(now int64, a *Assoc, pi PacketInfo, raw []byte) AdoptResult {
	if a == nil || a.localPort != e.cfg.LocalPort || a.state == Closed {
		e.Stats.CookiesRefused++
		return AdoptRefused
	}
	// The association Receive would have given the COOKIE ECHO to.
	if pkt, err := wire.ParseSCTP(raw); err == nil && pkt.DstPort() == e.cfg.LocalPort {
		if first, ok := pkt.FirstChunk(); ok && first.Type() == wire.ChunkCookieEcho && e.find(&pi, pkt, first) != nil {
			e.Receive(now, pi, raw) // 5.2.4: B, D (duplicate), A (restart)...
			return AdoptedExisting
		}
	}
	for _, p := range a.paths {
		if o := e.byPeer[peerKey{p.addr, a.peerPort}]; o != nil && o.state != Closed {
			e.Stats.CookiesRefused++
			return AdoptRefused
		}
	}
	if e.tagInUse(a.localTag) { // as in Receive: tags route packets
		e.Stats.CookiesRefused++
		return AdoptRefused
	}
	a.rehome(e)
	e.add(a)
	e.Stats.CookiesAccepted++
	return Adopted
}

// rehome makes a use e's configuration and responder (cookie keys and
// scratch, tag draws with e's owner bits, Rand) instead of its creator's.
func (a *Assoc) rehome(e *Endpoint) {
	a.cfg, a.resp = e.cfg, e.resp
}

// SetOwner sets the owner bits (Config.Owner) of the tags r draws from now
// on: a slow path answering INITs for every poller names, in each INIT
// ACK, the poller that received the INIT (design.md 3).
func (r *Responder) SetOwner(owner uint32) error {
	if owner >= 1<<r.cfg.OwnerBits {
		return fmt.Errorf("%w: Owner %d does not fit in %d bits", ErrConfig, owner, r.cfg.OwnerBits)
	}
	r.cfg.Owner = owner
	return nil
}

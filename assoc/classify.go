package assoc

import (
	"net/netip"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// find returns the live association a received packet belongs to, or nil:
// by peer address and port, by the addresses an INIT lists (RFC 9260
// 5.2.2), then by our verification tag (a peer address it did not
// announce). pkt is parsed (wire.ParseSCTP) and addressed to our port.
func (e *Endpoint) find(pi *PacketInfo, pkt wire.SCTP, first wire.Chunk) *Assoc {
	a := e.byPeer[peerKey{pi.Src, pkt.SrcPort()}]
	if a == nil && first.Type() == wire.ChunkInit {
		a = e.byInitAddrs(wire.InitChunk(first), pkt.SrcPort())
	}
	// Not for a COOKIE ECHO: its tag is one our responder chose, which may
	// equal a live association's by chance (the slow path's responder
	// cannot see the pollers' tags); taken for that association, it would
	// be 5.2.4 case B and hand the association to another peer.
	if a == nil && first.Type() != wire.ChunkCookieEcho {
		if t := pkt.VerificationTag(); t != 0 {
			if b := e.byTag[t]; b != nil && b.peerPort == pkt.SrcPort() {
				a = b // a peer address not announced (multi-homing: issue 9)
			}
		}
	}
	if a == nil || a.state == Closed {
		return nil
	}
	return a
}

// NeedsResponder reports whether Receive would hand pkt to the stateless
// Responder: an INIT or a COOKIE ECHO, first in a packet to our port, that
// matches no live association. It answers nothing and changes nothing. The
// runtime sends those packets to its slow path (design.md 3) and everything
// else to Receive; INIT and COOKIE ECHO that match an association stay
// with its engine (collisions and restarts, RFC 9260 5.2). pkt is parsed
// (wire.ParseSCTP).
func (e *Endpoint) NeedsResponder(pi *PacketInfo, pkt wire.SCTP) bool {
	first, ok := pkt.FirstChunk()
	if !ok || pkt.DstPort() != e.cfg.LocalPort {
		return false
	}
	if t := first.Type(); t != wire.ChunkInit && t != wire.ChunkCookieEcho {
		return false
	}
	return e.find(pi, pkt, first) == nil
}

// Associated reports whether a live association has peer at port among
// its addresses.
func (e *Endpoint) Associated(peer netip.Addr, port uint16) bool {
	a := e.byPeer[peerKey{peer, port}]
	return a != nil && a.state != Closed
}

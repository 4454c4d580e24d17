package assoc

import "github.com/sctp-xdp/sctp-xdp/wire"

// verdict of the verification-tag rules for a packet of an association.
type verdict uint8

const (
	vDiscard verdict = iota // silently discard (RFC 9260 8.5)
	vAccept
	vOOTB // handle as out of the blue (8.5.1 E)
)

// checkVTag applies RFC 9260 8.5 and 8.5.1 to a packet of this association,
// given its first chunk, and the bundling rule of 6.10 (INIT, INIT ACK and
// SHUTDOWN COMPLETE travel alone).
func (a *Assoc) checkVTag(pkt wire.SCTP, first wire.Chunk) verdict {
	vt := pkt.VerificationTag()
	switch first.Type() {
	case wire.ChunkInit: // 8.5.1 A: vtag 0, the INIT alone
		if _, ok := initAlone(pkt); !ok {
			return vDiscard
		}
		return vAccept
	case wire.ChunkAbort: // 8.5.1 B
		if tBitTag(first, vt, a.localTag, a.peerTag) {
			return vAccept
		}
		return vDiscard
	case wire.ChunkShutdownComplete: // 8.5.1 C, and alone (6.10)
		if alone(pkt) && tBitTag(first, vt, a.localTag, a.peerTag) {
			return vAccept
		}
		return vDiscard
	case wire.ChunkCookieEcho: // 8.5.1 D: checked against the cookie (5.2.4)
		return vAccept
	case wire.ChunkShutdownAck: // 8.5.1 E
		if a.state == CookieWait || a.state == CookieEchoed {
			return vOOTB
		}
	case wire.ChunkInitAck:
		if !alone(pkt) {
			return vDiscard
		}
	}
	if vt != a.localTag || vt == 0 {
		return vDiscard
	}
	return vAccept
}

// tBitTag: with the T bit the tag must be the peer's (reflected), without
// it ours (RFC 9260 8.5.1 B, C). A tag of 0 never matches.
func tBitTag(c wire.Chunk, vt, local, peer uint32) bool {
	if c.Flags()&wire.FlagT != 0 {
		return peer != 0 && vt == peer
	}
	return vt == local
}

func alone(pkt wire.SCTP) bool {
	it := pkt.Chunks()
	it.Next()
	_, more := it.Next()
	return !more
}

package assoc

import (
	"net/netip"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// OOTB answers an out-of-the-blue packet (RFC 9260 8.4): one that matches no
// association and is neither an INIT nor a COOKIE ECHO (those go to the
// Responder). It appends the reply, if any, to buf: a SHUTDOWN COMPLETE
// for a SHUTDOWN ACK (step 5), an ABORT otherwise (step 8), both with the
// T bit and the packet's tag reflected (8.5.1). It is stateless and does
// not allocate; rate limiting is the caller's.
func OOTB(pi *PacketInfo, pkt wire.SCTP, buf []byte) (reply []byte, ok bool) {
	if !unicast(pi.Src) { // step 1
		return buf, false
	}
	var w wire.Builder
	for it := pkt.Chunks(); ; {
		c, more := it.Next()
		if !more {
			break
		}
		switch c.Type() {
		case wire.ChunkAbort, wire.ChunkShutdownComplete, wire.ChunkCookieAck: // steps 2, 6, 7
			return buf, false
		case wire.ChunkError:
			if firstCause(c.Value()) == wire.CauseStaleCookie { // step 7
				return buf, false
			}
		case wire.ChunkShutdownAck: // step 5
			w.Start(buf, pkt.DstPort(), pkt.SrcPort(), pkt.VerificationTag())
			w.ShutdownComplete(true)
			out, _ := w.Finish()
			return out, true
		case wire.ChunkInit, wire.ChunkCookieEcho: // steps 3, 4: not ours to answer here
			return buf, false
		}
	}
	w.Start(buf, pkt.DstPort(), pkt.SrcPort(), pkt.VerificationTag()) // step 8
	w.BeginAbort(true)
	w.End()
	out, _ := w.Finish()
	return out, true
}

func unicast(a netip.Addr) bool {
	return usableAddr(a) && !a.IsLinkLocalMulticast() && !a.IsInterfaceLocalMulticast()
}

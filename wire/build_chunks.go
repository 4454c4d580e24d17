package wire

import "net/netip"

// Builders for every chunk type (see Builder). Methods named BeginX leave the
// chunk open for parameters or causes; close it with End.

// Data appends a DATA chunk (RFC 9260 3.3.1); flags from FlagEnd,
// FlagBeginning, FlagUnordered, FlagImmediate.
func (w *Builder) Data(flags uint8, tsn uint32, sid, ssn uint16, ppid uint32, payload []byte) {
	w.BeginChunk(ChunkData, flags)
	w.U32(tsn)
	w.U16(sid)
	w.U16(ssn)
	w.U32(ppid)
	w.Raw(payload)
	w.End()
}

// IData appends an I-DATA chunk (RFC 8260 2.1). ppidOrFSN is the PPID when
// FlagBeginning is set, else the Fragment Sequence Number.
func (w *Builder) IData(flags uint8, tsn uint32, sid uint16, mid, ppidOrFSN uint32, payload []byte) {
	w.BeginChunk(ChunkIData, flags)
	w.U32(tsn)
	w.U16(sid)
	w.U16(0)
	w.U32(mid)
	w.U32(ppidOrFSN)
	w.Raw(payload)
	w.End()
}

func (w *Builder) beginInit(t ChunkType, tag, arwnd uint32, os, mis uint16, tsn uint32) {
	w.BeginChunk(t, 0)
	w.U32(tag)
	w.U32(arwnd)
	w.U16(os)
	w.U16(mis)
	w.U32(tsn)
}

// BeginInit opens an INIT chunk (RFC 9260 3.3.2); add parameters, then End.
func (w *Builder) BeginInit(tag, arwnd uint32, os, mis uint16, tsn uint32) {
	w.beginInit(ChunkInit, tag, arwnd, os, mis, tsn)
}

// BeginInitAck opens an INIT ACK chunk (RFC 9260 3.3.3); add parameters
// (the State Cookie is mandatory), then End.
func (w *Builder) BeginInitAck(tag, arwnd uint32, os, mis uint16, tsn uint32) {
	w.beginInit(ChunkInitAck, tag, arwnd, os, mis, tsn)
}

// Sack appends a SACK chunk (RFC 9260 3.3.4).
func (w *Builder) Sack(cumTSN, arwnd uint32, gaps []GapBlock, dups []uint32) {
	w.BeginChunk(ChunkSack, 0)
	w.U32(cumTSN)
	w.U32(arwnd)
	w.U16(uint16(len(gaps)))
	w.U16(uint16(len(dups)))
	for _, g := range gaps {
		w.U16(g.Start)
		w.U16(g.End)
	}
	for _, d := range dups {
		w.U32(d)
	}
	w.End()
}

// NRSack appends an NR-SACK chunk (type 0x10).
func (w *Builder) NRSack(flags uint8, cumTSN, arwnd uint32, gaps, nrGaps []GapBlock, dups []uint32) {
	w.BeginChunk(ChunkNRSack, flags)
	w.U32(cumTSN)
	w.U32(arwnd)
	w.U16(uint16(len(gaps)))
	w.U16(uint16(len(nrGaps)))
	w.U16(uint16(len(dups)))
	w.U16(0)
	for _, g := range gaps {
		w.U16(g.Start)
		w.U16(g.End)
	}
	for _, g := range nrGaps {
		w.U16(g.Start)
		w.U16(g.End)
	}
	for _, d := range dups {
		w.U32(d)
	}
	w.End()
}

// Heartbeat appends a HEARTBEAT chunk carrying info in its Heartbeat Info
// parameter (RFC 9260 3.3.5).
func (w *Builder) Heartbeat(info []byte) { w.heartbeat(ChunkHeartbeat, info) }

// HeartbeatAck appends a HEARTBEAT ACK chunk echoing info (RFC 9260 3.3.6).
func (w *Builder) HeartbeatAck(info []byte) { w.heartbeat(ChunkHeartbeatAck, info) }

func (w *Builder) heartbeat(t ChunkType, info []byte) {
	w.BeginChunk(t, 0)
	w.Param(ParamHeartbeatInfo, info)
	w.End()
}

// BeginAbort opens an ABORT chunk (RFC 9260 3.3.7); add causes, then End.
// t sets the T bit (Verification Tag reflected).
func (w *Builder) BeginAbort(t bool) {
	var f uint8
	if t {
		f = FlagT
	}
	w.BeginChunk(ChunkAbort, f)
}

// BeginError opens an ERROR chunk (RFC 9260 3.3.10); add causes, then End.
func (w *Builder) BeginError() { w.BeginChunk(ChunkError, 0) }

// Shutdown appends a SHUTDOWN chunk (RFC 9260 3.3.8).
func (w *Builder) Shutdown(cumTSN uint32) {
	w.BeginChunk(ChunkShutdown, 0)
	w.U32(cumTSN)
	w.End()
}

// ShutdownAck appends a SHUTDOWN ACK chunk (RFC 9260 3.3.9).
func (w *Builder) ShutdownAck() { w.Chunk(ChunkShutdownAck, 0, nil) }

// ShutdownComplete appends a SHUTDOWN COMPLETE chunk (RFC 9260 3.3.13).
func (w *Builder) ShutdownComplete(t bool) {
	var f uint8
	if t {
		f = FlagT
	}
	w.Chunk(ChunkShutdownComplete, f, nil)
}

// CookieEcho appends a COOKIE ECHO chunk (RFC 9260 3.3.11).
func (w *Builder) CookieEcho(cookie []byte) { w.Chunk(ChunkCookieEcho, 0, cookie) }

// CookieAck appends a COOKIE ACK chunk (RFC 9260 3.3.12).
func (w *Builder) CookieAck() { w.Chunk(ChunkCookieAck, 0, nil) }

// ECNE appends an ECNE chunk (RFC 9260 Appendix A).
func (w *Builder) ECNE(lowestTSN uint32) {
	w.BeginChunk(ChunkECNE, 0)
	w.U32(lowestTSN)
	w.End()
}

// CWR appends a CWR chunk (RFC 9260 Appendix A).
func (w *Builder) CWR(lowestTSN uint32) {
	w.BeginChunk(ChunkCWR, 0)
	w.U32(lowestTSN)
	w.End()
}

// Auth appends an AUTH chunk (RFC 4895 4.1) with hmacLen zero bytes for the
// HMAC and returns the HMAC's offset in Bytes(), to be filled in once the
// packet is complete (the HMAC covers the AUTH chunk and what follows,
// computed over a zero HMAC field) and before Finish stamps the checksum.
func (w *Builder) Auth(keyID, hmacID uint16, hmacLen int) int {
	w.BeginChunk(ChunkAuth, 0)
	w.U16(keyID)
	w.U16(hmacID)
	off := len(w.b)
	w.Zeros(hmacLen)
	w.End()
	return off
}

// BeginAsconf opens an ASCONF chunk (RFC 5061 4.1.1) with its serial
// number and address parameter; add ASCONF parameters, then End.
func (w *Builder) BeginAsconf(serial uint32, addr netip.Addr) {
	w.BeginChunk(ChunkAsconf, 0)
	w.U32(serial)
	w.ParamAddr(addr)
}

// BeginAsconfAck opens an ASCONF-ACK chunk (RFC 5061 4.1.2); add response
// parameters, then End.
func (w *Builder) BeginAsconfAck(serial uint32) {
	w.BeginChunk(ChunkAsconfAck, 0)
	w.U32(serial)
}

// BeginReconfig opens a RE-CONFIG chunk (RFC 6525 3.1); add one or two
// re-configuration parameters, then End.
func (w *Builder) BeginReconfig() { w.BeginChunk(ChunkReconfig, 0) }

// Pad appends a PAD chunk with n bytes of padding data (RFC 4820 3).
func (w *Builder) Pad(n int) {
	w.BeginChunk(ChunkPad, 0)
	w.Zeros(n)
	w.End()
}

// StreamSSN is a FORWARD-TSN entry.
type StreamSSN struct{ SID, SSN uint16 }

// ForwardTSN appends a FORWARD-TSN chunk (RFC 3758 3.2).
func (w *Builder) ForwardTSN(newCumTSN uint32, streams []StreamSSN) {
	w.BeginChunk(ChunkForwardTSN, 0)
	w.U32(newCumTSN)
	for _, s := range streams {
		w.U16(s.SID)
		w.U16(s.SSN)
	}
	w.End()
}

// StreamMID is an I-FORWARD-TSN entry.
type StreamMID struct {
	SID       uint16
	Unordered bool
	MID       uint32
}

// IForwardTSN appends an I-FORWARD-TSN chunk (RFC 8260 2.3.1).
func (w *Builder) IForwardTSN(newCumTSN uint32, streams []StreamMID) {
	w.BeginChunk(ChunkIForwardTSN, 0)
	w.U32(newCumTSN)
	for _, s := range streams {
		w.U16(s.SID)
		var u uint16
		if s.Unordered {
			u = 1
		}
		w.U16(u)
		w.U32(s.MID)
	}
	w.End()
}

// PktDrop appends a PKTDROP chunk; flags from FlagPktDropM, B, T.
func (w *Builder) PktDrop(flags uint8, bandwidth, queueSize uint32, truncatedLen uint16, dropped []byte) {
	w.BeginChunk(ChunkPktDrop, flags)
	w.U32(bandwidth)
	w.U32(queueSize)
	w.U16(truncatedLen)
	w.U16(0)
	w.Raw(dropped)
	w.End()
}

package assoc

// RecvInfo describes the message (or part of it) Recv returned, as RFC
// 6458 5.3.2's sctp_sndrcvinfo does.
type RecvInfo struct {
	Stream    uint16
	SSN       uint16 // meaningless when Unordered
	PPID      uint32
	TSN       uint32 // of the first fragment returned
	Unordered bool
	// EOR is set on the read that ends the message (RFC 6458 MSG_EOR): a
	// message longer than the buffer is returned in several reads.
	EOR bool
	// CumTSN is the Cumulative TSN Ack Point when it was read (RFC 6458
	// 5.3.5 rcv_cumtsn).
	CumTSN uint32
}

// Recv copies the next received message into buf: messages come whole and
// in SSN order per ordered stream (RFC 9260 6.5), unordered ones as soon as
// they are complete (6.6). A message longer than buf continues with the
// next calls, EOR marking its end. ok is false when nothing is ready.
// Reading frees receive window; a window update SACK may follow
// (NextPacket).
func (a *Assoc) Recv(buf []byte) (n int, info RecvInfo, ok bool) {
	n, ok = a.rq.read(buf, &info)
	if ok {
		info.CumTSN = a.tsns.cum
		a.windowUpdate()
	}
	return n, info, ok
}

// Readable gives the bytes ready for Recv.
func (a *Assoc) Readable() int { return a.rq.readyBytes }

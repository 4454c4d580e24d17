package assoc

// Stats are an association's counters, only growing. The first thirteen
// are design.md 7's (Solaris sctp_assoc_stats); the rest count what the
// engine dropped or ignored.
type Stats struct {
	RtxChunks          uint64 // DATA chunks retransmitted (sas_rtxchunks)
	GapAcksReceived    uint64 // SACKs received with a gap block (sas_gapcnt)
	MaxRTO             int64  // largest RTO so far, ns (sas_maxrto)
	OutOfSeqTSNs       uint64 // TSNs received above the next expected (sas_outseqtsns)
	SacksSent          uint64 // (sas_osacks)
	SacksReceived      uint64 // (sas_isacks)
	CtrlChunksSent     uint64 // control chunks sent (sas_octrlchunks)
	CtrlChunksReceived uint64 // control chunks received (sas_ictrlchunks)
	DataSentOrdered    uint64 // DATA first transmissions, ordered (sas_oodchunks)
	DataSentUnordered  uint64 // (sas_ouodchunks)
	DataRecvOrdered    uint64 // DATA received, duplicates excluded (sas_iodchunks)
	DataRecvUnordered  uint64 // (sas_iuodchunks)
	DupChunksReceived  uint64 // duplicate DATA received (sas_idupchunks)

	T3Expiries         uint64 // T3-rtx expiries (6.3.3)
	FastRetransmits    uint64 // chunks marked by three miss indications (7.2.4)
	DataDropped        uint64 // DATA dropped: no window, or TSN too far ahead
	ProtocolViolations uint64 // SACKs acknowledging TSNs never sent (aborted)
	ICMPAccepted       uint64 // ICMP errors that lowered the PMTU
	ICMPIgnored        uint64 // ICMP errors refused by the Appendix C checks
	PktDrops           uint64 // PKTDROP chunks: counted and ignored (design.md 5)
	Unrecognized       uint64 // chunks of an unrecognized type
	Discarded          uint64 // packets discarded by the verification-tag or bundling rules
	NotInState         uint64 // chunks not allowed in the current state
	HeartbeatsAckd     uint64
	EventsDropped      uint64 // REMOTE_ERROR events not queued: too many unread // HEARTBEATs of the peer answered
	HeartbeatsSent     uint64 // path HEARTBEATs sent (8.3, 5.4; PLPMTUD probes not counted)
}

// noteRTO keeps MaxRTO current after the current path's RTO changed.
func (a *Assoc) noteRTO() {
	r := a.paths[a.tx].rto
	a.Stats.MaxRTO = max(a.Stats.MaxRTO, r)
	a.periodMaxRTO = max(a.periodMaxRTO, r)
}

// GatherAndReset gives the counters accumulated since its previous call,
// with MaxRTO the largest RTO of that period (design.md 7, Solaris
// SCTP_GET_ASSOC_STATS semantics). Stats itself keeps growing.
func (a *Assoc) GatherAndReset() Stats {
	cur, prev := a.Stats, a.gathered
	d := Stats{
		RtxChunks:          cur.RtxChunks - prev.RtxChunks,
		GapAcksReceived:    cur.GapAcksReceived - prev.GapAcksReceived,
		MaxRTO:             a.periodMaxRTO,
		OutOfSeqTSNs:       cur.OutOfSeqTSNs - prev.OutOfSeqTSNs,
		SacksSent:          cur.SacksSent - prev.SacksSent,
		SacksReceived:      cur.SacksReceived - prev.SacksReceived,
		CtrlChunksSent:     cur.CtrlChunksSent - prev.CtrlChunksSent,
		CtrlChunksReceived: cur.CtrlChunksReceived - prev.CtrlChunksReceived,
		DataSentOrdered:    cur.DataSentOrdered - prev.DataSentOrdered,
		DataSentUnordered:  cur.DataSentUnordered - prev.DataSentUnordered,
		DataRecvOrdered:    cur.DataRecvOrdered - prev.DataRecvOrdered,
		DataRecvUnordered:  cur.DataRecvUnordered - prev.DataRecvUnordered,
		DupChunksReceived:  cur.DupChunksReceived - prev.DupChunksReceived,
		T3Expiries:         cur.T3Expiries - prev.T3Expiries,
		FastRetransmits:    cur.FastRetransmits - prev.FastRetransmits,
		DataDropped:        cur.DataDropped - prev.DataDropped,
		ProtocolViolations: cur.ProtocolViolations - prev.ProtocolViolations,
		ICMPAccepted:       cur.ICMPAccepted - prev.ICMPAccepted,
		ICMPIgnored:        cur.ICMPIgnored - prev.ICMPIgnored,
		PktDrops:           cur.PktDrops - prev.PktDrops,
		Unrecognized:       cur.Unrecognized - prev.Unrecognized,
		Discarded:          cur.Discarded - prev.Discarded,
		NotInState:         cur.NotInState - prev.NotInState,
		HeartbeatsAckd:     cur.HeartbeatsAckd - prev.HeartbeatsAckd,
	}
	a.gathered = cur
	a.periodMaxRTO = a.RTO()
	return d
}

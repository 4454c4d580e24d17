package wire_test

import (
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// Codes tshark 4.0.17 does not know: it shows them as unknown with their raw
// value, which we then compare instead of the decoded fields.
var (
	tsharkUnknownParams = map[wire.ParamType]bool{
		wire.ParamZeroChecksum: true, // 0x8001, RFC 9653
		wire.ParamPadding:      true, // 0x8005, RFC 4820
	}
	tsharkUnknownCauses = map[wire.CauseCode]bool{
		wire.CauseRestartNewEncapsPort: true, // 14, RFC 6951
	}
)

// Field kinds for comparing tshark's text with our values.
var (
	bytesFields = map[string]bool{
		"sctp.cookie": true, "sctp.hmac": true, "sctp.random_number": true,
		"sctp.parameter_heartbeat_information": true, "sctp.parameter_state_cookie": true,
		"sctp.pktdrop_datafield": true, "sctp.padding_data": true, "sctp.parameter_value": true,
		"sctp.cause_information": true, "sctp.chunk_value": true,
	}
	stringFields = map[string]bool{
		"sctp.parameter_ipv4_address": true, "sctp.parameter_ipv6_address": true,
		"sctp.parameter_hostname": true,
	}
)

// expectFields lists, per tshark field, the values our parser reads from s,
// in the order tshark reports occurrences (document order, nested items
// included).
type expect map[string][]string

func (e expect) n(field string, v uint64) { e[field] = append(e[field], strconv.FormatUint(v, 10)) }
func (e expect) b(field string, v []byte) {
	if len(v) > 0 {
		e[field] = append(e[field], hex.EncodeToString(v))
	}
}
func (e expect) s(field, v string) { e[field] = append(e[field], v) }
func (e expect) bit(field string, v bool) {
	if v {
		e.n(field, 1)
	} else {
		e.n(field, 0)
	}
}

func expectSCTP(s wire.SCTP) expect {
	e := expect{}
	e.n("sctp.srcport", uint64(s.SrcPort()))
	e.n("sctp.dstport", uint64(s.DstPort()))
	e.n("sctp.verification_tag", uint64(s.VerificationTag()))
	it := s.Chunks()
	for c, ok := it.Next(); ok; c, ok = it.Next() {
		e.chunk(c)
	}
	return e
}

func (e expect) chunk(c wire.Chunk) {
	e.n("sctp.chunk_type", uint64(c.Type()))
	e.n("sctp.chunk_flags", uint64(c.Flags()))
	e.n("sctp.chunk_length", uint64(c.Length()))
	switch c.Type() {
	case wire.ChunkData:
		d := wire.DataChunk(c)
		e.n("sctp.data_tsn_raw", uint64(d.TSN()))
		e.n("sctp.data_sid", uint64(d.StreamID()))
		e.n("sctp.data_ssn", uint64(d.SSN()))
		e.n("sctp.data_payload_proto_id", uint64(d.PPID()))
		e.bit("sctp.data_e_bit", d.E())
		e.bit("sctp.data_b_bit", d.B())
		e.bit("sctp.data_u_bit", d.U())
		e.bit("sctp.data_i_bit", d.I())
	case wire.ChunkIData:
		d := wire.IDataChunk(c)
		e.n("sctp.data_tsn_raw", uint64(d.TSN()))
		e.n("sctp.data_sid", uint64(d.StreamID()))
		e.n("sctp.data_reserved", uint64(d.Reserved()))
		e.n("sctp.data_mid", uint64(d.MID()))
		if d.B() {
			e.n("sctp.data_payload_proto_id", uint64(d.PPIDOrFSN()))
		} else {
			e.n("sctp.data_fsn", uint64(d.PPIDOrFSN()))
		}
		e.bit("sctp.data_e_bit", d.E())
		e.bit("sctp.data_b_bit", d.B())
		e.bit("sctp.data_u_bit", d.U())
		e.bit("sctp.data_i_bit", d.I())
	case wire.ChunkInit, wire.ChunkInitAck:
		i := wire.InitChunk(c)
		p := "sctp.init_"
		if c.Type() == wire.ChunkInitAck {
			p = "sctp.initack_"
		}
		e.n(p+"initiate_tag", uint64(i.InitiateTag()))
		e.n(p+"credit", uint64(i.ARwnd()))
		e.n(p+"nr_out_streams", uint64(i.OutStreams()))
		e.n(p+"nr_in_streams", uint64(i.InStreams()))
		e.n(p+"initial_tsn", uint64(i.InitialTSN()))
		e.params(i.Params())
	case wire.ChunkSack:
		k := wire.SackChunk(c)
		e.n("sctp.sack_cumulative_tsn_ack_raw", uint64(k.CumTSNAck()))
		e.n("sctp.sack_a_rwnd", uint64(k.ARwnd()))
		e.n("sctp.sack_number_of_gap_blocks", uint64(k.NumGapBlocks()))
		e.n("sctp.sack_number_of_duplicated_tsns", uint64(k.NumDupTSNs()))
		for i := range k.NumGapBlocks() {
			e.n("sctp.sack_gap_block_start", uint64(k.GapBlock(i).Start))
			e.n("sctp.sack_gap_block_end", uint64(k.GapBlock(i).End))
		}
		for i := range k.NumDupTSNs() {
			e.n("sctp.sack_duplicate_tsn", uint64(k.DupTSN(i)))
		}
	case wire.ChunkNRSack:
		k := wire.NRSackChunk(c)
		e.n("sctp.nr_sack_cumulative_tsn_ack", uint64(k.CumTSNAck()))
		e.n("sctp.nr_sack_a_rwnd", uint64(k.ARwnd()))
		e.n("sctp.nr_sack_number_of_gap_blocks", uint64(k.NumGapBlocks()))
		e.n("sctp.nr_sack_number_of_nr_gap_blocks", uint64(k.NumNRGapBlocks()))
		e.n("sctp.nr_sack_number_of_duplicated_tsns", uint64(k.NumDupTSNs()))
		e.n("sctp.nr_sack_reserved", uint64(k.Reserved()))
		for i := range k.NumGapBlocks() {
			e.n("sctp.nr_sack_gap_block_start", uint64(k.GapBlock(i).Start))
			e.n("sctp.nr_sack_gap_block_end", uint64(k.GapBlock(i).End))
		}
		for i := range k.NumNRGapBlocks() {
			e.n("sctp.nr_sack_nr_gap_block_start", uint64(k.NRGapBlock(i).Start))
			e.n("sctp.nr_sack_nr_gap_block_end", uint64(k.NRGapBlock(i).End))
		}
		for i := range k.NumDupTSNs() {
			e.n("sctp.nr_sack_duplicate_tsn", uint64(k.DupTSN(i)))
		}
	case wire.ChunkHeartbeat, wire.ChunkHeartbeatAck:
		e.param(wire.HeartbeatChunk(c).Info())
	case wire.ChunkAbort, wire.ChunkError:
		a := wire.AbortChunk(c)
		if c.Type() == wire.ChunkAbort {
			e.bit("sctp.abort_t_bit", a.T())
		}
		e.causes(a.Causes())
	case wire.ChunkShutdown:
		e.n("sctp.shutdown_cumulative_tsn_ack", uint64(wire.ShutdownChunk(c).CumTSNAck()))
	case wire.ChunkShutdownComplete:
		e.bit("sctp.shutdown_complete_t_bit", wire.ShutdownCompleteT(c))
	case wire.ChunkCookieEcho:
		e.b("sctp.cookie", wire.CookieEchoChunk(c).Cookie())
	case wire.ChunkECNE:
		e.n("sctp.ecne_lowest_tsn", uint64(wire.ECNChunk(c).LowestTSN()))
	case wire.ChunkCWR:
		e.n("sctp.cwr_lowest_tsn", uint64(wire.ECNChunk(c).LowestTSN()))
	case wire.ChunkAuth:
		a := wire.AuthChunk(c)
		e.n("sctp.shared_key_id", uint64(a.SharedKeyID()))
		e.n("sctp.hmac_id", uint64(a.HMACID()))
		e.b("sctp.hmac", a.HMAC())
	case wire.ChunkAsconf:
		a := wire.AsconfChunk(c)
		e.n("sctp.asconf_seq_nr_number", uint64(a.Serial()))
		e.param(a.AddrParam())
		e.params(a.Params())
	case wire.ChunkAsconfAck:
		a := wire.AsconfAckChunk(c)
		e.n("sctp.asconf_ack_seq_nr_number", uint64(a.Serial()))
		e.params(a.Params())
	case wire.ChunkReconfig:
		e.params(wire.ReconfigChunk(c).Params())
	case wire.ChunkPad:
		e.b("sctp.padding_data", wire.PadChunk(c).Padding())
	case wire.ChunkForwardTSN:
		f := wire.ForwardTSNChunk(c)
		e.n("sctp.forward_tsn_tsn", uint64(f.NewCumTSN()))
		for i := range f.NumStreams() {
			sid, ssn := f.Stream(i)
			e.n("sctp.forward_tsn_sid", uint64(sid))
			e.n("sctp.forward_tsn_ssn", uint64(ssn))
		}
	case wire.ChunkIForwardTSN:
		f := wire.IForwardTSNChunk(c)
		e.n("sctp.i_forward_tsn_tsn", uint64(f.NewCumTSN()))
		for i := range f.NumStreams() {
			sid, u, mid := f.Stream(i)
			e.n("sctp.i_forward_tsn_sid", uint64(sid))
			e.bit("sctp.i_forward_tsn_u_bit", u)
			e.n("sctp.forward_tsn_mid", uint64(mid))
		}
	case wire.ChunkPktDrop:
		p := wire.PktDropChunk(c)
		e.bit("sctp.pckdrop_m_bit", p.M())
		e.bit("sctp.pckdrop_b_bit", p.B())
		e.bit("sctp.pckdrop_t_bit", p.T())
		e.n("sctp.pktdrop_bandwidth", uint64(p.Bandwidth()))
		e.n("sctp.pktdrop_queuesize", uint64(p.QueueSize()))
		e.n("sctp.pktdrop_truncated_length", uint64(p.TruncatedLength()))
		e.n("sctp.pktdrop_reserved", uint64(p.Reserved()))
		e.b("sctp.pktdrop_datafield", p.Dropped())
	case wire.ChunkShutdownAck, wire.ChunkCookieAck:
	default:
		e.b("sctp.chunk_value", c.Value())
	}
}

func (e expect) params(it wire.ParamIter) {
	for p, ok := it.Next(); ok; p, ok = it.Next() {
		e.param(p)
	}
}

func (e expect) param(p wire.Param) {
	t := p.Type()
	e.n("sctp.parameter_type", uint64(t))
	e.n("sctp.parameter_length", uint64(p.Length()))
	if tsharkUnknownParams[t] || !t.Known() {
		e.b("sctp.parameter_value", p.Value())
		return
	}
	switch t {
	case wire.ParamIPv4:
		e.s("sctp.parameter_ipv4_address", p.Addr().String())
	case wire.ParamIPv6:
		e.s("sctp.parameter_ipv6_address", p.Addr().String())
	case wire.ParamHeartbeatInfo:
		e.b("sctp.parameter_heartbeat_information", p.Value())
	case wire.ParamStateCookie:
		e.b("sctp.parameter_state_cookie", p.Value())
	case wire.ParamCookiePreservative:
		e.n("sctp.parameter_cookie_preservative_incr", uint64(p.U32()))
	case wire.ParamHostName:
		e.s("sctp.parameter_hostname", strings.TrimRight(string(p.Value()), "\x00"))
	case wire.ParamSupportedAddrTypes:
		for i := range p.NumU16() {
			e.n("sctp.parameter_supported_address_type", uint64(p.U16(i)))
		}
	case wire.ParamRequestedHMACAlgo:
		for i := range p.NumU16() {
			e.n("sctp.hmac_id", uint64(p.U16(i)))
		}
	case wire.ParamSupportedExtensions:
		for _, x := range p.ChunkTypes() {
			e.n("sctp.supported_chunk_type", uint64(x))
		}
	case wire.ParamChunkList:
		for _, x := range p.ChunkTypes() {
			e.n("sctp.chunk_type_to_auth", uint64(x))
		}
	case wire.ParamRandom:
		e.b("sctp.random_number", p.Value())
	case wire.ParamAdaptationLayer:
		e.n("sctp.adaptation_layer_indication", uint64(p.U32()))
	case wire.ParamUnrecognized:
		e.param(p.Inner())
	case wire.ParamAddIP, wire.ParamDeleteIP, wire.ParamSetPrimary:
		e.n("sctp.correlation_id", uint64(p.CorrelationID()))
		e.param(p.AddrParam())
	case wire.ParamSuccessIndication:
		e.n("sctp.correlation_id", uint64(p.CorrelationID()))
	case wire.ParamErrorCauseIndication:
		e.n("sctp.correlation_id", uint64(p.CorrelationID()))
		e.causes(p.Causes())
	case wire.ParamOutSSNResetReq:
		e.n("sctp.parameter_reconfig_request_sequence_number", uint64(p.ReqSeq()))
		e.n("sctp.parameter_reconfig_response_sequence_number", uint64(p.RespSeq()))
		e.n("sctp.parameter_senders_last_assigned_tsn", uint64(p.LastTSN()))
		for i := range p.NumStreams() {
			e.n("sctp.parameter_reconfig_sid", uint64(p.Stream(i)))
		}
	case wire.ParamInSSNResetReq:
		e.n("sctp.parameter_reconfig_request_sequence_number", uint64(p.ReqSeq()))
		for i := range p.NumStreams() {
			e.n("sctp.parameter_reconfig_sid", uint64(p.Stream(i)))
		}
	case wire.ParamSSNTSNResetReq:
		e.n("sctp.parameter_reconfig_request_sequence_number", uint64(p.ReqSeq()))
	case wire.ParamReconfigResp:
		e.n("sctp.parameter_reconfig_response_sequence_number", uint64(p.RespSeq()))
		e.n("sctp.parameter_reconfig_response_result", uint64(p.Result()))
		if p.HasTSNs() {
			e.n("sctp.parameter_senders_next_tsn", uint64(p.SenderNextTSN()))
			e.n("sctp.parameter_receivers_next_tsn", uint64(p.ReceiverNextTSN()))
		}
	case wire.ParamAddOutStreamsReq:
		e.n("sctp.parameter_reconfig_request_sequence_number", uint64(p.ReqSeq()))
		e.n("sctp.parameter_add_outgoing_streams_number", uint64(p.NewStreams()))
		e.n("sctp.parameter_add_outgoing_streams_reserved", uint64(p.StreamsReserved()))
	case wire.ParamAddInStreamsReq:
		e.n("sctp.parameter_reconfig_request_sequence_number", uint64(p.ReqSeq()))
		e.n("sctp.parameter_add_incoming_streams_number", uint64(p.NewStreams()))
		e.n("sctp.parameter_add_incoming_streams_reserved", uint64(p.StreamsReserved()))
	}
}

func (e expect) causes(it wire.CauseIter) {
	for c, ok := it.Next(); ok; c, ok = it.Next() {
		code := c.Code()
		e.n("sctp.cause_code", uint64(code))
		e.n("sctp.cause_length", uint64(c.Length()))
		if tsharkUnknownCauses[code] || !code.Known() {
			e.b("sctp.cause_information", c.Info())
			continue
		}
		switch code {
		case wire.CauseInvalidStreamID:
			e.n("sctp.cause_stream_identifier", uint64(c.StreamID()))
			e.n("sctp.cause_reserved", uint64(c.Reserved16()))
		case wire.CauseMissingMandatoryParam:
			e.n("sctp.cause_nr_of_missing_parameters", uint64(c.NumMissing()))
			for i := range c.NumMissing() {
				e.n("sctp.cause_missing_parameter_type", uint64(c.Missing(i)))
			}
		case wire.CauseStaleCookie:
			e.n("sctp.cause_measure_of_staleness", uint64(c.Staleness()))
		case wire.CauseNoUserData:
			e.n("sctp.cause_tsn", uint64(c.TSN()))
		case wire.CauseUnsupportedHMACID:
			e.n("sctp.hmac_id", uint64(c.HMACID()))
		case wire.CauseUnresolvableAddress, wire.CauseDeleteLastAddress, wire.CauseResourceShortage,
			wire.CauseDeleteSourceAddress, wire.CauseNoAuthorization:
			e.param(c.Param())
		case wire.CauseUnrecognizedParams, wire.CauseRestartNewAddresses:
			e.params(c.Params())
		case wire.CauseUnrecognizedChunkType:
			inner := wire.Chunk(c.Chunk())
			if len(inner) >= 4 && inner.Length() == len(inner) && wire.ValidateChunk(inner) == nil {
				e.chunk(inner)
			}
		case wire.CauseUserInitiatedAbort, wire.CauseProtocolViolation:
			e.b("sctp.cause_information", c.Info())
		}
	}
}

// expectedFieldNames is every field expectSCTP can produce; each is
// compared in full (an occurrence tshark has and we don't fails too).
var expectedFieldNames = []string{
	"sctp.srcport", "sctp.dstport", "sctp.verification_tag", "sctp.chunk_type", "sctp.chunk_flags",
	"sctp.chunk_length", "sctp.data_tsn_raw", "sctp.data_sid", "sctp.data_ssn",
	"sctp.data_payload_proto_id", "sctp.data_e_bit", "sctp.data_b_bit", "sctp.data_u_bit",
	"sctp.data_i_bit", "sctp.data_reserved", "sctp.data_mid", "sctp.data_fsn",
	"sctp.init_initiate_tag", "sctp.init_credit", "sctp.init_nr_out_streams", "sctp.init_nr_in_streams",
	"sctp.init_initial_tsn", "sctp.initack_initiate_tag", "sctp.initack_credit",
	"sctp.initack_nr_out_streams", "sctp.initack_nr_in_streams", "sctp.initack_initial_tsn",
	"sctp.sack_cumulative_tsn_ack_raw", "sctp.sack_a_rwnd", "sctp.sack_number_of_gap_blocks",
	"sctp.sack_number_of_duplicated_tsns", "sctp.sack_gap_block_start", "sctp.sack_gap_block_end",
	"sctp.sack_duplicate_tsn", "sctp.nr_sack_cumulative_tsn_ack", "sctp.nr_sack_a_rwnd",
	"sctp.nr_sack_number_of_gap_blocks", "sctp.nr_sack_number_of_nr_gap_blocks",
	"sctp.nr_sack_number_of_duplicated_tsns", "sctp.nr_sack_reserved", "sctp.nr_sack_gap_block_start",
	"sctp.nr_sack_gap_block_end", "sctp.nr_sack_nr_gap_block_start", "sctp.nr_sack_nr_gap_block_end",
	"sctp.nr_sack_duplicate_tsn", "sctp.abort_t_bit", "sctp.shutdown_cumulative_tsn_ack",
	"sctp.shutdown_complete_t_bit", "sctp.cookie", "sctp.ecne_lowest_tsn", "sctp.cwr_lowest_tsn",
	"sctp.shared_key_id", "sctp.hmac_id", "sctp.hmac", "sctp.asconf_seq_nr_number",
	"sctp.asconf_ack_seq_nr_number", "sctp.padding_data", "sctp.forward_tsn_tsn", "sctp.forward_tsn_sid",
	"sctp.forward_tsn_ssn", "sctp.i_forward_tsn_tsn", "sctp.i_forward_tsn_sid",
	"sctp.i_forward_tsn_u_bit", "sctp.forward_tsn_mid", "sctp.pckdrop_m_bit", "sctp.pckdrop_b_bit",
	"sctp.pckdrop_t_bit", "sctp.pktdrop_bandwidth", "sctp.pktdrop_queuesize",
	"sctp.pktdrop_truncated_length", "sctp.pktdrop_reserved", "sctp.pktdrop_datafield",
	"sctp.chunk_value", "sctp.parameter_type", "sctp.parameter_length", "sctp.parameter_value",
	"sctp.parameter_ipv4_address", "sctp.parameter_ipv6_address", "sctp.parameter_heartbeat_information",
	"sctp.parameter_state_cookie", "sctp.parameter_cookie_preservative_incr", "sctp.parameter_hostname",
	"sctp.parameter_supported_address_type", "sctp.supported_chunk_type", "sctp.chunk_type_to_auth",
	"sctp.random_number", "sctp.adaptation_layer_indication", "sctp.correlation_id",
	"sctp.parameter_reconfig_request_sequence_number", "sctp.parameter_reconfig_response_sequence_number",
	"sctp.parameter_senders_last_assigned_tsn", "sctp.parameter_reconfig_sid",
	"sctp.parameter_reconfig_response_result", "sctp.parameter_senders_next_tsn",
	"sctp.parameter_receivers_next_tsn", "sctp.parameter_add_outgoing_streams_number",
	"sctp.parameter_add_outgoing_streams_reserved", "sctp.parameter_add_incoming_streams_number",
	"sctp.parameter_add_incoming_streams_reserved", "sctp.cause_code", "sctp.cause_length",
	"sctp.cause_information", "sctp.cause_stream_identifier", "sctp.cause_reserved",
	"sctp.cause_nr_of_missing_parameters", "sctp.cause_missing_parameter_type",
	"sctp.cause_measure_of_staleness", "sctp.cause_tsn",
}

// normalize turns tshark's text for field into our representation.
func normalize(field, v string) string {
	switch {
	case bytesFields[field]:
		return strings.ReplaceAll(v, ":", "")
	case stringFields[field]:
		return v
	}
	if n, err := strconv.ParseUint(v, 0, 64); err == nil {
		return strconv.FormatUint(n, 10)
	}
	switch v { // booleans, in case tshark prints them as words
	case "True":
		return "1"
	case "False":
		return "0"
	}
	return v
}

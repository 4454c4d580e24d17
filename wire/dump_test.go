package wire

import (
	"fmt"
	"strings"
)

// dumpSCTP renders every field the accessors expose, recursively, as text.
// Round-trip tests compare dumps: parse → dump must equal
// parse → rebuild → parse → dump.
func dumpSCTP(s SCTP) string {
	var b strings.Builder
	fmt.Fprintf(&b, "sctp %d>%d vtag=%#x\n", s.SrcPort(), s.DstPort(), s.VerificationTag())
	it := s.Chunks()
	for {
		c, ok := it.Next()
		if !ok {
			break
		}
		dumpChunk(&b, c)
	}
	if it.Err() != nil {
		fmt.Fprintf(&b, "err %v\n", it.Err())
	}
	return b.String()
}

func dumpChunk(b *strings.Builder, c Chunk) {
	fmt.Fprintf(b, "chunk %s(%d) flags=%#x\n", c.Type(), c.Type(), c.Flags())
	switch c.Type() {
	case ChunkData:
		d := DataChunk(c)
		fmt.Fprintf(b, " U=%v B=%v E=%v I=%v tsn=%d sid=%d ssn=%d ppid=%d payload=%x\n",
			d.U(), d.B(), d.E(), d.I(), d.TSN(), d.StreamID(), d.SSN(), d.PPID(), d.Payload())
	case ChunkIData:
		d := IDataChunk(c)
		fmt.Fprintf(b, " U=%v B=%v E=%v I=%v tsn=%d sid=%d mid=%d ppid/fsn=%d payload=%x\n",
			d.U(), d.B(), d.E(), d.I(), d.TSN(), d.StreamID(), d.MID(), d.PPIDOrFSN(), d.Payload())
	case ChunkInit, ChunkInitAck:
		i := InitChunk(c)
		fmt.Fprintf(b, " tag=%#x arwnd=%d os=%d mis=%d tsn=%d\n",
			i.InitiateTag(), i.ARwnd(), i.OutStreams(), i.InStreams(), i.InitialTSN())
		dumpParams(b, i.Params(), " ")
	case ChunkSack:
		s := SackChunk(c)
		fmt.Fprintf(b, " cum=%d arwnd=%d gaps=%d dups=%d\n", s.CumTSNAck(), s.ARwnd(), s.NumGapBlocks(), s.NumDupTSNs())
		for i := range s.NumGapBlocks() {
			fmt.Fprintf(b, " gap %v\n", s.GapBlock(i))
		}
		for i := range s.NumDupTSNs() {
			fmt.Fprintf(b, " dup %d\n", s.DupTSN(i))
		}
	case ChunkNRSack:
		s := NRSackChunk(c)
		fmt.Fprintf(b, " cum=%d arwnd=%d gaps=%d nrgaps=%d dups=%d\n", s.CumTSNAck(), s.ARwnd(),
			s.NumGapBlocks(), s.NumNRGapBlocks(), s.NumDupTSNs())
		for i := range s.NumGapBlocks() {
			fmt.Fprintf(b, " gap %v\n", s.GapBlock(i))
		}
		for i := range s.NumNRGapBlocks() {
			fmt.Fprintf(b, " nrgap %v\n", s.NRGapBlock(i))
		}
		for i := range s.NumDupTSNs() {
			fmt.Fprintf(b, " dup %d\n", s.DupTSN(i))
		}
	case ChunkHeartbeat, ChunkHeartbeatAck:
		fmt.Fprintf(b, " info=%x\n", HeartbeatChunk(c).Info().Value())
	case ChunkAbort, ChunkError:
		a := AbortChunk(c)
		fmt.Fprintf(b, " T=%v\n", a.T())
		dumpCauses(b, a.Causes(), " ")
	case ChunkShutdown:
		fmt.Fprintf(b, " cum=%d\n", ShutdownChunk(c).CumTSNAck())
	case ChunkShutdownComplete:
		fmt.Fprintf(b, " T=%v\n", ShutdownCompleteT(c))
	case ChunkCookieEcho:
		fmt.Fprintf(b, " cookie=%x\n", CookieEchoChunk(c).Cookie())
	case ChunkECNE, ChunkCWR:
		fmt.Fprintf(b, " lowest=%d\n", ECNChunk(c).LowestTSN())
	case ChunkAuth:
		a := AuthChunk(c)
		fmt.Fprintf(b, " key=%d hmacid=%d hmac=%x\n", a.SharedKeyID(), a.HMACID(), a.HMAC())
	case ChunkAsconf:
		a := AsconfChunk(c)
		fmt.Fprintf(b, " serial=%d addr=%v\n", a.Serial(), a.AddrParam().Addr())
		dumpParams(b, a.Params(), " ")
	case ChunkAsconfAck:
		a := AsconfAckChunk(c)
		fmt.Fprintf(b, " serial=%d\n", a.Serial())
		dumpParams(b, a.Params(), " ")
	case ChunkReconfig:
		dumpParams(b, ReconfigChunk(c).Params(), " ")
	case ChunkPad:
		fmt.Fprintf(b, " pad=%d\n", len(PadChunk(c).Padding()))
	case ChunkForwardTSN:
		f := ForwardTSNChunk(c)
		fmt.Fprintf(b, " newcum=%d\n", f.NewCumTSN())
		for i := range f.NumStreams() {
			sid, ssn := f.Stream(i)
			fmt.Fprintf(b, " stream %d ssn %d\n", sid, ssn)
		}
	case ChunkIForwardTSN:
		f := IForwardTSNChunk(c)
		fmt.Fprintf(b, " newcum=%d\n", f.NewCumTSN())
		for i := range f.NumStreams() {
			sid, u, mid := f.Stream(i)
			fmt.Fprintf(b, " stream %d U=%v mid %d\n", sid, u, mid)
		}
	case ChunkPktDrop:
		p := PktDropChunk(c)
		fmt.Fprintf(b, " M=%v B=%v T=%v bw=%d q=%d trunc=%d data=%x\n", p.M(), p.B(), p.T(),
			p.Bandwidth(), p.QueueSize(), p.TruncatedLength(), p.Dropped())
	case ChunkShutdownAck, ChunkCookieAck:
	default:
		fmt.Fprintf(b, " action=%d value=%x\n", c.Type().Action(), c.Value())
	}
}

func dumpParams(b *strings.Builder, it ParamIter, ind string) {
	for {
		p, ok := it.Next()
		if !ok {
			break
		}
		dumpParam(b, p, ind)
	}
	if it.Err() != nil {
		fmt.Fprintf(b, "%serr %v\n", ind, it.Err())
	}
}

func dumpParam(b *strings.Builder, p Param, ind string) {
	fmt.Fprintf(b, "%sparam %#x", ind, uint16(p.Type()))
	switch p.Type() {
	case ParamIPv4, ParamIPv6:
		fmt.Fprintf(b, " addr=%v\n", p.Addr())
	case ParamCookiePreservative, ParamZeroChecksum, ParamAdaptationLayer, ParamSuccessIndication,
		ParamSSNTSNResetReq:
		fmt.Fprintf(b, " u32=%d\n", p.U32())
	case ParamSupportedAddrTypes, ParamRequestedHMACAlgo:
		for i := range p.NumU16() {
			fmt.Fprintf(b, " %d", p.U16(i))
		}
		b.WriteString("\n")
	case ParamSupportedExtensions, ParamChunkList:
		fmt.Fprintf(b, " types=%x\n", p.ChunkTypes())
	case ParamAddIP, ParamDeleteIP, ParamSetPrimary:
		fmt.Fprintf(b, " corr=%d addr=%v\n", p.CorrelationID(), p.AddrParam().Addr())
	case ParamErrorCauseIndication:
		fmt.Fprintf(b, " corr=%d\n", p.CorrelationID())
		dumpCauses(b, p.Causes(), ind+" ")
	case ParamOutSSNResetReq:
		fmt.Fprintf(b, " req=%d resp=%d last=%d", p.ReqSeq(), p.RespSeq(), p.LastTSN())
		for i := range p.NumStreams() {
			fmt.Fprintf(b, " s%d", p.Stream(i))
		}
		b.WriteString("\n")
	case ParamInSSNResetReq:
		fmt.Fprintf(b, " req=%d", p.ReqSeq())
		for i := range p.NumStreams() {
			fmt.Fprintf(b, " s%d", p.Stream(i))
		}
		b.WriteString("\n")
	case ParamReconfigResp:
		fmt.Fprintf(b, " resp=%d result=%d tsns=%v", p.RespSeq(), p.Result(), p.HasTSNs())
		if p.HasTSNs() {
			fmt.Fprintf(b, " snd=%d rcv=%d", p.SenderNextTSN(), p.ReceiverNextTSN())
		}
		b.WriteString("\n")
	case ParamAddOutStreamsReq, ParamAddInStreamsReq:
		fmt.Fprintf(b, " req=%d n=%d\n", p.ReqSeq(), p.NewStreams())
	case ParamPadding:
		fmt.Fprintf(b, " pad=%d\n", len(p.Value()))
	case ParamUnrecognized:
		q := p.Inner()
		fmt.Fprintf(b, " inner=%#x value=%x\n", uint16(q.Type()), q.Value())
	default:
		fmt.Fprintf(b, " action=%d value=%x\n", p.Type().Action(), p.Value())
	}
}

func dumpCauses(b *strings.Builder, it CauseIter, ind string) {
	for {
		c, ok := it.Next()
		if !ok {
			break
		}
		fmt.Fprintf(b, "%scause %d", ind, c.Code())
		switch c.Code() {
		case CauseInvalidStreamID:
			fmt.Fprintf(b, " sid=%d\n", c.StreamID())
		case CauseMissingMandatoryParam:
			for i := range c.NumMissing() {
				fmt.Fprintf(b, " %#x", uint16(c.Missing(i)))
			}
			b.WriteString("\n")
		case CauseStaleCookie:
			fmt.Fprintf(b, " staleness=%d\n", c.Staleness())
		case CauseNoUserData:
			fmt.Fprintf(b, " tsn=%d\n", c.TSN())
		case CauseRestartNewEncapsPort:
			fmt.Fprintf(b, " ports=%d,%d\n", c.CurrentPort(), c.NewPort())
		case CauseUnsupportedHMACID:
			fmt.Fprintf(b, " hmac=%d\n", c.HMACID())
		case CauseUnresolvableAddress, CauseDeleteLastAddress, CauseResourceShortage,
			CauseDeleteSourceAddress, CauseNoAuthorization:
			b.WriteString("\n")
			dumpParam(b, c.Param(), ind+" ")
		case CauseRestartNewAddresses:
			b.WriteString("\n")
			dumpParams(b, c.Params(), ind+" ")
		default:
			fmt.Fprintf(b, " info=%x\n", c.Info())
		}
	}
	if it.Err() != nil {
		fmt.Fprintf(b, "%serr %v\n", ind, it.Err())
	}
}

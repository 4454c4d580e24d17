package wire

// rebuild appends a packet equal in every field to s (which ParseSCTP
// accepted) using the typed builders and the typed accessors only.
func rebuild(b []byte, s SCTP) []byte {
	var w Builder
	w.Start(b, s.SrcPort(), s.DstPort(), s.VerificationTag())
	for it := s.Chunks(); ; {
		c, ok := it.Next()
		if !ok {
			break
		}
		start := w.base + (w.Len()+3)&^3
		rebuildChunk(&w, c)
		w.b[start+1] = c.Flags() // typed builders set 0 where flags mean nothing
	}
	out, err := w.Finish()
	if err != nil {
		panic(err)
	}
	return out
}

func rebuildChunk(w *Builder, c Chunk) {
	switch c.Type() {
	case ChunkData:
		d := DataChunk(c)
		w.Data(d.Flags(), d.TSN(), d.StreamID(), d.SSN(), d.PPID(), d.Payload())
	case ChunkIData:
		d := IDataChunk(c)
		w.IData(d.Flags(), d.TSN(), d.StreamID(), d.MID(), d.PPIDOrFSN(), d.Payload())
	case ChunkInit, ChunkInitAck:
		i := InitChunk(c)
		if c.Type() == ChunkInit {
			w.BeginInit(i.InitiateTag(), i.ARwnd(), i.OutStreams(), i.InStreams(), i.InitialTSN())
		} else {
			w.BeginInitAck(i.InitiateTag(), i.ARwnd(), i.OutStreams(), i.InStreams(), i.InitialTSN())
		}
		rebuildParams(w, i.Params())
		w.End()
	case ChunkSack:
		s := SackChunk(c)
		gaps := make([]GapBlock, s.NumGapBlocks())
		for i := range gaps {
			gaps[i] = s.GapBlock(i)
		}
		dups := make([]uint32, s.NumDupTSNs())
		for i := range dups {
			dups[i] = s.DupTSN(i)
		}
		w.Sack(s.CumTSNAck(), s.ARwnd(), gaps, dups)
	case ChunkNRSack:
		s := NRSackChunk(c)
		gaps := make([]GapBlock, s.NumGapBlocks())
		for i := range gaps {
			gaps[i] = s.GapBlock(i)
		}
		nr := make([]GapBlock, s.NumNRGapBlocks())
		for i := range nr {
			nr[i] = s.NRGapBlock(i)
		}
		dups := make([]uint32, s.NumDupTSNs())
		for i := range dups {
			dups[i] = s.DupTSN(i)
		}
		w.NRSack(c.Flags(), s.CumTSNAck(), s.ARwnd(), gaps, nr, dups)
	case ChunkHeartbeat:
		w.Heartbeat(HeartbeatChunk(c).Info().Value())
	case ChunkHeartbeatAck:
		w.HeartbeatAck(HeartbeatChunk(c).Info().Value())
	case ChunkAbort, ChunkError:
		a := AbortChunk(c)
		if c.Type() == ChunkAbort {
			w.BeginAbort(a.T())
		} else {
			w.BeginError()
		}
		rebuildCauses(w, a.Causes())
		w.End()
	case ChunkShutdown:
		w.Shutdown(ShutdownChunk(c).CumTSNAck())
	case ChunkShutdownAck:
		w.ShutdownAck()
	case ChunkShutdownComplete:
		w.ShutdownComplete(ShutdownCompleteT(c))
	case ChunkCookieEcho:
		w.CookieEcho(CookieEchoChunk(c).Cookie())
	case ChunkCookieAck:
		w.CookieAck()
	case ChunkECNE:
		w.ECNE(ECNChunk(c).LowestTSN())
	case ChunkCWR:
		w.CWR(ECNChunk(c).LowestTSN())
	case ChunkAuth:
		a := AuthChunk(c)
		off := w.Auth(a.SharedKeyID(), a.HMACID(), len(a.HMAC()))
		copy(w.Bytes()[off:], a.HMAC())
	case ChunkAsconf:
		a := AsconfChunk(c)
		w.BeginAsconf(a.Serial(), a.AddrParam().Addr())
		rebuildParams(w, a.Params())
		w.End()
	case ChunkAsconfAck:
		a := AsconfAckChunk(c)
		w.BeginAsconfAck(a.Serial())
		rebuildParams(w, a.Params())
		w.End()
	case ChunkReconfig:
		w.BeginReconfig()
		rebuildParams(w, ReconfigChunk(c).Params())
		w.End()
	case ChunkPad:
		w.Pad(len(PadChunk(c).Padding()))
	case ChunkForwardTSN:
		f := ForwardTSNChunk(c)
		ss := make([]StreamSSN, f.NumStreams())
		for i := range ss {
			ss[i].SID, ss[i].SSN = f.Stream(i)
		}
		w.ForwardTSN(f.NewCumTSN(), ss)
	case ChunkIForwardTSN:
		f := IForwardTSNChunk(c)
		ss := make([]StreamMID, f.NumStreams())
		for i := range ss {
			ss[i].SID, ss[i].Unordered, ss[i].MID = f.Stream(i)
		}
		w.IForwardTSN(f.NewCumTSN(), ss)
	case ChunkPktDrop:
		p := PktDropChunk(c)
		w.PktDrop(c.Flags(), p.Bandwidth(), p.QueueSize(), p.TruncatedLength(), p.Dropped())
	default:
		w.Chunk(c.Type(), c.Flags(), c.Value())
	}
}

func rebuildParams(w *Builder, it ParamIter) {
	for {
		p, ok := it.Next()
		if !ok {
			return
		}
		rebuildParam(w, p)
	}
}

func rebuildParam(w *Builder, p Param) {
	switch p.Type() {
	case ParamIPv4, ParamIPv6:
		w.ParamAddr(p.Addr())
	case ParamStateCookie:
		w.ParamStateCookie(p.Value())
	case ParamCookiePreservative:
		w.ParamCookiePreservative(p.U32())
	case ParamHostName:
		w.ParamHostName(p.Value())
	case ParamSupportedAddrTypes, ParamRequestedHMACAlgo:
		v := make([]uint16, p.NumU16())
		for i := range v {
			v[i] = p.U16(i)
		}
		if p.Type() == ParamSupportedAddrTypes {
			w.ParamSupportedAddrTypes(v)
		} else {
			w.ParamHMACAlgos(v)
		}
	case ParamECNCapable:
		w.ParamECN()
	case ParamForwardTSNSupported:
		w.ParamForwardTSNSupported()
	case ParamZeroChecksum:
		w.ParamZeroChecksum(p.U32())
	case ParamRandom:
		w.ParamRandom(p.Value())
	case ParamChunkList:
		w.ParamChunkList(p.ChunkTypes())
	case ParamPadding:
		w.ParamPadding(len(p.Value()))
	case ParamSupportedExtensions:
		w.ParamSupportedExtensions(p.ChunkTypes())
	case ParamAdaptationLayer:
		w.ParamAdaptation(p.U32())
	case ParamUnrecognized:
		w.ParamUnrecognized(p.Inner())
	case ParamAddIP:
		w.ParamAddIP(p.CorrelationID(), p.AddrParam().Addr())
	case ParamDeleteIP:
		w.ParamDeleteIP(p.CorrelationID(), p.AddrParam().Addr())
	case ParamSetPrimary:
		w.ParamSetPrimary(p.CorrelationID(), p.AddrParam().Addr())
	case ParamErrorCauseIndication:
		w.BeginParamErrorCauseIndication(p.CorrelationID())
		rebuildCauses(w, p.Causes())
		w.End()
	case ParamSuccessIndication:
		w.ParamSuccess(p.CorrelationID())
	case ParamOutSSNResetReq, ParamInSSNResetReq:
		v := make([]uint16, p.NumStreams())
		for i := range v {
			v[i] = p.Stream(i)
		}
		if p.Type() == ParamOutSSNResetReq {
			w.ParamOutSSNReset(p.ReqSeq(), p.RespSeq(), p.LastTSN(), v)
		} else {
			w.ParamInSSNReset(p.ReqSeq(), v)
		}
	case ParamSSNTSNResetReq:
		w.ParamSSNTSNReset(p.ReqSeq())
	case ParamReconfigResp:
		if p.HasTSNs() {
			w.ParamReconfigRespTSNs(p.RespSeq(), p.Result(), p.SenderNextTSN(), p.ReceiverNextTSN())
		} else {
			w.ParamReconfigResp(p.RespSeq(), p.Result())
		}
	case ParamAddOutStreamsReq:
		w.ParamAddOutStreams(p.ReqSeq(), p.NewStreams())
	case ParamAddInStreamsReq:
		w.ParamAddInStreams(p.ReqSeq(), p.NewStreams())
	default:
		w.Param(p.Type(), p.Value())
	}
}

func rebuildCauses(w *Builder, it CauseIter) {
	for {
		c, ok := it.Next()
		if !ok {
			return
		}
		switch c.Code() {
		case CauseInvalidStreamID:
			w.CauseInvalidStream(c.StreamID())
		case CauseMissingMandatoryParam:
			v := make([]ParamType, c.NumMissing())
			for i := range v {
				v[i] = c.Missing(i)
			}
			w.CauseMissingParams(v)
		case CauseStaleCookie:
			w.CauseU32(c.Code(), c.Staleness())
		case CauseNoUserData:
			w.CauseU32(c.Code(), c.TSN())
		case CauseRestartNewEncapsPort:
			w.CauseEncapsPort(c.CurrentPort(), c.NewPort())
		case CauseUnsupportedHMACID:
			w.CauseUnsupportedHMAC(c.HMACID())
		case CauseOutOfResource, CauseInvalidMandatoryParam, CauseCookieWhileShuttingDown,
			CauseIllegalAsconfAck:
			w.CauseEmpty(c.Code())
		case CauseUnresolvableAddress, CauseDeleteLastAddress, CauseResourceShortage,
			CauseDeleteSourceAddress, CauseNoAuthorization:
			w.BeginCause(c.Code())
			rebuildParam(w, c.Param())
			w.End()
		case CauseRestartNewAddresses:
			w.BeginCause(c.Code())
			rebuildParams(w, c.Params())
			w.End()
		default:
			w.Cause(c.Code(), c.Info())
		}
	}
}

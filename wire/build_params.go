package wire

import "net/netip"

// Builders for parameters and error causes, appended inside the innermost
// open chunk, parameter or cause (see Builder).

// ParamAddr appends an IPv4 Address parameter for an IPv4 (or IPv4-mapped)
// address, else an IPv6 Address parameter (RFC 9260 3.3.2.1). The zero
// Addr is a build error, not the address ::.
func (w *Builder) ParamAddr(a netip.Addr) {
	if !a.IsValid() {
		w.err = errBuildNoAddr
		return
	}
	if a.Is4() || a.Is4In6() {
		w.BeginParam(ParamIPv4)
		v := a.As4()
		w.Raw(v[:])
	} else {
		w.BeginParam(ParamIPv6)
		v := a.As16()
		w.Raw(v[:])
	}
	w.End()
}

func (w *Builder) param32(t ParamType, v uint32) {
	w.BeginParam(t)
	w.U32(v)
	w.End()
}

func (w *Builder) param16s(t ParamType, v []uint16) {
	w.BeginParam(t)
	for _, x := range v {
		w.U16(x)
	}
	w.End()
}

// ParamStateCookie appends a State Cookie parameter (RFC 9260 3.3.3.1).
func (w *Builder) ParamStateCookie(cookie []byte) { w.Param(ParamStateCookie, cookie) }

// ParamCookiePreservative appends a Cookie Preservative parameter (ms).
func (w *Builder) ParamCookiePreservative(ms uint32) { w.param32(ParamCookiePreservative, ms) }

// ParamHostName appends a (deprecated) Host Name Address parameter; name
// should end with a NUL byte (RFC 9260 3.3.2.1).
func (w *Builder) ParamHostName(name []byte) { w.Param(ParamHostName, name) }

// ParamSupportedAddrTypes appends a Supported Address Types parameter
// (values are parameter types: 5, 6, 11).
func (w *Builder) ParamSupportedAddrTypes(types []uint16) {
	w.param16s(ParamSupportedAddrTypes, types)
}

// ParamECN appends an ECN Capable parameter.
func (w *Builder) ParamECN() { w.Param(ParamECNCapable, nil) }

// ParamForwardTSNSupported appends a Forward-TSN-Supported parameter (RFC 3758 3.1).
func (w *Builder) ParamForwardTSNSupported() { w.Param(ParamForwardTSNSupported, nil) }

// ParamZeroChecksum appends a Zero Checksum Acceptable parameter (RFC 9653 4).
func (w *Builder) ParamZeroChecksum(edmid uint32) { w.param32(ParamZeroChecksum, edmid) }

// ParamRandom appends a Random parameter (RFC 4895 3.1).
func (w *Builder) ParamRandom(r []byte) { w.Param(ParamRandom, r) }

// ParamChunkList appends a Chunk List parameter (RFC 4895 3.2).
func (w *Builder) ParamChunkList(types []byte) { w.Param(ParamChunkList, types) }

// ParamHMACAlgos appends a Requested HMAC Algorithm parameter (RFC 4895 3.3).
func (w *Builder) ParamHMACAlgos(ids []uint16) { w.param16s(ParamRequestedHMACAlgo, ids) }

// ParamPadding appends a Padding parameter with n bytes of padding (RFC 4820 4).
func (w *Builder) ParamPadding(n int) {
	w.BeginParam(ParamPadding)
	w.Zeros(n)
	w.End()
}

// ParamSupportedExtensions appends a Supported Extensions parameter (RFC 5061 4.2.7).
func (w *Builder) ParamSupportedExtensions(types []byte) {
	w.Param(ParamSupportedExtensions, types)
}

// ParamAdaptation appends an Adaptation Layer Indication (RFC 5061 4.2.6).
func (w *Builder) ParamAdaptation(code uint32) { w.param32(ParamAdaptationLayer, code) }

// ParamUnrecognized appends an Unrecognized Parameter parameter carrying p
// with its padding (RFC 9260 3.3.3.1; as Linux and Wireshark expect).
func (w *Builder) ParamUnrecognized(p Param) {
	w.BeginParam(ParamUnrecognized)
	w.RawParam(p)
	w.End()
}

// RawParam appends an encoded parameter (one being reported back, say)
// with its padding, inside the open item: for an Unrecognized Parameters
// cause, BeginCause(CauseUnrecognizedParams), RawParam for each, End.
func (w *Builder) RawParam(p Param) {
	w.pad()
	w.Raw(p)
	w.pad()
}

func (w *Builder) paramAsconf(t ParamType, corr uint32, a netip.Addr) {
	w.BeginParam(t)
	w.U32(corr)
	w.ParamAddr(a)
	w.End()
}

// ParamAddIP appends an Add IP Address parameter (RFC 5061 4.2.1).
func (w *Builder) ParamAddIP(corr uint32, a netip.Addr) { w.paramAsconf(ParamAddIP, corr, a) }

// ParamDeleteIP appends a Delete IP Address parameter (RFC 5061 4.2.2).
func (w *Builder) ParamDeleteIP(corr uint32, a netip.Addr) { w.paramAsconf(ParamDeleteIP, corr, a) }

// ParamSetPrimary appends a Set Primary Address parameter (RFC 5061 4.2.4).
func (w *Builder) ParamSetPrimary(corr uint32, a netip.Addr) {
	w.paramAsconf(ParamSetPrimary, corr, a)
}

// BeginParamErrorCauseIndication opens an Error Cause Indication parameter
// (RFC 5061 4.2.3); add causes, then End.
func (w *Builder) BeginParamErrorCauseIndication(corr uint32) {
	w.BeginParam(ParamErrorCauseIndication)
	w.U32(corr)
}

// ParamSuccess appends a Success Indication parameter (RFC 5061 4.2.5).
func (w *Builder) ParamSuccess(corr uint32) { w.param32(ParamSuccessIndication, corr) }

// ParamOutSSNReset appends an Outgoing SSN Reset Request (RFC 6525 4.1).
func (w *Builder) ParamOutSSNReset(reqSeq, respSeq, lastTSN uint32, streams []uint16) {
	w.BeginParam(ParamOutSSNResetReq)
	w.U32(reqSeq)
	w.U32(respSeq)
	w.U32(lastTSN)
	for _, s := range streams {
		w.U16(s)
	}
	w.End()
}

// ParamInSSNReset appends an Incoming SSN Reset Request (RFC 6525 4.2).
func (w *Builder) ParamInSSNReset(reqSeq uint32, streams []uint16) {
	w.BeginParam(ParamInSSNResetReq)
	w.U32(reqSeq)
	for _, s := range streams {
		w.U16(s)
	}
	w.End()
}

// ParamSSNTSNReset appends an SSN/TSN Reset Request (RFC 6525 4.3).
func (w *Builder) ParamSSNTSNReset(reqSeq uint32) { w.param32(ParamSSNTSNResetReq, reqSeq) }

// ParamReconfigResp appends a Re-configuration Response (RFC 6525 4.4)
// without the optional TSN fields.
func (w *Builder) ParamReconfigResp(respSeq, result uint32) {
	w.BeginParam(ParamReconfigResp)
	w.U32(respSeq)
	w.U32(result)
	w.End()
}

// ParamReconfigRespTSNs appends a Re-configuration Response with the
// Sender's and Receiver's Next TSN fields.
func (w *Builder) ParamReconfigRespTSNs(respSeq, result, senderNext, receiverNext uint32) {
	w.BeginParam(ParamReconfigResp)
	w.U32(respSeq)
	w.U32(result)
	w.U32(senderNext)
	w.U32(receiverNext)
	w.End()
}

func (w *Builder) paramAddStreams(t ParamType, reqSeq uint32, n uint16) {
	w.BeginParam(t)
	w.U32(reqSeq)
	w.U16(n)
	w.U16(0)
	w.End()
}

// ParamAddOutStreams appends an Add Outgoing Streams Request (RFC 6525 4.5).
func (w *Builder) ParamAddOutStreams(reqSeq uint32, n uint16) {
	w.paramAddStreams(ParamAddOutStreamsReq, reqSeq, n)
}

// ParamAddInStreams appends an Add Incoming Streams Request (RFC 6525 4.6).
func (w *Builder) ParamAddInStreams(reqSeq uint32, n uint16) {
	w.paramAddStreams(ParamAddInStreamsReq, reqSeq, n)
}

// Error causes (RFC 9260 3.3.10 and extensions). Causes that carry a
// parameter or a chunk (5, 6, 8, 11, 0x00A0-0x00A2, 0x00A4) are built with
// BeginCause, the parameter methods or Raw, and End; causes with opaque
// information (12, 13) with Cause.

// CauseInvalidStream appends an Invalid Stream Identifier cause.
func (w *Builder) CauseInvalidStream(sid uint16) {
	w.BeginCause(CauseInvalidStreamID)
	w.U16(sid)
	w.U16(0)
	w.End()
}

// CauseMissingParams appends a Missing Mandatory Parameter cause.
func (w *Builder) CauseMissingParams(types []ParamType) {
	w.BeginCause(CauseMissingMandatoryParam)
	w.U32(uint32(len(types)))
	for _, t := range types {
		w.U16(uint16(t))
	}
	w.End()
}

// CauseU32 appends a cause whose information is one 32-bit field: Stale
// Cookie (staleness in microseconds), No User Data (the TSN).
func (w *Builder) CauseU32(c CauseCode, v uint32) {
	w.BeginCause(c)
	w.U32(v)
	w.End()
}

// CauseEmpty appends a cause without information: Out of Resource, Invalid
// Mandatory Parameter, Cookie Received While Shutting Down, Association
// Aborted Due to Illegal ASCONF-ACK.
func (w *Builder) CauseEmpty(c CauseCode) { w.Cause(c, nil) }

// CauseEncapsPort appends a Restart of an Association with New Encapsulation
// Port cause (RFC 6951).
func (w *Builder) CauseEncapsPort(current, next uint16) {
	w.BeginCause(CauseRestartNewEncapsPort)
	w.U16(current)
	w.U16(next)
	w.End()
}

// CauseUnsupportedHMAC appends an Unsupported HMAC Identifier cause (RFC
// 4895 4.1: length 6, then padding).
func (w *Builder) CauseUnsupportedHMAC(id uint16) {
	w.BeginCause(CauseUnsupportedHMACID)
	w.U16(id)
	w.End()
}

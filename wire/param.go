package wire

import "net/netip"

// ParamHeaderLen is the size of a parameter header: type and length (RFC 9260 3.2.1).
const ParamHeaderLen = 4

// ParamType is an SCTP parameter type.
type ParamType uint16

// Parameter types.
const (
	ParamHeartbeatInfo        ParamType = 1      // RFC 9260 3.3.5
	ParamIPv4                 ParamType = 5      // RFC 9260 3.3.2.1
	ParamIPv6                 ParamType = 6      // RFC 9260 3.3.2.1
	ParamStateCookie          ParamType = 7      // RFC 9260 3.3.3.1
	ParamUnrecognized         ParamType = 8      // RFC 9260 3.3.3.1
	ParamCookiePreservative   ParamType = 9      // RFC 9260 3.3.2.1
	ParamHostName             ParamType = 11     // RFC 9260 3.3.2.1 (deprecated)
	ParamSupportedAddrTypes   ParamType = 12     // RFC 9260 3.3.2.1
	ParamOutSSNResetReq       ParamType = 13     // RFC 6525 4.1
	ParamInSSNResetReq        ParamType = 14     // RFC 6525 4.2
	ParamSSNTSNResetReq       ParamType = 15     // RFC 6525 4.3
	ParamReconfigResp         ParamType = 16     // RFC 6525 4.4
	ParamAddOutStreamsReq     ParamType = 17     // RFC 6525 4.5
	ParamAddInStreamsReq      ParamType = 18     // RFC 6525 4.6
	ParamECNCapable           ParamType = 0x8000 // RFC 9260 Appendix A
	ParamZeroChecksum         ParamType = 0x8001 // RFC 9653 4: Zero Checksum Acceptable
	ParamRandom               ParamType = 0x8002 // RFC 4895 3.1
	ParamChunkList            ParamType = 0x8003 // RFC 4895 3.2
	ParamRequestedHMACAlgo    ParamType = 0x8004 // RFC 4895 3.3
	ParamPadding              ParamType = 0x8005 // RFC 4820 4
	ParamSupportedExtensions  ParamType = 0x8008 // RFC 5061 4.2.7
	ParamForwardTSNSupported  ParamType = 0xC000 // RFC 3758 3.1
	ParamAddIP                ParamType = 0xC001 // RFC 5061 4.2.1
	ParamDeleteIP             ParamType = 0xC002 // RFC 5061 4.2.2
	ParamErrorCauseIndication ParamType = 0xC003 // RFC 5061 4.2.3
	ParamSetPrimary           ParamType = 0xC004 // RFC 5061 4.2.4
	ParamSuccessIndication    ParamType = 0xC005 // RFC 5061 4.2.5
	ParamAdaptationLayer      ParamType = 0xC006 // RFC 5061 4.2.6
)

// Reconfiguration response results (RFC 6525 4.4).
const (
	ReconfigSuccessNothing   uint32 = 0
	ReconfigSuccessPerformed uint32 = 1
	ReconfigDenied           uint32 = 2
	ReconfigErrorWrongSSN    uint32 = 3
	ReconfigErrorInProgress  uint32 = 4
	ReconfigErrorBadSeqNo    uint32 = 5
	ReconfigInProgress       uint32 = 6
)

// Action gives the parameter type's action bits (RFC 9260 3.2.1).
func (t ParamType) Action() Action { return Action(t >> 14) }

// Known reports whether this package knows the parameter type.
func (t ParamType) Known() bool {
	switch t {
	case ParamHeartbeatInfo, ParamIPv4, ParamIPv6, ParamStateCookie, ParamUnrecognized,
		ParamCookiePreservative, ParamHostName, ParamSupportedAddrTypes, ParamOutSSNResetReq,
		ParamInSSNResetReq, ParamSSNTSNResetReq, ParamReconfigResp, ParamAddOutStreamsReq,
		ParamAddInStreamsReq, ParamECNCapable, ParamZeroChecksum, ParamRandom, ParamChunkList,
		ParamRequestedHMACAlgo, ParamPadding, ParamSupportedExtensions, ParamForwardTSNSupported,
		ParamAddIP, ParamDeleteIP, ParamErrorCauseIndication, ParamSetPrimary,
		ParamSuccessIndication, ParamAdaptationLayer:
		return true
	}
	return false
}

// Param is a view of one parameter (type, length, value; no padding). The
// typed accessors are valid on a parameter of their type that passed
// validation (every parameter of a chunk that ParseSCTP accepted).
type Param []byte

// Type is the Parameter Type.
func (p Param) Type() ParamType { return ParamType(be16(p)) }

// Length is the Parameter Length field (no padding).
func (p Param) Length() int { return int(be16(p[2:])) }

// Value is the Parameter Value.
func (p Param) Value() []byte { return p[ParamHeaderLen:] }

// Addr is the address of an IPv4 or IPv6 Address parameter.
func (p Param) Addr() netip.Addr {
	if p.Type() == ParamIPv4 {
		return netip.AddrFrom4([4]byte(p[4:8]))
	}
	return netip.AddrFrom16([16]byte(p[4:20]))
}

// U32 is the value of a parameter holding one 32-bit field: Cookie
// Preservative (suggested increment, ms), Adaptation Layer Indication,
// Zero Checksum Acceptable (the EDMID), Success Indication (correlation ID),
// SSN/TSN Reset Request (request sequence number).
func (p Param) U32() uint32 { return be32(p[4:]) }

// NumU16 is the number of 16-bit entries of a Supported Address Types or
// Requested HMAC Algorithm parameter.
func (p Param) NumU16() int { return (len(p) - 4) / 2 }

// U16 is 16-bit entry i of a Supported Address Types or Requested HMAC
// Algorithm parameter.
func (p Param) U16(i int) uint16 { return be16(p[4+2*i:]) }

// ChunkTypes is the list of a Supported Extensions or Chunk List parameter.
func (p Param) ChunkTypes() []byte { return p[4:] }

// Valid reports whether p's layout is right for its type, so that its
// typed accessors are safe. Parameters of a chunk ParseSCTP accepted are
// valid already; the echoes inside an Unrecognized Parameter(s) parameter
// or cause (Inner, Cause.Params) are framing-checked only: call Valid
// before their typed accessors.
func (p Param) Valid() bool { return len(p) >= 4 && p.validate(0) == nil }

// Inner is the parameter carried by an Unrecognized Parameter parameter:
// framing-checked only (see Valid).
func (p Param) Inner() Param {
	q, _, _ := tlvNext(p[4:])
	return Param(q)
}

// CorrelationID is the ASCONF-Request (or -Response) Correlation ID of an
// Add IP, Delete IP, Set Primary, Error Cause Indication or Success
// Indication parameter (RFC 5061 4.2).
func (p Param) CorrelationID() uint32 { return be32(p[4:]) }

// AddrParam is the address parameter of an Add IP, Delete IP or Set Primary
// parameter.
func (p Param) AddrParam() Param { return Param(p[8:]) }

// Causes iterates over the error causes of an Error Cause Indication.
func (p Param) Causes() CauseIter { return Causes(p[8:]) }

// Reconfiguration parameters (RFC 6525 4).

// ReqSeq is the Re-configuration Request Sequence Number (types 13, 14, 15, 17, 18).
func (p Param) ReqSeq() uint32 { return be32(p[4:]) }

// RespSeq is the Re-configuration Response Sequence Number (types 13, 16).
func (p Param) RespSeq() uint32 {
	if p.Type() == ParamReconfigResp {
		return be32(p[4:])
	}
	return be32(p[8:])
}

// LastTSN is the Sender's Last Assigned TSN of an Outgoing SSN Reset Request.
func (p Param) LastTSN() uint32 { return be32(p[12:]) }

// NumStreams is the number of stream numbers of an Outgoing or Incoming SSN
// Reset Request.
func (p Param) NumStreams() int {
	if p.Type() == ParamOutSSNResetReq {
		return (len(p) - 16) / 2
	}
	return (len(p) - 8) / 2
}

// Stream is stream number i of an Outgoing or Incoming SSN Reset Request.
func (p Param) Stream(i int) uint16 {
	if p.Type() == ParamOutSSNResetReq {
		return be16(p[16+2*i:])
	}
	return be16(p[8+2*i:])
}

// Result is the Result of a Re-configuration Response.
func (p Param) Result() uint32 { return be32(p[8:]) }

// HasTSNs reports whether a Re-configuration Response carries the optional
// Sender's and Receiver's Next TSN fields.
func (p Param) HasTSNs() bool { return len(p) == 20 }

// SenderNextTSN is the Sender's Next TSN of a Re-configuration Response.
func (p Param) SenderNextTSN() uint32 { return be32(p[12:]) }

// ReceiverNextTSN is the Receiver's Next TSN of a Re-configuration Response.
func (p Param) ReceiverNextTSN() uint32 { return be32(p[16:]) }

// NewStreams is the Number of new streams of an Add Outgoing/Incoming Streams Request.
func (p Param) NewStreams() uint16 { return be16(p[8:]) }

// StreamsReserved is the reserved field of an Add Outgoing/Incoming Streams Request.
func (p Param) StreamsReserved() uint16 { return be16(p[10:]) }

func (p Param) validate(depth int) error {
	n := len(p)
	switch p.Type() {
	case ParamIPv4:
		if n != 8 {
			return errParamIPv4Len
		}
	case ParamIPv6:
		if n != 20 {
			return errParamIPv6Len
		}
	case ParamCookiePreservative, ParamZeroChecksum, ParamAdaptationLayer, ParamSuccessIndication,
		ParamSSNTSNResetReq:
		if n != 8 {
			return errParam8Len
		}
	case ParamECNCapable, ParamForwardTSNSupported:
		if n != 4 {
			return errParam4Len
		}
	case ParamSupportedAddrTypes, ParamRequestedHMACAlgo:
		if n%2 != 0 {
			return errParamU16List
		}
	case ParamUnrecognized:
		// The carried parameter is one we sent: check its framing only.
		if n < 8 {
			return errParamUnrecognizedLen
		}
		_, rest, err := tlvNext(p[4:])
		if err != nil {
			return err
		}
		if len(rest) != 0 {
			return errParamUnrecognizedLen
		}
	case ParamOutSSNResetReq:
		if n < 16 || n%2 != 0 {
			return errParamOutResetLen
		}
	case ParamInSSNResetReq:
		if n < 8 || n%2 != 0 {
			return errParamInResetLen
		}
	case ParamReconfigResp:
		if n != 12 && n != 20 {
			return errParamReconfigRespLen
		}
	case ParamAddOutStreamsReq, ParamAddInStreamsReq:
		if n != 12 {
			return errParamAddStreamsLen
		}
	case ParamAddIP, ParamDeleteIP, ParamSetPrimary:
		if n < 8+8 {
			return errParamAsconfAddrLen
		}
		a, rest, err := tlvNext(p[8:])
		if err != nil {
			return err
		}
		if len(rest) != 0 {
			return errParamAsconfAddrLen
		}
		return validateAddrParam(Param(a))
	case ParamErrorCauseIndication:
		if n < 8 {
			return errParamCauseIndLen
		}
		return validateCauses(p[8:], depth+1)
	}
	return nil
}

// validateAddrParam checks that a is an IPv4 or IPv6 Address parameter.
func validateAddrParam(a Param) error {
	switch a.Type() {
	case ParamIPv4, ParamIPv6:
		return a.validate(0)
	}
	return errParamNotAddr
}

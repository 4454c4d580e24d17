package wire

// Error cause codes (RFC 9260 3.3.10 and extensions).
const (
	CauseInvalidStreamID         CauseCode = 1      // RFC 9260 3.3.10.1
	CauseMissingMandatoryParam   CauseCode = 2      // RFC 9260 3.3.10.2
	CauseStaleCookie             CauseCode = 3      // RFC 9260 3.3.10.3
	CauseOutOfResource           CauseCode = 4      // RFC 9260 3.3.10.4
	CauseUnresolvableAddress     CauseCode = 5      // RFC 9260 3.3.10.5
	CauseUnrecognizedChunkType   CauseCode = 6      // RFC 9260 3.3.10.6
	CauseInvalidMandatoryParam   CauseCode = 7      // RFC 9260 3.3.10.7
	CauseUnrecognizedParams      CauseCode = 8      // RFC 9260 3.3.10.8
	CauseNoUserData              CauseCode = 9      // RFC 9260 3.3.10.9
	CauseCookieWhileShuttingDown CauseCode = 10     // RFC 9260 3.3.10.10
	CauseRestartNewAddresses     CauseCode = 11     // RFC 9260 3.3.10.11
	CauseUserInitiatedAbort      CauseCode = 12     // RFC 9260 3.3.10.12
	CauseProtocolViolation       CauseCode = 13     // RFC 9260 3.3.10.13
	CauseRestartNewEncapsPort    CauseCode = 14     // RFC 6951 (UDP encapsulation)
	CauseDeleteLastAddress       CauseCode = 0x00A0 // RFC 5061 5.3 F7
	CauseResourceShortage        CauseCode = 0x00A1 // RFC 5061 5.3
	CauseDeleteSourceAddress     CauseCode = 0x00A2 // RFC 5061 5.3 F8
	CauseIllegalAsconfAck        CauseCode = 0x00A3 // RFC 5061 5.3
	CauseNoAuthorization         CauseCode = 0x00A4 // RFC 5061 5.3
	CauseUnsupportedHMACID       CauseCode = 0x0105 // RFC 4895 4.1
)

// Known reports whether this package knows the cause code.
func (c CauseCode) Known() bool {
	return (c >= 1 && c <= 14) || (c >= 0xA0 && c <= 0xA4) || c == CauseUnsupportedHMACID
}

// Cause is a view of one error cause (code, length, information; no padding).
// The typed accessors are valid on a cause of their code that passed
// validation.
type Cause []byte

// Code is the Cause Code.
func (c Cause) Code() CauseCode { return CauseCode(be16(c)) }

// Length is the Cause Length field (no padding).
func (c Cause) Length() int { return int(be16(c[2:])) }

// Info is the Cause-Specific Information.
func (c Cause) Info() []byte { return c[4:] }

// StreamID is the Stream Identifier of an Invalid Stream Identifier cause.
func (c Cause) StreamID() uint16 { return be16(c[4:]) }

// Reserved16 is the 16-bit reserved field of an Invalid Stream Identifier cause.
func (c Cause) Reserved16() uint16 { return be16(c[6:]) }

// NumMissing is the Number of missing params of a Missing Mandatory
// Parameter cause (equal to the count its length allows, by validation).
func (c Cause) NumMissing() int { return int(be32(c[4:])) }

// Missing is missing parameter type i of a Missing Mandatory Parameter cause.
func (c Cause) Missing(i int) ParamType { return ParamType(be16(c[8+2*i:])) }

// Staleness is the Measure of Staleness (microseconds) of a Stale Cookie cause.
func (c Cause) Staleness() uint32 { return be32(c[4:]) }

// TSN is the TSN of a No User Data cause.
func (c Cause) TSN() uint32 { return be32(c[4:]) }

// Param is the parameter carried by an Unresolvable Address cause or by the
// RFC 5061 causes 0x00A0-0x00A2 and 0x00A4 (the ASCONF parameter concerned).
func (c Cause) Param() Param {
	p, _, _ := tlvNext(c[4:])
	return Param(p)
}

// Params iterates over the parameters of an Unrecognized Parameters or
// Restart of an Association with New Addresses cause. An Unrecognized
// Parameters cause's are echoes of ours, framing-checked only: call
// Param.Valid before their typed accessors.
func (c Cause) Params() ParamIter { return Params(c[4:]) }

// Chunk is the chunk carried by an Unrecognized Chunk Type cause. It may be
// a prefix of the chunk that was sent; its length field is not checked.
func (c Cause) Chunk() []byte { return c[4:] }

// CurrentPort and NewPort are the ports of a Restart of an Association with
// New Encapsulation Port cause (RFC 6951).
func (c Cause) CurrentPort() uint16 { return be16(c[4:]) }

// NewPort: see CurrentPort.
func (c Cause) NewPort() uint16 { return be16(c[6:]) }

// HMACID is the HMAC Identifier of an Unsupported HMAC Identifier cause.
func (c Cause) HMACID() uint16 { return be16(c[4:]) }

func (c Cause) validate(depth int) error {
	n := len(c)
	switch c.Code() {
	case CauseInvalidStreamID, CauseStaleCookie, CauseNoUserData, CauseRestartNewEncapsPort:
		if n != 8 {
			return errCause8Len
		}
	case CauseOutOfResource, CauseInvalidMandatoryParam, CauseCookieWhileShuttingDown,
		CauseIllegalAsconfAck:
		if n != 4 {
			return errCause4Len
		}
	case CauseMissingMandatoryParam:
		if n < 8 || n%2 != 0 || uint64(c.NumMissing()) != uint64(n-8)/2 {
			return errCauseMissingCount
		}
	case CauseUnsupportedHMACID:
		// RFC 4895 4.1: Cause Length 6, then 2 bytes of padding.
		if n != 6 {
			return errCauseHMACLen
		}
	case CauseUnresolvableAddress, CauseDeleteLastAddress, CauseResourceShortage,
		CauseDeleteSourceAddress, CauseNoAuthorization:
		p, rest, err := tlvNext(c[4:])
		if err != nil {
			return err
		}
		if len(rest) != 0 {
			return errCauseOneParam
		}
		return Param(p).validate(depth + 1) // unknown types pass (host name, ...)
	case CauseUnrecognizedParams:
		if n < 8 {
			return errCauseParamsLen
		}
		return validateTLVs(c[4:])
	case CauseRestartNewAddresses:
		return validateParams(c[4:], depth+1)
	case CauseUnrecognizedChunkType:
		if n < 4+ChunkHeaderLen {
			return errCauseChunkLen
		}
	}
	return nil
}

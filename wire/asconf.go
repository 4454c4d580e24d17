package wire

// AsconfChunk is a view of an ASCONF chunk (RFC 5061 4.1.1): a serial
// number, an address parameter, then ASCONF parameters (Add IP, Delete IP,
// Set Primary, and any other).
type AsconfChunk []byte

// Serial is the Sequence Number.
func (c AsconfChunk) Serial() uint32 { return be32(c[4:]) }

// AddrParam is the mandatory Address Parameter (IPv4 or IPv6).
func (c AsconfChunk) AddrParam() Param {
	p, _, _ := tlvNext(c[8:])
	return Param(p)
}

// Params iterates over the ASCONF parameters after the address parameter.
func (c AsconfChunk) Params() ParamIter {
	_, rest, _ := tlvNext(c[8:])
	return Params(rest)
}

func (c AsconfChunk) validate() error {
	if len(c) < 8+8 {
		return errAsconfShort
	}
	a, rest, err := tlvNext(c[8:])
	if err != nil {
		return err
	}
	if err := validateAddrParam(Param(a)); err != nil {
		return err
	}
	return validateParams(rest, 0)
}

// AsconfAckChunk is a view of an ASCONF-ACK chunk (RFC 5061 4.1.2): a serial
// number, then response parameters (Success Indication, Error Cause
// Indication).
type AsconfAckChunk []byte

// Serial is the Sequence Number.
func (c AsconfAckChunk) Serial() uint32 { return be32(c[4:]) }

// Params iterates over the response parameters.
func (c AsconfAckChunk) Params() ParamIter { return Params(c[8:]) }

func (c AsconfAckChunk) validate() error {
	if len(c) < 8 {
		return errAsconfAckShort
	}
	return validateParams(c[8:], 0)
}

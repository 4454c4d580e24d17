package wire

// ReconfigChunk is a view of a RE-CONFIG chunk (RFC 6525 3.1): one or two
// re-configuration parameters.
type ReconfigChunk []byte

// Params iterates over the re-configuration parameters.
func (c ReconfigChunk) Params() ParamIter { return Params(c[4:]) }

func (c ReconfigChunk) validate() error {
	if len(c) < 4+8 {
		return errReconfigShort
	}
	n := 0
	for b := []byte(c[4:]); len(b) > 0; n++ {
		p, rest, err := tlvNext(b)
		if err != nil {
			return err
		}
		switch Param(p).Type() {
		case ParamOutSSNResetReq, ParamInSSNResetReq, ParamSSNTSNResetReq, ParamReconfigResp,
			ParamAddOutStreamsReq, ParamAddInStreamsReq:
		default:
			return errReconfigParam
		}
		if err := Param(p).validate(0); err != nil {
			return err
		}
		b = rest
	}
	// RFC 6525 3.1: one parameter, or two in the combinations of 3.1.
	if n > 2 {
		return errReconfigCount
	}
	return nil
}

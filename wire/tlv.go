package wire

// tlvNext splits the next type-length-value item (a parameter or an error
// cause: same framing, RFC 9260 3.2.1 and 3.3.10) off b. Items are padded to
// 4 bytes; the last item's padding may or may not be counted in the
// enclosing length (RFC 9260 3.2: "a robust implementation is expected to
// accept the chunk whether or not the final padding has been included").
func tlvNext(b []byte) (item, rest []byte, err *Error) {
	if len(b) < 4 {
		return nil, nil, errTLVHeaderShort
	}
	n := int(be16(b[2:]))
	if n < 4 {
		return nil, nil, errTLVLen
	}
	if n > len(b) {
		return nil, nil, errTLVTruncated
	}
	p := (n + 3) &^ 3
	switch {
	case p <= len(b):
		return b[:n:n], b[p:], nil
	case n == len(b):
		return b[:n:n], nil, nil
	}
	return nil, nil, errTLVPadding
}

// ParamIter walks parameters by value without allocating. It checks the
// framing itself, so it is safe on any input; a malformed item ends the walk
// and sets Err.
type ParamIter struct {
	b   []byte
	err error
}

// Params iterates over the parameters in b (a chunk's parameter area).
func Params(b []byte) ParamIter { return ParamIter{b: b} }

// Next returns the next parameter (without its padding).
func (it *ParamIter) Next() (Param, bool) {
	if len(it.b) == 0 || it.err != nil {
		return nil, false
	}
	p, rest, err := tlvNext(it.b)
	if err != nil {
		it.err = err
		return nil, false
	}
	it.b = rest
	return Param(p), true
}

// Err reports why the walk stopped early, or nil.
func (it *ParamIter) Err() error { return it.err }

// CauseIter walks error causes by value without allocating, like ParamIter.
type CauseIter struct {
	b       []byte
	err     error
	skipped int
}

// Causes iterates over the error causes in b (an ABORT's or ERROR's value).
func Causes(b []byte) CauseIter { return CauseIter{b: b} }

// Next returns the next error cause (without its padding). Causes whose
// layout is wrong for their code are skipped and counted (Skipped): an
// ABORT's or ERROR's causes are only framing-checked by ParseSCTP, and every
// cause Next returns is safe for its typed accessors.
func (it *CauseIter) Next() (Cause, bool) {
	for len(it.b) > 0 && it.err == nil {
		c, rest, err := tlvNext(it.b)
		if err != nil {
			it.err = err
			return nil, false
		}
		it.b = rest
		if Cause(c).validate(0) != nil {
			it.skipped++
			continue
		}
		return Cause(c), true
	}
	return nil, false
}

// Skipped is how many malformed causes Next passed over.
func (it *CauseIter) Skipped() int { return it.skipped }

// Err reports why the walk stopped early, or nil.
func (it *CauseIter) Err() error { return it.err }

// maxNest bounds the nesting of parameters and causes inside one another
// (a parameter in a cause in an Error Cause Indication in an ASCONF-ACK is 3).
const maxNest = 4

// validateParams checks the framing and the known parameters' layouts in b.
func validateParams(b []byte, depth int) error {
	if depth > maxNest {
		return errNestTooDeep
	}
	for len(b) > 0 {
		p, rest, err := tlvNext(b)
		if err != nil {
			return err
		}
		if err := Param(p).validate(depth); err != nil {
			return err
		}
		b = rest
	}
	return nil
}

// validateCauses checks the framing and the known causes' layouts in b.
func validateCauses(b []byte, depth int) error {
	if depth > maxNest {
		return errNestTooDeep
	}
	for len(b) > 0 {
		c, rest, err := tlvNext(b)
		if err != nil {
			return err
		}
		if err := Cause(c).validate(depth); err != nil {
			return err
		}
		b = rest
	}
	return nil
}

// validateTLVs checks only the framing (for opaque, unrecognized content).
func validateTLVs(b []byte) error {
	for len(b) > 0 {
		_, rest, err := tlvNext(b)
		if err != nil {
			return err
		}
		b = rest
	}
	return nil
}

package wire

import "errors"

// Kinds of malformation. Every *Error unwraps to one of these, so callers
// test with errors.Is(err, wire.ErrTruncated) and the like.
var (
	// ErrTruncated: fewer bytes are present than a header or a length field claims.
	ErrTruncated = errors.New("truncated")
	// ErrLength: a length field is below the type's minimum, not a multiple it
	// must be, or inconsistent with another length.
	ErrLength = errors.New("bad length")
	// ErrValue: a field holds a value the RFC forbids.
	ErrValue = errors.New("bad value")
	// ErrPadding: padding is missing or longer than the RFC allows.
	ErrPadding = errors.New("bad padding")
	// ErrUnsupported: well-formed, but of a kind this package does not handle
	// (for example an IPv6 extension header chain longer than the walk bound).
	ErrUnsupported = errors.New("unsupported")
)

// CauseCode is an SCTP error cause code (RFC 9260 section 3.3.10).
type CauseCode uint16

// Error is a parse or validation failure. Errors are package-level values
// (never allocated per packet) that name what is wrong, the kind of
// malformation, and the error cause the RFC prescribes in answer, if any.
type Error struct {
	What  string    // what is wrong, for example "SACK: gap blocks exceed chunk length"
	Kind  error     // one of ErrTruncated, ErrLength, ErrValue, ErrPadding, ErrUnsupported
	Cause CauseCode // error cause to send to the peer; 0 when the RFC prescribes silence or none
}

func (e *Error) Error() string { return "wire: " + e.What + ": " + e.Kind.Error() }

// Unwrap returns the kind, for errors.Is.
func (e *Error) Unwrap() error { return e.Kind }

package xdp

import "errors"

var (
	// ErrInvalidOptions: ring sizes not powers of two, bad frame size, and
	// the like.
	ErrInvalidOptions = errors.New("xdp: invalid options")
	// ErrSocketClosed: the socket was closed.
	ErrSocketClosed = errors.New("xdp: socket closed")
	// ErrNotOwned: a frame given back (Free, Refill, Transmit) that the
	// caller does not hold, or an address outside the UMEM. The frame is
	// left alone and counted in Counters.OwnershipErrors.
	ErrNotOwned = errors.New("xdp: frame not held by the caller")
	// ErrBadLength: a TX descriptor of length 0 or reaching past its frame.
	ErrBadLength = errors.New("xdp: TX length 0 or beyond the frame")
	// ErrZeroCopyUnsupported: BindZeroCopy on a driver without zero-copy.
	ErrZeroCopyUnsupported = errors.New("xdp: zero-copy not supported by the driver")
)

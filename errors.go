package sctpxdp

import "errors"

// Errors returned by this package, wrapped with %w where there is more to
// say: test them with errors.Is.
var (
	ErrTimeout          = errors.New("sctp-xdp: timed out")
	ErrRefused          = errors.New("sctp-xdp: association refused or aborted by the peer")
	ErrAddrInUse        = errors.New("sctp-xdp: address in use")
	ErrInvalid          = errors.New("sctp-xdp: invalid argument")
	ErrPermission       = errors.New("sctp-xdp: permission denied")
	ErrProtoUnsupported = errors.New("sctp-xdp: protocol not supported")
	ErrNotSupported     = errors.New("sctp-xdp: not supported yet")
	ErrClosed           = errors.New("sctp-xdp: closed")
	ErrAborted          = errors.New("sctp-xdp: association aborted")
)

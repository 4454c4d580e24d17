package bpf

import "errors"

var (
	// ErrAlreadyAttached: the interface already has an XDP program (ours,
	// another process's, or attached by ip link); it is never replaced.
	ErrAlreadyAttached = errors.New("bpf: an XDP program is already attached to the interface")
	// ErrNotAttached: the call needs an attached program.
	ErrNotAttached = errors.New("bpf: program not attached")
	// ErrClosed: the program was closed.
	ErrClosed = errors.New("bpf: program closed")
	// ErrEndpointExists: AddEndpoint of an endpoint already registered.
	ErrEndpointExists = errors.New("bpf: endpoint already registered")
	// ErrNoEndpoint: RemoveEndpoint of an endpoint not registered.
	ErrNoEndpoint = errors.New("bpf: endpoint not registered")
	// ErrInvalidEndpoint: an address that is neither IPv4 nor IPv6, or port 0.
	ErrInvalidEndpoint = errors.New("bpf: invalid endpoint")
	// ErrInvalidQueue: a queue index outside [0, MaxQueues).
	ErrInvalidQueue = errors.New("bpf: invalid queue")
)

package bpf

import (
	"errors"
	"fmt"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

// MaxQueues is the size of the XSKMAP: queues 0 to MaxQueues-1 can have a
// socket.
const MaxQueues = 256

// MaxEndpoints bounds the endpoint and address maps.
const MaxEndpoints = 4096

// LoadOptions configure Load. The zero value is valid.
type LoadOptions struct {
	// LogVerifier includes the verifier's log in a load error.
	LogVerifier bool
}

// Program is the loaded XDP program with its maps, attached to at most one
// interface. Its methods are safe for concurrent use; none is meant for a
// hot path.
type Program struct {
	mu        sync.Mutex
	objs      xdpSteerObjects
	link      link.Link
	ifindex   int
	mode      Mode
	nativeErr error
	closed    bool
	// addrRefs counts the endpoints bound to each address, to keep the
	// addrs map (used for fragments) in step with the endpoints map.
	addrRefs map[xdpSteerAddrKey]int
}

// Load loads the program and its maps into the kernel. Nothing is attached
// yet. Maps are not tied to a network namespace, so Load needs none.
func Load(opts *LoadOptions) (*Program, error) {
	if opts == nil {
		opts = &LoadOptions{}
	}
	p := &Program{addrRefs: make(map[xdpSteerAddrKey]int)}
	var co ebpf.CollectionOptions
	if opts.LogVerifier {
		co.Programs.LogLevel = ebpf.LogLevelInstruction
	}
	if err := loadXdpSteerObjects(&p.objs, &co); err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) && opts.LogVerifier {
			return nil, fmt.Errorf("bpf: load xdp_steer: %+v", ve)
		}
		return nil, fmt.Errorf("bpf: load xdp_steer: %w", err)
	}
	return p, nil
}

// whileOpen runs fn under p's lock, or returns ErrClosed once p is closed:
// every change to the program's maps or link goes through it.
func (p *Program) whileOpen(fn func() error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	return fn()
}

// Close detaches the program (if attached) and releases it and its maps.
// Sockets registered stay open: they belong to the caller.
func (p *Program) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	var errs []error
	if p.link != nil {
		if err := p.link.Close(); err != nil {
			errs = append(errs, fmt.Errorf("bpf: detach: %w", err))
		}
		p.link = nil
	}
	if err := p.objs.Close(); err != nil {
		errs = append(errs, fmt.Errorf("bpf: close objects: %w", err))
	}
	return errors.Join(errs...)
}

// XDPProgram is the loaded program, for tests (BPF_PROG_TEST_RUN) and for
// callers attaching it themselves.
func (p *Program) XDPProgram() *ebpf.Program { return p.objs.XdpSteer }

// RegisterSocket makes fd (an AF_XDP socket bound to queue) the receiver
// of what the program steers on that queue.
func (p *Program) RegisterSocket(queue, fd int) error {
	if queue < 0 || queue >= MaxQueues {
		return fmt.Errorf("%w: %d", ErrInvalidQueue, queue)
	}
	return p.whileOpen(func() error {
		if err := p.objs.Xsks.Update(uint32(queue), uint32(fd), ebpf.UpdateAny); err != nil {
			return fmt.Errorf("bpf: register socket %d on queue %d: %w", fd, queue, err)
		}
		return nil
	})
}

// UnregisterSocket removes the socket of queue: its traffic passes to the
// kernel again.
func (p *Program) UnregisterSocket(queue int) error {
	if queue < 0 || queue >= MaxQueues {
		return fmt.Errorf("%w: %d", ErrInvalidQueue, queue)
	}
	return p.whileOpen(func() error {
		if err := p.objs.Xsks.Delete(uint32(queue)); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return fmt.Errorf("bpf: unregister queue %d: %w", queue, err)
		}
		return nil
	})
}

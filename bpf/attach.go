package bpf

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// Mode is how the program runs on the interface.
type Mode int

const (
	// ModeAuto tries native (driver) mode and falls back to generic mode
	// only when the driver refuses native XDP; Program.Mode says which.
	ModeAuto Mode = iota
	// ModeNative is driver mode only.
	ModeNative
	// ModeGeneric is generic (SKB) mode: slower, works on every interface.
	ModeGeneric
)

func (m Mode) String() string {
	switch m {
	case ModeAuto:
		return "auto"
	case ModeNative:
		return "native"
	case ModeGeneric:
		return "generic"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// AttachOptions configure Attach.
type AttachOptions struct {
	// Ifindex is the interface, as numbered inside NetNS.
	Ifindex int
	// NetNS is the network namespace of the interface (see InNetNS); empty
	// is the caller's.
	NetNS string
	// Mode defaults to ModeAuto.
	Mode Mode
}

// Attach attaches the program to an interface through a bpf_link, which the
// kernel removes when the process dies. It refuses with ErrAlreadyAttached
// when the interface has an XDP program in any mode (the kernel never lets a
// link replace or stack on one), and when p is already attached.
//
// In ModeAuto, if the driver refuses native mode for a reason other than an
// existing program, generic mode is used; Mode reports the outcome and
// NativeRefused the driver's error.
func (p *Program) Attach(opts AttachOptions) error {
	if opts.Ifindex <= 0 {
		return fmt.Errorf("bpf: attach: invalid ifindex %d", opts.Ifindex)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	if p.link != nil {
		return fmt.Errorf("%w: this program is on ifindex %d", ErrAlreadyAttached, p.ifindex)
	}
	var (
		l    link.Link
		mode Mode
	)
	err := InNetNS(opts.NetNS, func() error {
		var err error
		switch opts.Mode {
		case ModeNative, ModeGeneric:
			mode = opts.Mode
			l, err = p.attach(opts.Ifindex, mode)
		case ModeAuto:
			mode = ModeNative
			l, err = p.attach(opts.Ifindex, mode)
			if err != nil && !errors.Is(err, ErrAlreadyAttached) && !errors.Is(err, unix.ENODEV) {
				p.nativeErr = err
				mode = ModeGeneric
				l, err = p.attach(opts.Ifindex, mode)
			}
		default:
			err = fmt.Errorf("bpf: attach: unknown mode %v", opts.Mode)
		}
		return err
	})
	if err != nil {
		return err
	}
	p.link, p.ifindex, p.mode = l, opts.Ifindex, mode
	return nil
}

func (p *Program) attach(ifindex int, mode Mode) (link.Link, error) {
	flags := link.XDPDriverMode
	if mode == ModeGeneric {
		flags = link.XDPGenericMode
	}
	l, err := link.AttachXDP(link.XDPOptions{
		Program:   p.objs.XdpSteer,
		Interface: ifindex,
		Flags:     flags,
	})
	switch {
	case err == nil:
		return l, nil
	case errors.Is(err, unix.EBUSY), errors.Is(err, unix.EEXIST):
		// EBUSY: a program or link in this mode; EEXIST: one in the other
		// mode (the kernel keeps native and generic exclusive).
		return nil, fmt.Errorf("%w: ifindex %d (see `ip link show`): %v", ErrAlreadyAttached, ifindex, err)
	default:
		return nil, fmt.Errorf("bpf: attach %s XDP to ifindex %d: %w", mode, ifindex, err)
	}
}

// Mode is how the attached program runs: ModeNative or ModeGeneric (never
// ModeAuto once attached).
func (p *Program) Mode() Mode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

// NativeRefused is the driver's refusal of native mode when ModeAuto fell
// back to generic mode, else nil.
func (p *Program) NativeRefused() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.nativeErr
}

// Ifindex is the interface the program is attached to, or 0.
func (p *Program) Ifindex() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ifindex
}

// Detach removes the program from its interface; it stays loaded and can
// be attached again.
func (p *Program) Detach() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.link == nil {
		return ErrNotAttached
	}
	err := p.link.Close()
	p.link, p.ifindex, p.mode, p.nativeErr = nil, 0, ModeAuto, nil
	if err != nil {
		return fmt.Errorf("bpf: detach: %w", err)
	}
	return nil
}

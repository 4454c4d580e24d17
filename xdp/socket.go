package xdp

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/sctp-xdp/sctp-xdp/bpf"
	"golang.org/x/sys/unix"
)

// BindMode chooses between zero-copy and copy mode.
type BindMode int

const (
	// BindAuto tries zero-copy and falls back to copy mode (veth, most
	// virtual devices); Socket.ZeroCopy tells which one was bound.
	BindAuto BindMode = iota
	// BindZeroCopy fails with ErrZeroCopyUnsupported rather than copy.
	BindZeroCopy
	// BindCopy is copy mode only.
	BindCopy
)

// Options configure a socket. Zero fields take the defaults.
type Options struct {
	Ifindex int // interface, as numbered inside NetNS
	Queue   int // receive/transmit queue of the interface
	// NetNS is the network namespace of the interface (an `ip netns` name
	// or a path; see bpf.InNetNS). The socket is created there; afterwards
	// it is used from any thread.
	NetNS string

	Frames    int // UMEM frames; default 4096
	FrameSize int // bytes, a power of two >= 2048; default 2048

	// Ring sizes in entries, powers of two; default 2048 each.
	FillSize, CompletionSize, RXSize, TXSize int

	Bind BindMode
}

func (o *Options) setDefaults() error {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.Frames, 4096)
	def(&o.FrameSize, 2048)
	def(&o.FillSize, 2048)
	def(&o.CompletionSize, 2048)
	def(&o.RXSize, 2048)
	def(&o.TXSize, 2048)
	for _, n := range []int{o.FillSize, o.CompletionSize, o.RXSize, o.TXSize} {
		if !isPowerOfTwo(n) || n > 1<<20 {
			return fmt.Errorf("%w: ring size %d is not a power of two up to 2^20", ErrInvalidOptions, n)
		}
	}
	if o.Ifindex <= 0 || o.Queue < 0 {
		return fmt.Errorf("%w: ifindex %d queue %d", ErrInvalidOptions, o.Ifindex, o.Queue)
	}
	return nil
}

// Socket is one AF_XDP socket with its own UMEM, bound to one queue.
//
// A Socket belongs to one goroutine (its poller): Receive, Refill, Fill,
// Alloc, Free, Transmit, Complete and Kick are not safe for concurrent use
// and allocate nothing; nor are Counters and FrameCounts (the poller
// publishes copies). Statistics may be read from any goroutine.
type Socket struct {
	fd       int
	ifindex  int
	queue    int
	zeroCopy bool
	closed   bool

	umem *umem
	fill addrRing
	comp addrRing
	rx   descRing
	tx   descRing

	pfd [1]unix.PollFd
	ts  unix.Timespec

	ctr counters
}

// NewSocket creates the socket and its UMEM, maps the four rings and binds
// to (Ifindex, Queue) with XDP_USE_NEED_WAKEUP, zero-copy first unless
// opts.Bind says otherwise. Steering traffic to it is the XDP program's
// job: register FD() with bpf.Program.RegisterSocket.
func NewSocket(opts Options) (*Socket, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	s := &Socket{fd: -1, ifindex: opts.Ifindex, queue: opts.Queue}
	err := bpf.InNetNS(opts.NetNS, func() error {
		fd, err := unix.Socket(unix.AF_XDP, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("xdp: socket(AF_XDP): %w", err)
		}
		s.fd = fd
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.setup(&opts); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Socket) setup(o *Options) error {
	u, err := newUMEM(o.Frames, o.FrameSize)
	if err != nil {
		return err
	}
	s.umem = u
	reg := unix.XDPUmemReg{
		Addr: uint64(uintptr(unsafe.Pointer(&u.mem[0]))),
		Len:  uint64(len(u.mem)),
		Size: uint32(o.FrameSize),
	}
	if err := setsockopt(s.fd, unix.XDP_UMEM_REG, unsafe.Pointer(&reg), unsafe.Sizeof(reg)); err != nil {
		return fmt.Errorf("xdp: XDP_UMEM_REG: %w", err)
	}
	for _, r := range []struct {
		opt int
		n   int
	}{
		{unix.XDP_UMEM_FILL_RING, o.FillSize},
		{unix.XDP_UMEM_COMPLETION_RING, o.CompletionSize},
		{unix.XDP_RX_RING, o.RXSize},
		{unix.XDP_TX_RING, o.TXSize},
	} {
		if err := unix.SetsockoptInt(s.fd, unix.SOL_XDP, r.opt, r.n); err != nil {
			return fmt.Errorf("xdp: ring size option %d: %w", r.opt, err)
		}
	}
	var off unix.XDPMmapOffsets
	size := uint32(unsafe.Sizeof(off))
	if _, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(s.fd), unix.SOL_XDP, unix.XDP_MMAP_OFFSETS,
		uintptr(unsafe.Pointer(&off)), uintptr(unsafe.Pointer(&size)), 0); e != 0 {
		return fmt.Errorf("xdp: XDP_MMAP_OFFSETS: %w", e)
	}
	var p unsafe.Pointer
	if s.fill.ring, p, err = mapRing(s.fd, unix.XDP_UMEM_PGOFF_FILL_RING, off.Fr, uint32(o.FillSize), 8); err != nil {
		return err
	}
	s.fill.descs = unsafe.Slice((*uint64)(p), o.FillSize)
	if s.comp.ring, p, err = mapRing(s.fd, unix.XDP_UMEM_PGOFF_COMPLETION_RING, off.Cr, uint32(o.CompletionSize), 8); err != nil {
		return err
	}
	s.comp.descs = unsafe.Slice((*uint64)(p), o.CompletionSize)
	if s.rx.ring, p, err = mapRing(s.fd, unix.XDP_PGOFF_RX_RING, off.Rx, uint32(o.RXSize), unsafe.Sizeof(unix.XDPDesc{})); err != nil {
		return err
	}
	s.rx.descs = unsafe.Slice((*unix.XDPDesc)(p), o.RXSize)
	if s.tx.ring, p, err = mapRing(s.fd, unix.XDP_PGOFF_TX_RING, off.Tx, uint32(o.TXSize), unsafe.Sizeof(unix.XDPDesc{})); err != nil {
		return err
	}
	s.tx.descs = unsafe.Slice((*unix.XDPDesc)(p), o.TXSize)
	s.pfd[0].Fd = int32(s.fd)
	return s.bind(o)
}

func (s *Socket) bind(o *Options) error {
	sa := &unix.SockaddrXDP{Ifindex: uint32(o.Ifindex), QueueID: uint32(o.Queue)}
	if o.Bind != BindCopy {
		sa.Flags = unix.XDP_USE_NEED_WAKEUP | unix.XDP_ZEROCOPY
		err := unix.Bind(s.fd, sa)
		if err == nil {
			s.zeroCopy = true
			return nil
		}
		if o.Bind == BindZeroCopy || !errors.Is(err, unix.EOPNOTSUPP) && !errors.Is(err, unix.EPROTONOSUPPORT) && !errors.Is(err, unix.EINVAL) {
			if errors.Is(err, unix.EOPNOTSUPP) {
				err = fmt.Errorf("%w: %v", ErrZeroCopyUnsupported, err)
			}
			return fmt.Errorf("xdp: bind ifindex %d queue %d zero-copy: %w", o.Ifindex, o.Queue, err)
		}
	}
	sa.Flags = unix.XDP_USE_NEED_WAKEUP | unix.XDP_COPY
	if err := unix.Bind(s.fd, sa); err != nil {
		return fmt.Errorf("xdp: bind ifindex %d queue %d copy mode: %w", o.Ifindex, o.Queue, err)
	}
	// Copy mode sends at most 32 frames per sendto by default; kernels
	// since 6.16 let us raise that to a batch of ours (older ones refuse
	// the option, which costs only extra kicks).
	_ = unix.SetsockoptInt(s.fd, unix.SOL_XDP, unix.XDP_MAX_TX_SKB_BUDGET, min(o.TXSize, maxTXBudget))
	return nil
}

// maxTXBudget is the copy-mode TX batch we ask for (XDP_MAX_TX_SKB_BUDGET).
const maxTXBudget = 256

func setsockopt(fd, opt int, p unsafe.Pointer, n uintptr) error {
	if _, _, e := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(fd), unix.SOL_XDP, uintptr(opt), uintptr(p), n, 0); e != 0 {
		return e
	}
	return nil
}

// FD is the socket's descriptor, for bpf.Program.RegisterSocket and poll.
func (s *Socket) FD() int { return s.fd }

// Queue is the queue the socket is bound to.
func (s *Socket) Queue() int { return s.queue }

// Ifindex is the interface the socket is bound to.
func (s *Socket) Ifindex() int { return s.ifindex }

// ZeroCopy reports whether the socket was bound in zero-copy mode.
func (s *Socket) ZeroCopy() bool { return s.zeroCopy }

// FrameSize is the size of each UMEM frame.
func (s *Socket) FrameSize() int { return int(s.umem.frameSize) }

// Close closes the socket and unmaps its rings and UMEM. Frames held by the
// caller become invalid. Unregister the socket from the XDP program first.
func (s *Socket) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.fd >= 0 {
		if err := unix.Close(s.fd); err != nil {
			errs = append(errs, err)
		}
		s.fd = -1
	}
	for _, r := range []*ring{&s.fill.ring, &s.comp.ring, &s.rx.ring, &s.tx.ring} {
		if err := r.unmap(); err != nil {
			errs = append(errs, err)
		}
	}
	s.fill.descs, s.comp.descs, s.rx.descs, s.tx.descs = nil, nil, nil, nil
	if s.umem != nil {
		if err := s.umem.close(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("xdp: close: %w", err)
	}
	return nil
}

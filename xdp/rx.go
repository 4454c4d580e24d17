package xdp

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Desc is a frame in the UMEM: Addr is the offset of its first byte (the
// frame's base plus any headroom), Len its length.
type Desc struct {
	Addr uint64
	Len  uint32
}

// Data is the frame d as a slice of the UMEM, or nil if d does not lie
// within one frame. The slice is valid while the caller holds the frame.
func (s *Socket) Data(d Desc) []byte {
	if s.closed {
		return nil
	}
	u := s.umem
	base := d.Addr &^ (u.frameSize - 1)
	end := d.Addr + uint64(d.Len)
	if base >= uint64(len(u.mem)) || end > base+u.frameSize || end < d.Addr {
		return nil
	}
	return u.mem[d.Addr:end:end]
}

// Fill gives up to n free frames to the kernel to receive into and returns
// how many it gave (limited by free frames and fill-ring space).
func (s *Socket) Fill(n int) int {
	if s.closed || n <= 0 {
		return 0
	}
	free := int(s.fill.prodFree(uint32(n)))
	if n > free {
		n = free
	}
	u := s.umem
	i := 0
	for ; i < n; i++ {
		addr, ok := u.pop(frameFill)
		if !ok {
			break
		}
		s.fill.descs[s.fill.prod&s.fill.mask] = addr
		s.fill.prod++
	}
	if i > 0 {
		s.fill.publish()
	}
	return i
}

// Receive moves up to len(descs) received frames from the RX ring into
// descs and returns how many. The frames are then the caller's until it
// gives them back with Refill (to receive into again), Free, or Transmit.
//
// When nothing arrived and the kernel asked for a wake-up of the fill ring
// (XDP_RING_NEED_WAKEUP), Receive wakes it with a non-blocking recvfrom.
func (s *Socket) Receive(descs []Desc) int {
	if s.closed || len(descs) == 0 {
		return 0
	}
	n := s.rx.consAvail()
	if n == 0 {
		if s.fill.needWakeup() {
			s.wakeRX()
		}
		return 0
	}
	if n > uint32(len(descs)) {
		n = uint32(len(descs))
	}
	u := s.umem
	ring, mask, cons := s.rx.descs, s.rx.mask, s.rx.cons
	descs = descs[:n]
	got := 0
	for i := range descs {
		d := ring[(cons+uint32(i))&mask]
		// Only frames we put in the fill ring can come back here; anything
		// else is the kernel's bug or memory corruption: skip it, count it.
		if !u.flip(d.Addr, frameFill, frameHeld) {
			s.ctr.ownershipErrors++
			continue
		}
		descs[got] = Desc{Addr: d.Addr, Len: d.Len}
		got++
	}
	s.rx.cons = cons + n
	u.recount(frameFill, frameHeld, got)
	s.rx.release()
	s.ctr.rxFrames += uint64(got)
	return got
}

// Refill gives received (or allocated) frames back to the kernel to
// receive into; frames that do not fit in the fill ring go to the
// allocator. It returns ErrNotOwned, after handling the others, if some
// frame was not held by the caller.
func (s *Socket) Refill(descs []Desc) error {
	if s.closed {
		return ErrSocketClosed
	}
	free := s.fill.prodFree(uint32(len(descs)))
	u := s.umem
	ring, mask, prod := s.fill.descs, s.fill.mask, s.fill.prod
	var err error
	filled := 0
	for _, d := range descs {
		if free > 0 && u.flip(d.Addr, frameHeld, frameFill) {
			ring[prod&mask] = d.Addr &^ (u.frameSize - 1)
			prod++
			free--
			filled++
			continue
		}
		if !u.push(d.Addr, frameHeld) {
			s.ctr.ownershipErrors++
			err = ErrNotOwned
		}
	}
	u.recount(frameHeld, frameFill, filled)
	s.fill.prod = prod
	s.fill.publish()
	return err
}

// wakeRX asks the kernel to look at the fill ring again (copy mode and
// drivers that set need-wakeup when the fill ring ran dry).
func (s *Socket) wakeRX() {
	s.ctr.rxWakeups++
	_, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(s.fd), 0, 0, unix.MSG_DONTWAIT, 0, 0)
	if e != 0 && e != unix.EAGAIN && e != unix.EINTR {
		s.ctr.countErrno(e)
	}
}

// Poll blocks up to timeoutMS milliseconds (negative: no limit) until
// frames are received, and reports whether some are. In copy mode it also
// pushes pending TX frames, as sendto does. EINTR counts as nothing ready.
func (s *Socket) Poll(timeoutMS int) (bool, error) {
	if s.closed {
		return false, ErrSocketClosed
	}
	s.pfd[0].Events = unix.POLLIN
	s.pfd[0].Revents = 0
	var ts uintptr
	if timeoutMS >= 0 {
		s.ts = unix.NsecToTimespec(int64(timeoutMS) * 1e6)
		ts = uintptr(unsafe.Pointer(&s.ts))
	}
	n, _, e := unix.Syscall6(unix.SYS_PPOLL, uintptr(unsafe.Pointer(&s.pfd[0])), 1, ts, 0, 0, 0)
	if e != 0 {
		if e == unix.EINTR {
			return false, nil
		}
		return false, e
	}
	return n > 0 && s.pfd[0].Revents&unix.POLLIN != 0, nil
}

package xdp

import (
	"time"

	"golang.org/x/sys/unix"
)

// Alloc takes a free frame for the caller to write a packet into; the
// returned Desc covers the whole frame (shorten Len before Transmit).
// ok is false when every frame is in use.
func (s *Socket) Alloc() (d Desc, ok bool) {
	if s.closed {
		return Desc{}, false
	}
	addr, ok := s.umem.pop(frameHeld)
	if !ok {
		return Desc{}, false
	}
	return Desc{Addr: addr, Len: uint32(s.umem.frameSize)}, true
}

// Free gives held frames back to the allocator. It returns ErrNotOwned,
// after freeing the others, if some frame was not held by the caller.
func (s *Socket) Free(descs []Desc) error {
	if s.closed {
		return ErrSocketClosed
	}
	var err error
	for _, d := range descs {
		if !s.umem.push(d.Addr, frameHeld) {
			s.ctr.ownershipErrors++
			err = ErrNotOwned
		}
	}
	return err
}

// Transmit puts held frames on the TX ring, in order, and kicks the kernel
// when it asks for it (need-wakeup; always in copy mode). It returns how
// many it took: descs[n:] stay the caller's (ring full; descs[n] not held,
// ErrNotOwned; or its length 0 or past its frame, ErrBadLength). The taken frames are in flight
// until Complete returns them to the allocator.
//
// ENETDOWN, ENOBUFS, EAGAIN and EBUSY from the kick are counted, not
// returned: the frames stay on the ring and the next kick sends them.
func (s *Socket) Transmit(descs []Desc) (n int, err error) {
	if s.closed {
		return 0, ErrSocketClosed
	}
	free := int(s.tx.prodFree(uint32(len(descs))))
	u := s.umem
	for _, d := range descs {
		if n == free {
			s.ctr.txRingFull++
			break
		}
		if d.Len == 0 || uint64(d.Len) > u.frameSize-(d.Addr&(u.frameSize-1)) {
			// The kernel skips an empty descriptor without completing it:
			// the frame would be in flight forever.
			err = ErrBadLength
			break
		}
		if !u.move(d.Addr&^(u.frameSize-1), frameHeld, frameTX) {
			s.ctr.ownershipErrors++
			err = ErrNotOwned
			break
		}
		s.tx.descs[s.tx.prod&s.tx.mask] = unix.XDPDesc{Addr: d.Addr, Len: d.Len}
		s.tx.prod++
		n++
	}
	if n > 0 {
		s.tx.publish()
		s.ctr.txFrames += uint64(n)
	}
	if kerr := s.Kick(); kerr != nil && err == nil {
		err = kerr
	}
	return n, err
}

// maxKicks bounds the sendto calls of one Kick: copy mode sends a bounded
// batch per call and says EAGAIN while frames remain.
const maxKicks = 64

// Kick makes the kernel send what is on the TX ring, if it asked to be
// woken up. Counted conditions (ENETDOWN, ENOBUFS, EAGAIN, EBUSY) return
// nil; other errors are returned.
func (s *Socket) Kick() error {
	if s.closed {
		return ErrSocketClosed
	}
	for i := 0; i < maxKicks; i++ {
		if s.tx.pending() == 0 || !s.tx.needWakeup() {
			return nil
		}
		s.ctr.txKicks++
		_, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(s.fd), 0, 0, unix.MSG_DONTWAIT, 0, 0)
		switch e {
		case 0:
		case unix.EAGAIN, unix.EINTR:
			// A batch went (or the completion ring is full): reap and go on.
			s.ctr.countErrno(e)
			s.Complete()
		case unix.ENETDOWN, unix.ENOBUFS, unix.EBUSY, unix.ENXIO:
			s.ctr.countErrno(e)
			return nil
		default:
			s.ctr.countErrno(e)
			return e
		}
	}
	return nil
}

// Complete moves the frames the kernel has finished sending from the
// completion ring back to the allocator and returns how many.
func (s *Socket) Complete() int {
	if s.closed {
		return 0
	}
	n := s.comp.consAvail()
	if n == 0 {
		return 0
	}
	u := s.umem
	for i := uint32(0); i < n; i++ {
		addr := s.comp.descs[s.comp.cons&s.comp.mask]
		s.comp.cons++
		if !u.push(addr, frameTX) {
			s.ctr.ownershipErrors++
		}
	}
	s.comp.release()
	s.ctr.completed += uint64(n)
	return int(n)
}

// FlushTX kicks and reaps until every transmitted frame has come back on
// the completion ring (sent), or timeout passes; it reports whether all
// came back. For a socket about to close: a kick can leave frames on the
// ring (EBUSY, ENOBUFS, or a veth whose peer's ring is full stops the
// queue), which a running poller's next kick would send, but nothing kicks
// a closed socket: an association's last SHUTDOWN COMPLETE or ABORT would
// never leave.
func (s *Socket) FlushTX(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for !s.closed && s.umem.counts[frameTX] > 0 {
		if time.Now().After(deadline) {
			return false
		}
		if err := s.Kick(); err != nil {
			return false
		}
		if s.Complete() == 0 {
			time.Sleep(50 * time.Microsecond)
		}
	}
	return !s.closed
}

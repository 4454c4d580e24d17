package xdp

import (
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// counters are plain fields: only the socket's goroutine touches them, and
// an atomic read-modify-write per batch would cost more than the ring work
// (asavie/xdp pays none either).
type counters struct {
	rxFrames, txFrames, completed            uint64
	rxWakeups, txKicks, txRingFull           uint64
	eagain, ebusy, enobufs, enetdown, eother uint64
	ownershipErrors                          uint64
}

func (c *counters) countErrno(e syscall.Errno) {
	switch e {
	case unix.EAGAIN, unix.EINTR:
		c.eagain++
	case unix.EBUSY:
		c.ebusy++
	case unix.ENOBUFS:
		c.enobufs++
	case unix.ENETDOWN, unix.ENXIO:
		c.enetdown++
	default:
		c.eother++
	}
}

// Counters are the socket's own counts, since it was created.
type Counters struct {
	RXFrames  uint64 // frames returned by Receive
	TXFrames  uint64 // frames put on the TX ring
	Completed uint64 // frames returned by the completion ring

	RXWakeups  uint64 // recvfrom calls made because the fill ring needed a wake-up
	TXKicks    uint64 // sendto calls made because the TX ring needed a wake-up
	TXRingFull uint64 // Transmit calls that found the TX ring full

	// Errors of wake-ups and kicks, all recoverable: the ring keeps the
	// frames and the next kick retries. ENXIO counts as ENETDOWN.
	EAGAIN, EBUSY, ENOBUFS, ENETDOWN, OtherErrno uint64

	// OwnershipErrors counts frames given back that the caller did not
	// hold, and descriptors from the kernel naming frames it did not have.
	OwnershipErrors uint64
}

// Counters reads the socket's counters. Like the ring methods, call it from
// the socket's goroutine (a poller publishes copies for metrics).
func (s *Socket) Counters() Counters {
	c := &s.ctr
	return Counters{
		RXFrames: c.rxFrames, TXFrames: c.txFrames, Completed: c.completed,
		RXWakeups: c.rxWakeups, TXKicks: c.txKicks, TXRingFull: c.txRingFull,
		EAGAIN: c.eagain, EBUSY: c.ebusy, ENOBUFS: c.enobufs,
		ENETDOWN: c.enetdown, OtherErrno: c.eother,
		OwnershipErrors: c.ownershipErrors,
	}
}

// FrameCounts tells where the UMEM's frames are. Call it from the socket's
// goroutine.
func (s *Socket) FrameCounts() FrameCounts {
	if s.umem == nil {
		return FrameCounts{}
	}
	return s.umem.frameCounts()
}

// Statistics are the kernel's counters for the socket (XDP_STATISTICS).
type Statistics struct {
	RXDropped            uint64 // dropped for reasons other than invalid descriptors
	RXInvalidDescs       uint64
	TXInvalidDescs       uint64
	RXRingFull           uint64 // dropped because the RX ring was full
	RXFillRingEmptyDescs uint64 // times the fill ring was empty when a frame came
	TXRingEmptyDescs     uint64
}

// Statistics reads XDP_STATISTICS; safe from any goroutine before Close.
func (s *Socket) Statistics() (Statistics, error) {
	var st unix.XDPStatistics
	size := uint32(unsafe.Sizeof(st))
	if _, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(s.fd), unix.SOL_XDP, unix.XDP_STATISTICS,
		uintptr(unsafe.Pointer(&st)), uintptr(unsafe.Pointer(&size)), 0); e != 0 {
		return Statistics{}, fmt.Errorf("xdp: XDP_STATISTICS: %w", e)
	}
	return Statistics{
		RXDropped: st.Rx_dropped, RXInvalidDescs: st.Rx_invalid_descs, TXInvalidDescs: st.Tx_invalid_descs,
		RXRingFull: st.Rx_ring_full, RXFillRingEmptyDescs: st.Rx_fill_ring_empty_descs,
		TXRingEmptyDescs: st.Tx_ring_empty_descs,
	}, nil
}

package xdp

import (
	"fmt"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ring is the part every AF_XDP ring shares: producer and consumer indexes
// and flags in memory mapped from the socket. The side that owns an index
// keeps it in a plain field and publishes it with an atomic store; the other
// side's index is read with an atomic load only when the cached copy runs
// out, so a batch costs one load and one store.
type ring struct {
	mem      []byte
	producer *atomic.Uint32
	consumer *atomic.Uint32
	flags    *atomic.Uint32
	size     uint32 // a power of two
	mask     uint32
	prod     uint32 // cached producer (ours when we produce)
	cons     uint32 // cached consumer (ours when we consume)
}

// mapRing maps one ring of n entries of elemSize bytes at page offset pgoff.
func mapRing(fd int, pgoff int64, off unix.XDPRingOffset, n uint32, elemSize uintptr) (ring, unsafe.Pointer, error) {
	length := int(off.Desc) + int(n)*int(elemSize)
	mem, err := unix.Mmap(fd, pgoff, length, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return ring{}, nil, fmt.Errorf("mmap ring at %#x: %w", pgoff, err)
	}
	base := unsafe.Pointer(&mem[0])
	r := ring{
		mem:      mem,
		producer: (*atomic.Uint32)(unsafe.Add(base, off.Producer)),
		consumer: (*atomic.Uint32)(unsafe.Add(base, off.Consumer)),
		flags:    (*atomic.Uint32)(unsafe.Add(base, off.Flags)),
		size:     n,
		mask:     n - 1,
	}
	r.prod = r.producer.Load()
	r.cons = r.consumer.Load()
	return r, unsafe.Add(base, off.Desc), nil
}

func (r *ring) unmap() error {
	if r.mem == nil {
		return nil
	}
	err := unix.Munmap(r.mem)
	r.mem = nil
	return err
}

// needWakeup reports the kernel's XDP_RING_NEED_WAKEUP flag on the ring.
func (r *ring) needWakeup() bool { return r.flags.Load()&unix.XDP_RING_NEED_WAKEUP != 0 }

// prodFree is the number of entries we may produce (rings we produce on).
func (r *ring) prodFree(want uint32) uint32 {
	free := r.size - (r.prod - r.cons)
	if free < want {
		r.cons = r.consumer.Load()
		free = r.size - (r.prod - r.cons)
	}
	return free
}

// publish makes produced entries visible to the kernel.
func (r *ring) publish() { r.producer.Store(r.prod) }

// consAvail is the number of entries we may consume (rings we consume on).
func (r *ring) consAvail() uint32 {
	n := r.prod - r.cons
	if n == 0 {
		r.prod = r.producer.Load()
		n = r.prod - r.cons
	}
	// The kernel never produces more than size; a corrupted index must not
	// send us outside the ring either, so clamp.
	if n > r.size {
		n = r.size
	}
	return n
}

// release hands consumed entries back to the kernel.
func (r *ring) release() { r.consumer.Store(r.cons) }

// pending is the number of produced entries the kernel has not consumed.
func (r *ring) pending() uint32 {
	r.cons = r.consumer.Load()
	return r.prod - r.cons
}

// addrRing carries UMEM addresses: the fill and completion rings.
type addrRing struct {
	ring
	descs []uint64
}

// descRing carries descriptors: the RX and TX rings.
type descRing struct {
	ring
	descs []unix.XDPDesc
}

func isPowerOfTwo(n int) bool { return n > 0 && n&(n-1) == 0 }

// Package xdp is the AF_XDP layer: sockets with their UMEM and four rings
// on golang.org/x/sys/unix, in the manner of gVisor's pkg/xdp (design.md
// section 4), and the kernel's routes, neighbours and links over netlink.
//
// Rings: the producer and consumer indexes shared with the kernel are
// accessed with sync/atomic; each side caches the other's index so a batch
// costs one atomic load and one store. Sockets bind with
// XDP_USE_NEED_WAKEUP and make a syscall only when the kernel's flag asks
// for one (sendto for TX, recvfrom for the fill ring). Zero-copy is tried
// first, copy mode is the fallback (veth and most virtual devices).
//
// Frame ownership is explicit: every UMEM frame is in the allocator, held
// by the caller (after Receive or Alloc), the kernel's for receiving (fill
// ring), or in flight on TX until its address comes back on the completion
// ring. FrameCounts shows the split; giving back a frame one does not hold
// is refused and counted, never a corruption. Receive, Refill, Transmit and
// Complete work on caller-provided slices and allocate nothing.
//
// Errors of the kicks (ENETDOWN, ENOBUFS, EAGAIN, EBUSY) are counted and
// recoverable: frames stay on the ring for the next kick. Nothing panics.
//
// Why not github.com/asavie/xdp (v0.3.3) on the hot path: its Receive marks
// frames free before the caller has used them, Complete returns no
// addresses, ring indexes are plain loads and stores, the need-wakeup flags
// are not mapped, and Transmit panics on an unexpected errno such as
// ENETDOWN. It serves as the bare-loop baseline in bench/ and as a traffic
// source in tests.
package xdp

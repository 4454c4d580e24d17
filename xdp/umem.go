package xdp

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Frame states. Every frame of the UMEM is in exactly one; FrameCounts sums
// them so tests and metrics can check that none is lost.
const (
	frameFree uint8 = iota // in the allocator
	frameHeld              // the caller's: received, or allocated for TX
	frameFill              // the kernel's: fill ring, or received but not yet consumed from RX
	frameTX                // the kernel's: on the TX ring until it comes back on completion
)

// FrameCounts tells where the frames of a socket's UMEM are. Their sum is
// always the number of frames.
type FrameCounts struct {
	Free int // in the allocator
	Held int // handed to the caller by Receive or Alloc, not yet given back
	Fill int // given to the kernel to receive into (fill ring or RX ring)
	TX   int // submitted for transmission, not yet completed
}

// umem is the packet memory shared with the kernel, cut into equal frames,
// with a free-frame stack and the state of every frame.
type umem struct {
	mem       []byte
	frameSize uint64
	shift     uint     // log2(frameSize)
	free      []uint64 // stack of free frame addresses
	state     []uint8  // per frame
	counts    [4]int   // frames per state
}

func newUMEM(frames, frameSize int) (*umem, error) {
	if !isPowerOfTwo(frameSize) || frameSize < 2048 || frameSize > 65536 {
		return nil, fmt.Errorf("%w: frame size %d is not a power of two in [2048, 65536]", ErrInvalidOptions, frameSize)
	}
	if frames <= 0 || frames > 1<<20 {
		return nil, fmt.Errorf("%w: %d frames", ErrInvalidOptions, frames)
	}
	mem, err := unix.Mmap(-1, 0, frames*frameSize, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_POPULATE)
	if err != nil {
		return nil, fmt.Errorf("xdp: mmap UMEM of %d bytes: %w", frames*frameSize, err)
	}
	u := &umem{
		mem:       mem,
		frameSize: uint64(frameSize),
		free:      make([]uint64, frames),
		state:     make([]uint8, frames),
	}
	for u.shift = 0; 1<<u.shift < frameSize; u.shift++ {
	}
	// Lowest addresses on top of the stack.
	for i := range u.free {
		u.free[i] = uint64(frames-1-i) << u.shift
	}
	u.counts[frameFree] = frames
	return u, nil
}

func (u *umem) close() error {
	if u.mem == nil {
		return nil
	}
	err := unix.Munmap(u.mem)
	u.mem = nil
	return err
}

// frame is the index of the frame holding addr, or -1 when addr is outside
// the UMEM.
func (u *umem) frame(addr uint64) int {
	i := addr >> u.shift
	if i >= uint64(len(u.state)) {
		return -1
	}
	return int(i)
}

// move changes the state of the frame holding addr from one state to
// another; it reports false (and changes nothing) if the frame is not in
// the expected state, which is how ownership mistakes are caught.
func (u *umem) move(addr uint64, from, to uint8) bool {
	if !u.flip(addr, from, to) {
		return false
	}
	u.counts[from&3]--
	u.counts[to&3]++
	return true
}

// flip is move without the counts, for loops that count once per batch.
func (u *umem) flip(addr uint64, from, to uint8) bool {
	i := addr >> u.shift
	if i >= uint64(len(u.state)) || u.state[i] != from {
		return false
	}
	u.state[i] = to
	return true
}

// recount moves n frames' worth of counts from one state to another.
func (u *umem) recount(from, to uint8, n int) {
	u.counts[from&3] -= n
	u.counts[to&3] += n
}

func (u *umem) frameCounts() FrameCounts {
	return FrameCounts{Free: u.counts[frameFree], Held: u.counts[frameHeld], Fill: u.counts[frameFill], TX: u.counts[frameTX]}
}

// pop takes a free frame; ok is false when none is left.
func (u *umem) pop(to uint8) (addr uint64, ok bool) {
	n := len(u.free)
	if n == 0 {
		return 0, false
	}
	addr = u.free[n-1]
	u.free = u.free[:n-1]
	u.move(addr, frameFree, to)
	return addr, true
}

// push returns the frame holding addr to the allocator, from state from.
func (u *umem) push(addr uint64, from uint8) bool {
	base := addr &^ (u.frameSize - 1)
	if !u.move(base, from, frameFree) {
		return false
	}
	u.free = append(u.free, base) // within capacity: one slot per frame
	return true
}

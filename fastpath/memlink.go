package fastpath

import (
	"errors"
	"sync/atomic"
	"time"
)

// MemLink is one end of an in-memory wire: frames transmitted on one end are
// copied into receive buffers of the other end. It keeps the AF_XDP socket's
// ownership rules (fixed pools, frames owned by the caller between Receive
// and Release or between Alloc and Transmit), so poller tests exercise the
// same paths without root.
//
// Each end has a TX pool used only by its own goroutine and an RX pool shared
// with the peer through two SPSC rings: the peer's Transmit takes a free RX
// buffer from rxFree and pushes the filled frame on rx; Release pushes it
// back on rxFree.
type MemLink struct {
	peer   *MemLink
	tx     [][]byte
	txFree []uint64
	rxBufs [][]byte
	rxFree *SPSC[uint64]
	rx     *SPSC[Frame]
	wake   chan struct{}
	sent   atomic.Uint64
	drops  atomic.Uint64
}

const memRX = 1 << 63 // marks an Addr of the RX pool

// ErrMemLinkConfig reports an unusable MemLink size.
var ErrMemLinkConfig = errors.New("fastpath: MemLink needs at least 2 frames of at least 128 bytes")

// NewMemLinkPair returns two connected ends, each with frames TX and frames
// RX buffers of frameSize bytes.
func NewMemLinkPair(frames, frameSize int) (*MemLink, *MemLink, error) {
	if frames < 2 || frameSize < 128 {
		return nil, nil, ErrMemLinkConfig
	}
	a, err := newMemLink(frames, frameSize)
	if err != nil {
		return nil, nil, err
	}
	b, err := newMemLink(frames, frameSize)
	if err != nil {
		return nil, nil, err
	}
	a.peer, b.peer = b, a
	return a, b, nil
}

func newMemLink(frames, frameSize int) (*MemLink, error) {
	l := &MemLink{wake: make(chan struct{}, 1)}
	var err error
	if l.rx, err = NewSPSC[Frame](frames, nil); err != nil {
		return nil, err
	}
	if l.rxFree, err = NewSPSC[uint64](frames, nil); err != nil {
		return nil, err
	}
	for i := 0; i < frames; i++ {
		l.tx = append(l.tx, make([]byte, frameSize))
		l.txFree = append(l.txFree, uint64(i))
		l.rxBufs = append(l.rxBufs, make([]byte, frameSize))
		l.rxFree.Push(uint64(i))
	}
	return l, nil
}

// Receive implements Link.
func (l *MemLink) Receive(fs []Frame) int { return l.rx.PopBatch(fs) }

// Release implements Link.
func (l *MemLink) Release(fs []Frame) {
	for _, f := range fs {
		l.rxFree.Push(f.Addr &^ memRX)
	}
}

// Bytes implements Link.
func (l *MemLink) Bytes(f Frame) []byte {
	if f.Addr&memRX != 0 {
		return l.rxBufs[f.Addr&^memRX]
	}
	return l.tx[f.Addr]
}

// Alloc implements Link.
func (l *MemLink) Alloc(fs []Frame) int {
	n := 0
	for n < len(fs) && len(l.txFree) > 0 {
		fs[n] = Frame{Addr: l.txFree[len(l.txFree)-1]}
		l.txFree = l.txFree[:len(l.txFree)-1]
		n++
	}
	return n
}

// Free implements Link.
func (l *MemLink) Free(fs []Frame) {
	for _, f := range fs {
		l.txFree = append(l.txFree, f.Addr)
	}
}

// Transmit implements Link. A frame the peer has no free buffer for is
// dropped and counted, as a NIC drops on a full ring; either way the TX
// buffer is free again at once (the copy is the completion).
func (l *MemLink) Transmit(fs []Frame) int {
	p := l.peer
	for _, f := range fs {
		src := l.tx[f.Addr][f.Off : f.Off+f.Len]
		if a, ok := p.rxFree.Pop(); ok {
			copy(p.rxBufs[a], src)
			p.rx.Push(Frame{Addr: a | memRX, Len: len(src)}) // cannot fail: rx holds as many as rxFree
			l.sent.Add(1)
		} else {
			l.drops.Add(1)
		}
		l.txFree = append(l.txFree, f.Addr)
	}
	if len(fs) > 0 {
		p.Wake()
	}
	return len(fs)
}

// Wait implements Link.
func (l *MemLink) Wait(timeout time.Duration) error {
	if !l.rx.Empty() {
		return nil
	}
	if timeout < 0 {
		<-l.wake
		return nil
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-l.wake:
	case <-t.C:
	}
	return nil
}

// Wake implements Link.
func (l *MemLink) Wake() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Sent counts the frames this end delivered to the peer.
func (l *MemLink) Sent() uint64 { return l.sent.Load() }

// Dropped counts the frames this end transmitted that the peer had no room for.
func (l *MemLink) Dropped() uint64 { return l.drops.Load() }

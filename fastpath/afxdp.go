package fastpath

import (
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sctp-xdp/sctp-xdp/xdp"
)

// XSKLink is the Link of one AF_XDP socket (one queue). Its Wait blocks in
// poll(2) on the socket and an eventfd, so that other goroutines (another
// poller's forwarded frames, the slow path's hand-overs) can wake it.
type XSKLink struct {
	s         *xdp.Socket
	frameSize uint64
	descs     []xdp.Desc
	evfd      atomic.Int32 // -1 once closed: Wake may race with Close
	pfd       [2]unix.PollFd
	evbuf     [8]byte
}

// NewXSKLink wraps s; batch bounds the frames moved per call. The socket's
// fill ring is filled with every free frame but a quarter kept for TX.
func NewXSKLink(s *xdp.Socket, batch int) (*XSKLink, error) {
	if batch <= 0 {
		batch = 64
	}
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("fastpath: eventfd: %w", err)
	}
	l := &XSKLink{s: s, frameSize: uint64(s.FrameSize()), descs: make([]xdp.Desc, batch)}
	l.evfd.Store(int32(fd))
	l.pfd[0] = unix.PollFd{Fd: int32(s.FD()), Events: unix.POLLIN}
	l.pfd[1] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
	fc := s.FrameCounts()
	s.Fill(fc.Free * 3 / 4)
	return l, nil
}

// Close closes the eventfd; the socket is the caller's. A Wake after Close
// does nothing.
func (l *XSKLink) Close() error {
	fd := l.evfd.Swap(-1)
	if fd < 0 {
		return nil
	}
	return unix.Close(int(fd))
}

// Socket is the wrapped socket.
func (l *XSKLink) Socket() *xdp.Socket { return l.s }

func (l *XSKLink) frame(d xdp.Desc) Frame {
	base := d.Addr &^ (l.frameSize - 1)
	return Frame{Addr: base, Off: int(d.Addr - base), Len: int(d.Len)}
}

// Receive implements Link.
func (l *XSKLink) Receive(fs []Frame) int {
	n := l.s.Receive(l.descs[:min(len(fs), len(l.descs))])
	for i := 0; i < n; i++ {
		fs[i] = l.frame(l.descs[i])
	}
	return n
}

// Release implements Link: the frames go back to the fill ring.
func (l *XSKLink) Release(fs []Frame) { l.inBatches(fs, l.s.Refill) }

// inBatches hands the frames' bases to fn (Refill or Free) in batches of
// the scratch descriptors' size.
func (l *XSKLink) inBatches(fs []Frame, fn func([]xdp.Desc) error) {
	for len(fs) > 0 {
		n := min(len(fs), len(l.descs))
		for i := 0; i < n; i++ {
			l.descs[i] = xdp.Desc{Addr: fs[i].Addr}
		}
		fn(l.descs[:n]) // frames not ours are counted by the socket
		fs = fs[n:]
	}
}

// Bytes implements Link.
func (l *XSKLink) Bytes(f Frame) []byte {
	return l.s.Data(xdp.Desc{Addr: f.Addr, Len: uint32(l.frameSize)})
}

// Alloc implements Link; completed transmissions are reclaimed first.
func (l *XSKLink) Alloc(fs []Frame) int {
	l.s.Complete()
	for i := range fs {
		d, ok := l.s.Alloc()
		if !ok {
			return i
		}
		fs[i] = Frame{Addr: d.Addr}
	}
	return len(fs)
}

// Transmit implements Link.
func (l *XSKLink) Transmit(fs []Frame) int {
	sent := 0
	for len(fs) > 0 {
		n := min(len(fs), len(l.descs))
		for i := 0; i < n; i++ {
			l.descs[i] = xdp.Desc{Addr: fs[i].Addr + uint64(fs[i].Off), Len: uint32(fs[i].Len)}
		}
		k, _ := l.s.Transmit(l.descs[:n]) // ring full or a kick error: the rest stay ours
		sent += k
		if k < n {
			return sent
		}
		fs = fs[n:]
	}
	return sent
}

// Free implements Link.
func (l *XSKLink) Free(fs []Frame) { l.inBatches(fs, l.s.Free) }

// Wait implements Link: poll(2) on the socket and the eventfd.
func (l *XSKLink) Wait(timeout time.Duration) error {
	ms := -1
	if timeout >= 0 {
		ms = int((timeout + time.Millisecond - 1) / time.Millisecond)
	}
	l.pfd[0].Revents, l.pfd[1].Revents = 0, 0
	_, err := unix.Poll(l.pfd[:], ms)
	if l.pfd[1].Revents&unix.POLLIN != 0 {
		unix.Read(int(l.pfd[1].Fd), l.evbuf[:]) // reset the counter
	}
	l.s.Complete()
	if err == unix.EINTR {
		return nil
	}
	return err
}

// FlushTX sends what the TX ring still holds before the socket closes
// (xdp.Socket.FlushTX); the poller calls it when it stops.
func (l *XSKLink) FlushTX(timeout time.Duration) bool { return l.s.FlushTX(timeout) }

// Wake implements Link.
func (l *XSKLink) Wake() {
	if fd := l.evfd.Load(); fd >= 0 {
		one := [8]byte{1}
		unix.Write(int(fd), one[:])
	}
}

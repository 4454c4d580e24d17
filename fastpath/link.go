package fastpath

import "time"

// Frame names one buffer of a Link: a UMEM frame of an AF_XDP socket, or a
// slot of an in-memory link. Its bytes are Link.Bytes(f).
type Frame struct {
	Addr uint64 // the link's identity of the buffer
	Off  int    // offset of the data in the buffer
	Len  int    // bytes of data
}

// Link moves batches of Ethernet frames for one poller. Frames taken with
// Receive or Alloc belong to the caller until given back with Release,
// Transmit or Free. Implementations: the AF_XDP socket of a queue and the
// in-memory link (MemLink), so that every poller test also runs without root.
// A Link is used by one goroutine, except Wake.
type Link interface {
	// Receive takes up to len(fs) received frames.
	Receive(fs []Frame) int
	// Release gives received frames back to the link's receive side.
	Release(fs []Frame)
	// Bytes is the frame's whole buffer; the data is [f.Off : f.Off+f.Len].
	Bytes(f Frame) []byte
	// Alloc takes up to len(fs) empty frames to transmit from.
	Alloc(fs []Frame) int
	// Transmit hands frames (Off and Len set) to the link, with one kick for
	// the batch, and returns how many it took; the rest stay the caller's.
	Transmit(fs []Frame) int
	// Free gives back frames taken with Alloc and not transmitted.
	Free(fs []Frame)
	// Wait blocks until frames may be received, Wake is called or the
	// timeout passes (a negative timeout waits without limit).
	Wait(timeout time.Duration) error
	// Wake makes a current or the next Wait return. Safe from any goroutine.
	Wake()
}

package wire

import (
	"encoding/binary"

	"github.com/sctp-xdp/sctp-xdp/crc32c"
)

// maxOpen bounds how deep chunks, parameters and causes nest while building
// (a chunk holding a parameter holding a cause holding a parameter is 4).
const maxOpen = 6

// Builder appends one SCTP packet to a caller's buffer: Start writes the
// common header, each chunk method appends a chunk with its length set and
// its padding added when the next item starts, and Finish pads the last
// chunk and stamps the CRC32c. Chunks with parameters or causes are built
// with BeginX ... End: parameter and cause methods append inside the
// innermost open item. A chunk's length excludes its last parameter's
// padding (RFC 9260 3.2). Nothing allocates when the buffer has capacity.
//
// The zero Builder is ready for Start; a Builder can be reused.
type Builder struct {
	b     []byte
	base  int
	open  [maxOpen]int
	depth int
	err   error
}

// Start begins a packet at the end of b (after any L2/L3 headers already
// there). The checksum is filled in by Finish.
func (w *Builder) Start(b []byte, src, dst uint16, vtag uint32) {
	w.base, w.depth, w.err = len(b), 0, nil
	b = binary.BigEndian.AppendUint16(b, src)
	b = binary.BigEndian.AppendUint16(b, dst)
	b = binary.BigEndian.AppendUint32(b, vtag)
	w.b = append(b, 0, 0, 0, 0)
}

// Len is the SCTP packet's length so far, without pending padding.
func (w *Builder) Len() int { return len(w.b) - w.base }

// Room is how many bytes a new chunk may take without the packet exceeding
// limit bytes (for example the path MTU less the IP header), after the
// padding of the previous chunk and its own: limit is rounded down to a
// multiple of 4. It may be negative.
func (w *Builder) Room(limit int) int { return limit&^3 - ((w.Len() + 3) &^ 3) }

// Bytes is the whole buffer so far (headers before Start included).
func (w *Builder) Bytes() []byte { return w.b }

// Err reports a build error: a length over 65535 or nesting too deep.
func (w *Builder) Err() error { return w.err }

// Finish closes open items, pads the packet to a multiple of 4 bytes,
// stamps the CRC32c, and returns the buffer.
func (w *Builder) Finish() ([]byte, error) {
	w.finish()
	crc32c.Stamp(w.b[w.base:])
	return w.b, w.err
}

// FinishZeroChecksum is Finish leaving the checksum 0, for a peer that
// announced Zero Checksum Acceptable and a lower layer that protects the
// packet (RFC 9653 5).
func (w *Builder) FinishZeroChecksum() ([]byte, error) {
	w.finish()
	return w.b, w.err
}

func (w *Builder) finish() {
	for w.depth > 0 {
		w.End()
	}
	w.pad()
}

func (w *Builder) pad() {
	for (len(w.b)-w.base)&3 != 0 {
		w.b = append(w.b, 0)
	}
}

func (w *Builder) begin(hi, lo byte) {
	w.pad()
	if w.depth == maxOpen {
		w.err = errBuildNest
		w.depth-- // keep going; the packet is wrong and Err says so
	}
	w.open[w.depth] = len(w.b)
	w.depth++
	w.b = append(w.b, hi, lo, 0, 0)
}

// BeginChunk opens a chunk of type t.
func (w *Builder) BeginChunk(t ChunkType, flags uint8) { w.begin(byte(t), flags) }

// BeginParam opens a parameter of type t.
func (w *Builder) BeginParam(t ParamType) { w.begin(byte(t>>8), byte(t)) }

// BeginCause opens an error cause with code c.
func (w *Builder) BeginCause(c CauseCode) { w.begin(byte(c>>8), byte(c)) }

// End closes the innermost open chunk, parameter or cause, setting its length.
func (w *Builder) End() {
	if w.depth == 0 {
		return
	}
	w.depth--
	o := w.open[w.depth]
	n := len(w.b) - o
	if n > 0xFFFF {
		w.err = errBuildTooLong
	}
	binary.BigEndian.PutUint16(w.b[o+2:], uint16(n))
}

// Raw appends bytes to the open item.
func (w *Builder) Raw(p []byte) { w.b = append(w.b, p...) }

// U8 appends a byte to the open item.
func (w *Builder) U8(v uint8) { w.b = append(w.b, v) }

// U16 appends a 16-bit field to the open item.
func (w *Builder) U16(v uint16) { w.b = binary.BigEndian.AppendUint16(w.b, v) }

// U32 appends a 32-bit field to the open item.
func (w *Builder) U32(v uint32) { w.b = binary.BigEndian.AppendUint32(w.b, v) }

// Zeros appends n zero bytes to the open item.
func (w *Builder) Zeros(n int) {
	for ; n > 0; n-- {
		w.b = append(w.b, 0)
	}
}

// Chunk appends a chunk with the given value.
func (w *Builder) Chunk(t ChunkType, flags uint8, value []byte) {
	w.BeginChunk(t, flags)
	w.Raw(value)
	w.End()
}

// Param appends a parameter with the given value.
func (w *Builder) Param(t ParamType, value []byte) {
	w.BeginParam(t)
	w.Raw(value)
	w.End()
}

// Cause appends an error cause with the given information.
func (w *Builder) Cause(c CauseCode, info []byte) {
	w.BeginCause(c)
	w.Raw(info)
	w.End()
}

var errBuildTooLong = &Error{"builder: chunk, parameter or cause longer than 65535", ErrLength, 0}
var errBuildNest = &Error{"builder: items nested too deep", ErrUnsupported, 0}
var errBuildNoAddr = &Error{"builder: address parameter of the zero netip.Addr", ErrValue, 0}

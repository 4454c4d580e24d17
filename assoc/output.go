package assoc

import (
	"net/netip"

	"github.com/sctp-xdp/sctp-xdp/crc32c"
	"github.com/sctp-xdp/sctp-xdp/wire"
)

// outQueue holds chunks waiting to be sent. Each item is a small packet in
// the arena: a common header (ports, verification tag; checksum unused)
// followed by one or more chunks. NextPacket bundles consecutive items with
// the same header and destination into whole packets (RFC 9260 6.10). The
// arena and item slices are reused, so steady state allocates nothing.
type outQueue struct {
	arena []byte
	items []outItem
	head  int
	w     wire.Builder
	open  int // start of the item being built, -1 if none
}

type outItem struct {
	dst      netip.Addr
	off, end int
	alone    bool // INIT, INIT ACK, SHUTDOWN COMPLETE travel alone (RFC 9260 6.10)
}

func (q *outQueue) empty() bool { return q.head == len(q.items) }

// begin starts a queued item; add chunks to the returned builder, then commit.
func (q *outQueue) begin(src, dst uint16, vtag uint32) *wire.Builder {
	if q.empty() {
		q.arena, q.items, q.head = q.arena[:0], q.items[:0], 0
	}
	q.open = len(q.arena)
	q.w.Start(q.arena, src, dst, vtag)
	return &q.w
}

func (q *outQueue) commit(dst netip.Addr, alone bool) {
	b, err := q.w.FinishZeroChecksum()
	if err != nil { // an over-long item: drop it rather than send garbage
		q.arena = b[:q.open]
		return
	}
	q.arena = b
	q.items = append(q.items, outItem{dst: dst, off: q.open, end: len(b), alone: alone})
}

// clear drops every queued item.
func (q *outQueue) clear() { q.arena, q.items, q.head = q.arena[:0], q.items[:0], 0 }

// next appends the next whole packet to buf: as many queued items as share
// the first one's header and destination and fit in limit bytes of SCTP
// packet. The CRC32c is stamped by the builder (RFC 9260 6.8).
func (q *outQueue) next(buf []byte, limit int) ([]byte, netip.Addr, bool) {
	if q.empty() {
		return buf, netip.Addr{}, false
	}
	first := q.items[q.head]
	hdr := q.arena[first.off : first.off+wire.SCTPHeaderLen]
	base := len(buf)
	buf = append(buf, hdr...)
	clear(buf[base+8 : base+12])
	for q.head < len(q.items) {
		it := q.items[q.head]
		body := q.arena[it.off+wire.SCTPHeaderLen : it.end]
		if len(buf) > base+wire.SCTPHeaderLen { // bundling another item?
			if it.alone || first.alone || it.dst != first.dst ||
				string(q.arena[it.off:it.off+8]) != string(hdr[:8]) ||
				len(buf)-base+len(body) > limit {
				break
			}
		}
		buf = append(buf, body...)
		q.head++
	}
	stampCRC(buf[base:])
	if q.empty() {
		q.clear()
	}
	return buf, first.dst, true
}

// stampCRC writes the packet's CRC32c (RFC 9260 6.8, Appendix A). The queue
// bundles pre-built chunks, so it stamps itself rather than through
// wire.Builder.Finish.
func stampCRC(pkt []byte) { crc32c.Stamp(pkt) }

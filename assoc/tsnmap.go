package assoc

import "github.com/sctp-xdp/sctp-xdp/wire"

// Serial number arithmetic on 32-bit TSNs (RFC 1982, as RFC 9260 1.6 asks).
func seqLT(a, b uint32) bool { return int32(a-b) < 0 }
func seqLE(a, b uint32) bool { return int32(a-b) <= 0 }
func seqGT(a, b uint32) bool { return int32(a-b) > 0 }

const (
	// tsnWindow bounds how far above the cumulative TSN a received TSN is
	// kept; DATA beyond it is dropped (resource bound) and retransmitted by
	// the peer later.
	tsnWindow = 1 << 14
	maxDups   = 16  // duplicate TSNs reported per SACK
	maxGaps   = 128 // gap blocks reported per SACK (fewer if the packet is full)
)

// tsnMap records the TSNs received (RFC 9260 6.2, 6.7): the cumulative TSN,
// a bitmap of the TSNs received above it, and the duplicates seen since the
// last SACK. Fixed size: nothing allocates.
type tsnMap struct {
	cum     uint32 // Cumulative TSN: every TSN up to it received
	highest uint32 // highest TSN received (cum when there is no gap)
	bits    [tsnWindow / 64]uint64
	dups    [maxDups]uint32
	nDups   int
}

type tsnClass uint8

const (
	tsnNew tsnClass = iota
	tsnDup
	tsnFar // too far above cum: dropped
)

func (m *tsnMap) reset(cum uint32) {
	*m = tsnMap{cum: cum, highest: cum}
}

func (m *tsnMap) bit(t uint32) (*uint64, uint64) {
	i := t % tsnWindow
	return &m.bits[i/64], 1 << (i % 64)
}

func (m *tsnMap) classify(t uint32) tsnClass {
	if seqLE(t, m.cum) {
		return tsnDup
	}
	if t-m.cum >= tsnWindow {
		return tsnFar
	}
	w, b := m.bit(t)
	if *w&b != 0 {
		return tsnDup
	}
	return tsnNew
}

// mark records a new TSN (classify said tsnNew) and advances cum over
// every TSN now contiguous.
func (m *tsnMap) mark(t uint32) {
	if seqGT(t, m.highest) {
		m.highest = t
	}
	if t != m.cum+1 {
		w, b := m.bit(t)
		*w |= b
		return
	}
	m.cum = t
	for m.cum != m.highest {
		w, b := m.bit(m.cum + 1)
		if *w&b == 0 {
			break
		}
		*w &^= b
		m.cum++
	}
}

func (m *tsnMap) hasGaps() bool { return m.cum != m.highest }

func (m *tsnMap) addDup(t uint32) {
	if m.nDups < maxDups {
		m.dups[m.nDups] = t
		m.nDups++
	}
}

// gaps appends the Gap Ack Blocks (offsets from cum, RFC 9260 3.3.4) to dst,
// at most max of them.
func (m *tsnMap) gaps(dst []wire.GapBlock, max int) []wire.GapBlock {
	span := m.highest - m.cum
	var start uint32
	in := false
	for off := uint32(1); off <= span; off++ {
		w, b := m.bit(m.cum + off)
		if *w == 0 && !in && (m.cum+off)%64 == 0 && off+64 <= span {
			off += 63 // a whole empty word
			continue
		}
		set := *w&b != 0
		switch {
		case set && !in:
			start, in = off, true
		case !set && in:
			if len(dst) == max {
				return dst
			}
			dst = append(dst, wire.GapBlock{Start: uint16(start), End: uint16(off - 1)})
			in = false
		}
	}
	if in && len(dst) < max {
		dst = append(dst, wire.GapBlock{Start: uint16(start), End: uint16(span)})
	}
	return dst
}

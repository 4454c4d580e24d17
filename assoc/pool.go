package assoc

import "math/bits"

// bufPool recycles received payload buffers by power-of-two size class
// (64 B to 64 KiB), so the receive path stops allocating once warm. Its
// content is bounded by the receive window: every buffer taken is counted
// against it until the user reads it.
type bufPool struct {
	free   [11][][]byte
	pooled int // bytes in the free lists, at most maxPooled
}

// maxPooled bounds what a pool keeps after a burst: enough for steady
// traffic at the default window without allocating, not the burst's peak.
const maxPooled = 1 << 20

// classCap is the capacity get(n) gives: what n bytes really hold.
func classCap(n int) int {
	if c := sizeClass(n); c < 11 {
		return 64 << c
	}
	return n
}

func sizeClass(n int) int {
	if n <= 64 {
		return 0
	}
	return bits.Len(uint(n-1)) - 6
}

func (p *bufPool) get(n int) []byte {
	c := sizeClass(n)
	if c >= len(p.free) {
		return make([]byte, n)
	}
	if l := p.free[c]; len(l) > 0 {
		b := l[len(l)-1]
		p.free[c] = l[:len(l)-1]
		p.pooled -= cap(b)
		return b[:n]
	}
	return make([]byte, n, 64<<c)
}

func (p *bufPool) put(b []byte) {
	c := sizeClass(cap(b))
	if c < len(p.free) && cap(b) == 64<<c && p.pooled+cap(b) <= maxPooled {
		p.free[c] = append(p.free[c], b[:0])
		p.pooled += cap(b)
	}
}

package fastpath

// Peek returns a copy of the oldest element without removing it; ok is
// false if the ring is empty. Consumer only: the element stays in the
// ring until Pop, so what Peek saw is what the next Pop returns (the
// receive side uses it to describe the next message, RFC 6458
// SCTP_RECVNXTINFO).
func (r *SPSC[T]) Peek() (v T, ok bool) {
	h := r.head.Load()
	if r.avail(h, 1) == 0 {
		return v, false
	}
	return r.buf[h&r.mask], true
}

package assoc

import "unsafe"

// rchunk is a received DATA chunk kept until it is read: its fields and a
// copy of its user data (the one copy of the receive path).
type rchunk struct {
	tsn      uint32
	sid, ssn uint16
	ppid     uint32
	flags    uint8 // wire.FlagBeginning, FlagEnd, FlagUnordered
	gone     bool  // moved to the ready queue
	data     []byte
}

// rchunkSize is what a held chunk's record costs besides its buffer.
const rchunkSize = int(unsafe.Sizeof(rchunk{}))

func (c *rchunk) b() bool { return c.flags&flagB != 0 }
func (c *rchunk) e() bool { return c.flags&flagE != 0 }
func (c *rchunk) u() bool { return c.flags&flagU != 0 }

const (
	flagE = 0x01
	flagB = 0x02
	flagU = 0x04
	flagI = 0x08
)

// reasm reassembles fragments (RFC 9260 6.9) and orders messages per
// stream by SSN (6.5, 6.6). pend holds chunks not yet deliverable, sorted
// by TSN; chunks moved out leave a gone mark that the head skips, so
// delivery at the front costs O(1). ready holds the fragments of complete
// messages in delivery order. Memory is bounded by the receive window
// (rwnd.go): every byte held here is counted in bytes.
type reasm struct {
	pend       []rchunk
	head       int
	ready      []rchunk
	readyHead  int
	readOff    int      // bytes of ready[readyHead] already read
	next       []uint16 // next SSN to deliver, per inbound stream
	waiting    []uint32 // complete ordered messages waiting, per stream
	pendBytes  int
	readyBytes int
	// memBytes is what the held chunks really cost: their buffers'
	// capacity and their rchunk records (capped in rwnd.go).
	memBytes int
	pool     bufPool

	// Partial delivery (RFC 6458 8.1.21): a message too large to
	// reassemble within pdPoint bytes is handed to the reader in pieces;
	// meanwhile no other message enters the ready queue (blocked).
	pdPoint int
	pd      struct {
		active  bool
		sid     uint16
		ssn     uint16
		u       bool
		last    uint32 // TSN of the last fragment delivered
		started bool   // the B fragment went
		blocked bool   // a message completed during it: rescan at its end
	}
}

func (r *reasm) reset(streams uint16, pdPoint int) {
	r.pdPoint = pdPoint
	r.pd.active, r.pd.blocked = false, false
	for _, c := range r.pend[r.head:] {
		if !c.gone {
			r.pool.put(c.data)
		}
	}
	for _, c := range r.ready[r.readyHead:] {
		r.pool.put(c.data)
	}
	r.pend, r.head, r.ready, r.readyHead, r.readOff = r.pend[:0], 0, r.ready[:0], 0, 0
	r.pendBytes, r.readyBytes, r.memBytes = 0, 0, 0
	if cap(r.next) >= int(streams) {
		r.next, r.waiting = r.next[:streams], r.waiting[:streams]
		clear(r.next)
		clear(r.waiting)
	} else {
		r.next, r.waiting = make([]uint16, streams), make([]uint32, streams)
	}
}

// insert stores a new chunk (its TSN was new) and moves every message it
// completes to the ready queue.
func (r *reasm) insert(c rchunk) {
	r.pendBytes += len(c.data)
	r.memBytes += cap(c.data) + rchunkSize
	i := len(r.pend)
	for i > r.head && seqGT(r.pend[i-1].tsn, c.tsn) { // mostly appends
		i--
	}
	r.pend = append(r.pend, rchunk{})
	copy(r.pend[i+1:], r.pend[i:])
	r.pend[i] = c
	if r.pd.active {
		if c.tsn == r.pd.last+1 {
			r.pdAdvance(i)
		} else if first, _, ok := r.message(i); ok && r.deliverable(&r.pend[first]) {
			r.pd.blocked = true // delivered when the partial delivery ends
		} else if ok {
			r.waiting[r.pend[first].sid]++
		}
		r.trim()
		return
	}
	first, last, ok := r.message(i)
	if !ok {
		if r.pendBytes >= r.pdPoint {
			r.pdStart()
		}
		r.trim()
		return
	}
	m := &r.pend[first]
	switch {
	case m.u(): // 6.6: unordered, delivered at once
		r.deliver(first, last)
	case m.ssn == r.next[m.sid]:
		sid := m.sid
		r.deliver(first, last)
		r.drain(sid, first)
	default: // a later SSN: it waits for the ones before it (6.5)
		r.waiting[m.sid]++
	}
	r.trim()
}

func (r *reasm) deliverable(m *rchunk) bool { return m.u() || m.ssn == r.next[m.sid] }

// pdStart begins a partial delivery of the message at the front of pend if
// it is the next to deliver and its first fragments are here.
func (r *reasm) pdStart() {
	r.trim()
	if r.head >= len(r.pend) {
		return
	}
	m := &r.pend[r.head]
	if !m.b() || !r.deliverable(m) {
		return
	}
	r.pd.active, r.pd.blocked, r.pd.started = true, false, false
	r.pd.sid, r.pd.ssn, r.pd.u, r.pd.last = m.sid, m.ssn, m.u(), m.tsn-1
	r.pdAdvance(r.head)
}

// pdAdvance moves the fragments of the partially delivered message from
// pend[i] on, while consecutive, to the ready queue; the E fragment ends
// the partial delivery. Only the first may carry B.
func (r *reasm) pdAdvance(i int) {
	for ; i < len(r.pend); i++ {
		c := &r.pend[i]
		if c.gone || c.tsn != r.pd.last+1 || c.sid != r.pd.sid || c.u() != r.pd.u ||
			(!c.u() && c.ssn != r.pd.ssn) || (c.b() && r.pd.started) {
			return
		}
		r.pd.started = true
		r.ready = append(r.ready, *c)
		r.pendBytes -= len(c.data)
		r.readyBytes += len(c.data)

		r.pd.last = c.tsn
		end := c.e()
		c.gone, c.data = true, nil
		if end {
			r.pdEnd()
			return
		}
	}
}

// pdEnd finishes a partial delivery and delivers what it held back.
func (r *reasm) pdEnd() {
	r.pd.active = false
	if !r.pd.u {
		r.next[r.pd.sid]++
		r.drain(r.pd.sid, r.head)
	}
	if !r.pd.blocked {
		return
	}
	r.pd.blocked = false
	for j := r.head; j < len(r.pend) && !r.pd.active; j++ {
		c := &r.pend[j]
		if c.gone || !c.b() || !r.deliverable(c) {
			continue
		}
		if first, last, ok := r.message(j); ok {
			sid, u := c.sid, c.u()
			r.deliver(first, last)
			if !u {
				r.drain(sid, first)
			}
		}
	}
}

// message finds the complete message containing pend[i]: fragments with
// consecutive TSNs on one stream from B to E (6.9).
func (r *reasm) message(i int) (first, last int, ok bool) {
	first = i
	for !r.pend[first].b() {
		p := first - 1
		if p < r.head || r.pend[p].gone || !r.sameMsg(&r.pend[p], &r.pend[first]) {
			return 0, 0, false
		}
		first = p
	}
	last = i
	for !r.pend[last].e() {
		n := last + 1
		if n >= len(r.pend) || r.pend[n].gone || !r.sameMsg(&r.pend[last], &r.pend[n]) {
			return 0, 0, false
		}
		last = n
	}
	return first, last, true
}

// sameMsg: b follows a as the next fragment of the same message.
func (r *reasm) sameMsg(a, b *rchunk) bool {
	return b.tsn == a.tsn+1 && a.sid == b.sid && a.u() == b.u() && (a.u() || a.ssn == b.ssn) &&
		!a.e() && !b.b()
}

func (r *reasm) deliver(first, last int) {
	for j := first; j <= last; j++ {
		c := &r.pend[j]
		r.ready = append(r.ready, *c)
		r.pendBytes -= len(c.data)
		r.readyBytes += len(c.data)

		c.gone, c.data = true, nil
	}
	if !r.pend[first].u() {
		r.next[r.pend[first].sid]++
	}
}

// drain delivers the ordered messages of stream sid that waited for the
// one just delivered, searching from position from.
func (r *reasm) drain(sid uint16, from int) {
	for r.waiting[sid] > 0 {
		found := false
		for j := max(from, r.head); j < len(r.pend); j++ {
			c := &r.pend[j]
			if c.gone || c.sid != sid || c.u() || !c.b() || c.ssn != r.next[sid] {
				continue
			}
			if first, last, ok := r.message(j); ok {
				r.deliver(first, last)
				r.waiting[sid]--
				from, found = first, true
				break
			}
		}
		if !found {
			if from > r.head { // the next one may sit below from
				from = r.head
				continue
			}
			return
		}
	}
}

// trim advances head over delivered chunks and compacts pend.
func (r *reasm) trim() {
	for r.head < len(r.pend) && r.pend[r.head].gone {
		r.head++
	}
	r.pend, r.head = compact(r.pend, r.head)
}

// compact reclaims the consumed front of a queue (q[:head]): at once when
// the queue is empty, by moving the rest down once more than half is
// consumed, so the slice stops growing without a copy per removal.
func compact(q []rchunk, head int) ([]rchunk, int) {
	if head == len(q) {
		return q[:0], 0
	}
	if head > 64 && head > len(q)/2 {
		n := copy(q, q[head:])
		clear(q[n:])
		return q[:n], 0
	}
	return q, head
}

// read copies the next message's bytes into buf: a whole message, or as
// much as fits with eor false (the rest comes with the next reads).
func (r *reasm) read(buf []byte, info *RecvInfo) (n int, ok bool) {
	if r.readyHead == len(r.ready) {
		return 0, false
	}
	f := &r.ready[r.readyHead]
	info.Stream, info.SSN, info.PPID, info.TSN = f.sid, f.ssn, f.ppid, f.tsn
	info.Unordered = f.u()
	for r.readyHead < len(r.ready) {
		f = &r.ready[r.readyHead]
		k := copy(buf[n:], f.data[r.readOff:])
		n += k
		r.readOff += k
		if r.readOff < len(f.data) {
			return n, true // buf full
		}
		r.readyBytes -= len(f.data)
		r.memBytes -= cap(f.data) + rchunkSize
		r.pool.put(f.data)
		end := f.e()
		*f = rchunk{}
		r.readyHead++
		r.readOff = 0
		if end {
			info.EOR = true
			break
		}
	}
	r.ready, r.readyHead = compact(r.ready, r.readyHead)
	return n, true
}

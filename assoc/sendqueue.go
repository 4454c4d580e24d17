package assoc

import "errors"

// Errors of Send.
var (
	// ErrWouldBlock is back-pressure: the send buffer (Config.SendBuffer)
	// has no room for the message now; retry after SACKs free some.
	ErrWouldBlock = errors.New("assoc: send buffer full")
	// ErrMessageSize: an empty message, one larger than the send buffer, or
	// with DisableFragments one larger than a DATA chunk may carry.
	ErrMessageSize = errors.New("assoc: message size not allowed")
	// ErrStream: the stream is not below the negotiated outbound streams.
	ErrStream = errors.New("assoc: invalid stream")
)

// SendFlags modify a message given to Send.
type SendFlags uint8

const (
	// SendUnordered sends the message unordered (U bit, RFC 9260 6.6).
	SendUnordered SendFlags = 1 << iota
)

// sendRing holds the bytes of user messages, copied once by Send, until
// their last chunk is acknowledged by the Cumulative TSN Ack. A message
// never wraps: the end of the ring it cannot use is counted with it. The
// stream scheduler may send messages out of allocation order, so each
// allocation is a record released when its message is acknowledged, and
// space is reclaimed from the oldest record on, once it is released.
type sendRing struct {
	buf        []byte
	head, used int
	recs       []ringRec // allocations, oldest first
	recHead    int
	seq0       uint32 // sequence number of recs[recHead]
}

type ringRec struct {
	size int // bytes, with the waste before it
	done bool
}

func (r *sendRing) alloc(n int) (off int, seq uint32, ok bool) {
	c := len(r.buf)
	if r.used == 0 {
		r.head = 0
	}
	tail := r.head - r.used
	if tail < 0 {
		tail += c
	}
	waste := 0
	if r.used == 0 || tail < r.head {
		if c-r.head >= n {
			off = r.head
		} else if tail >= n {
			off, waste = 0, c-r.head
		} else {
			return 0, 0, false
		}
	} else if tail-r.head >= n {
		off = r.head
	} else {
		return 0, 0, false
	}
	r.head = off + n
	r.used += n + waste
	if r.recHead == len(r.recs) {
		r.recs, r.recHead = r.recs[:0], 0
	} else if r.recHead > 64 && r.recHead > len(r.recs)/2 {
		k := copy(r.recs, r.recs[r.recHead:])
		r.recs, r.recHead = r.recs[:k], 0
	}
	seq = r.seq0 + uint32(len(r.recs)-r.recHead)
	r.recs = append(r.recs, ringRec{size: n + waste})
	return off, seq, true
}

// release marks the allocation seq free and reclaims every free
// allocation at the oldest end.
func (r *sendRing) release(seq uint32) {
	i := r.recHead + int(seq-r.seq0)
	if i < r.recHead || i >= len(r.recs) {
		return
	}
	r.recs[i].done = true
	for r.recHead < len(r.recs) && r.recs[r.recHead].done {
		r.used -= r.recs[r.recHead].size
		r.recHead++
		r.seq0++
	}
}

func (r *sendRing) reset() {
	r.head, r.used, r.recs, r.recHead = 0, 0, r.recs[:0], 0
}

// qmsg is a message queued and not yet wholly cut into chunks.
type qmsg struct {
	sid, ssn uint16
	ppid     uint32
	flags    uint8  // flagU
	off, n   int    // bytes in the ring
	done     int    // bytes already cut into chunks
	seq      uint32 // its ring allocation
}

// sendQueue holds the messages not yet cut into chunks: a FIFO per
// outbound stream (SSNs per stream, RFC 9260 6.5) and a round-robin turn
// of the streams holding messages. The scheduler works per message: a
// message's fragments take consecutive TSNs (6.9), then the next stream's
// turn comes, so a large message on one stream does not hold another
// stream's small ones for long. Everything is reused: no allocation once
// grown.
type sendQueue struct {
	strm     []streamQ
	turn     []uint16 // streams with messages, in turn order
	turnHead int
	nMsgs    int
	bytes    int // unchunked bytes queued
	nextSSN  []uint16
}

type streamQ struct {
	msgs []qmsg
	head int
}

func (q *sendQueue) empty() bool { return q.nMsgs == 0 }

func (q *sendQueue) push(m qmsg) {
	if int(m.sid) >= len(q.strm) {
		q.strm = append(q.strm, make([]streamQ, int(m.sid)+1-len(q.strm))...)
	}
	s := &q.strm[m.sid]
	if s.head == len(s.msgs) { // the stream joins the turn
		s.msgs, s.head = s.msgs[:0], 0
		q.turn = append(q.turn, m.sid)
	} else if s.head > 64 && s.head > len(s.msgs)/2 {
		k := copy(s.msgs, s.msgs[s.head:])
		s.msgs, s.head = s.msgs[:k], 0
	}
	s.msgs = append(s.msgs, m)
	q.nMsgs++
	q.bytes += m.n
}

// peek is the message to cut next (queue not empty).
func (q *sendQueue) peek() *qmsg {
	s := &q.strm[q.turn[q.turnHead]]
	return &s.msgs[s.head]
}

// popDone drops the message peek gave, now wholly cut, and passes the turn.
func (q *sendQueue) popDone() {
	sid := q.turn[q.turnHead]
	q.turnHead++
	s := &q.strm[sid]
	s.msgs[s.head] = qmsg{}
	s.head++
	q.nMsgs--
	if s.head < len(s.msgs) {
		q.turn = append(q.turn, sid) // to the back of the turn
	} else {
		s.msgs, s.head = s.msgs[:0], 0
	}
	if q.turnHead == len(q.turn) {
		q.turn, q.turnHead = q.turn[:0], 0
	} else if q.turnHead > 64 && q.turnHead > len(q.turn)/2 {
		k := copy(q.turn, q.turn[q.turnHead:])
		q.turn, q.turnHead = q.turn[:k], 0
	}
}

// restartSSNs starts every outbound stream's SSNs at 0 again (a peer's new
// TCB, RFC 9260 5.2.4 case B): ordered messages not yet cut into chunks
// are renumbered from 0; one partly cut keeps the SSN its chunks carry.
func (q *sendQueue) restartSSNs() {
	clear(q.nextSSN)
	for sid := range q.strm {
		s := &q.strm[sid]
		for i := s.head; i < len(s.msgs); i++ {
			if m := &s.msgs[i]; m.flags&flagU == 0 && m.done == 0 && sid < len(q.nextSSN) {
				m.ssn = q.nextSSN[sid]
				q.nextSSN[sid]++
			}
		}
	}
}

func (q *sendQueue) reset() {
	for i := range q.strm {
		q.strm[i].msgs, q.strm[i].head = q.strm[i].msgs[:0], 0
	}
	q.turn, q.turnHead, q.nMsgs, q.bytes = q.turn[:0], 0, 0, 0
	clear(q.nextSSN)
}

// Send queues a message of payload (copied once) on stream with ppid.
// Allowed from COOKIE-WAIT (the first chunks then travel with the COOKIE
// ECHO, RFC 9260 5.1) to ESTABLISHED; after Shutdown or a received
// SHUTDOWN it returns ErrState (9.2). ErrWouldBlock is back-pressure.
func (a *Assoc) Send(now int64, stream uint16, ppid uint32, flags SendFlags, payload []byte) error {
	switch a.state {
	case CookieWait, CookieEchoed, Established:
	default:
		return ErrState
	}
	limit := a.os
	if a.state == CookieWait {
		limit = a.cfg.OutStreams
	}
	if stream >= limit {
		return ErrStream
	}
	n := len(payload)
	if n == 0 || n > a.cfg.SendBuffer || (a.cfg.DisableFragments && n > a.maxFragment()) {
		return ErrMessageSize
	}
	if a.ring.buf == nil {
		a.ring.buf = make([]byte, a.cfg.SendBuffer)
	}
	off, seq, ok := a.ring.alloc(n)
	if !ok {
		return ErrWouldBlock
	}
	copy(a.ring.buf[off:off+n], payload)
	m := qmsg{sid: stream, ppid: ppid, off: off, n: n, seq: seq}
	if flags&SendUnordered != 0 {
		m.flags = flagU
	} else {
		if int(stream) >= len(a.sq.nextSSN) {
			a.sq.nextSSN = append(a.sq.nextSSN, make([]uint16, int(stream)+1-len(a.sq.nextSSN))...)
		}
		m.ssn = a.sq.nextSSN[stream]
		a.sq.nextSSN[stream]++
	}
	a.sq.push(m)
	a.burst = 0
	a.lastActive = now
	return nil
}

// maxFragment is the user data one DATA chunk carries on the current path:
// the SCTP packet limit less the common and DATA headers, capped by MaxSeg.
func (a *Assoc) maxFragment() int {
	n := a.sctpLimit() - 12 - 16
	if a.cfg.MaxSeg > 0 {
		n = min(n, a.cfg.MaxSeg)
	}
	return n &^ 3
}

// Buffered gives the bytes of the send buffer in use: queued or sent and
// not yet acknowledged.
func (a *Assoc) Buffered() int { return a.ring.used }

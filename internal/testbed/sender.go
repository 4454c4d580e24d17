package testbed

import (
	"fmt"
	"testing"
	"time"

	asavie "github.com/asavie/xdp"
)

// QueueSender transmits frames on one queue of an interface through an
// AF_XDP socket of github.com/asavie/xdp (the role design.md section 4 gives
// it: a traffic source bound to a chosen queue). veth hands what one end
// transmits on queue i to receive queue i of the other end, so a sender on
// the peer's end drives one of our queues.
type QueueSender struct {
	link  *Link
	queue int
	sock  *asavie.Socket
}

// NewQueueSender binds a sender to queue of l, inside l's namespace; it is
// closed at t's cleanup.
func NewQueueSender(t testing.TB, l *Link, queue int) *QueueSender {
	t.Helper()
	s := &QueueSender{link: l, queue: queue}
	opts := asavie.DefaultSocketOptions
	opts.NumFrames, opts.TxRingNumDescs, opts.CompletionRingNumDescs = 1024, 512, 512
	if err := l.NS.Do(func() (err error) {
		s.sock, err = asavie.NewSocket(l.Index, queue, &opts)
		return err
	}); err != nil {
		t.Fatalf("testbed: AF_XDP sender on %s queue %d: %v", l.Name, queue, err)
	}
	t.Cleanup(func() { s.sock.Close() })
	return s
}

// Send transmits n frames, frame i built by build into buf (a whole UMEM
// frame) returning its length, and waits until the kernel completed them
// all. t fails if that takes more than 30 seconds.
func (s *QueueSender) Send(t testing.TB, n int, build func(i int, buf []byte) int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for sent := 0; sent < n || s.sock.NumTransmitted() > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("testbed: queue sender: %d of %d frames sent, %d not completed", sent, n, s.sock.NumTransmitted())
		}
		if c := s.sock.NumCompleted(); c > 0 {
			s.sock.Complete(c)
		}
		if sent == n {
			// Copy mode sends a bounded batch per sendto(2): kick again
			// (an empty Transmit is just the kick).
			s.sock.Transmit(nil)
			time.Sleep(100 * time.Microsecond)
			continue
		}
		descs := s.sock.GetDescs(min(n-sent, s.sock.NumFreeTxSlots()))
		for i := range descs {
			descs[i].Len = uint32(build(sent+i, s.sock.GetFrame(descs[i])))
		}
		if len(descs) == 0 {
			time.Sleep(100 * time.Microsecond)
			continue
		}
		sent += s.sock.Transmit(descs)
	}
}

// String names the sender for logs.
func (s *QueueSender) String() string { return fmt.Sprintf("%s queue %d", s.link.Name, s.queue) }

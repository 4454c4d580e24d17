package xdp_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/bpf"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
	"github.com/sctp-xdp/sctp-xdp/xdp"
)

// sender is one of our sockets in the peer's namespace bound to one queue
// of the peer's veth end: veth hands what it transmits on queue i to receive
// queue i of our end. (bench/ has the same test with an asavie/xdp sender;
// asavie/xdp is not in xdp's import table.)
type sender struct {
	sock *xdp.Socket
}

func newSender(t testing.TB, peer *testbed.Link, queue int) *sender {
	t.Helper()
	s, err := xdp.NewSocket(xdp.Options{Ifindex: peer.Index, Queue: queue, NetNS: peer.NS.Path(), Frames: 1024})
	if err != nil {
		t.Fatalf("sender on queue %d: %v", queue, err)
	}
	t.Cleanup(func() { s.Close() })
	return &sender{sock: s}
}

// send transmits n frames built by build (into the buffer it is given,
// returning the length), reaping completions as it goes.
func (s *sender) send(t testing.TB, n int, build func(i int, b []byte) int) {
	t.Helper()
	descs := make([]xdp.Desc, 64)
	sent := 0
	deadline := time.Now().Add(30 * time.Second)
	for sent < n {
		if time.Now().After(deadline) {
			t.Fatalf("sender: %d of %d frames sent in 30 s", sent, n)
		}
		s.sock.Complete()
		k := 0
		for ; k < len(descs) && sent+k < n; k++ {
			d, ok := s.sock.Alloc()
			if !ok {
				break
			}
			d.Len = uint32(build(sent+k, s.sock.Data(d)))
			descs[k] = d
		}
		m, err := s.sock.Transmit(descs[:k])
		if err != nil {
			t.Fatal(err)
		}
		if err := s.sock.Free(descs[m:k]); err != nil {
			t.Fatal(err)
		}
		sent += m
	}
	waitCompleted(t, s.sock, 0)
}

// TestTwoQueues: a veth with two queues, each driven by its own sender
// bound to that queue: both of our sockets receive what was sent on their queue.
func TestTwoQueues(t *testing.T) {
	e := newEnv(t, testbed.VethConfig{Queues: 2}, xdp.Options{})
	const perQueue = 1000
	for q := 0; q < 2; q++ {
		s := newSender(t, e.peer, q)
		s.send(t, perQueue, func(i int, b []byte) int {
			payload := []byte(fmt.Sprintf("queue %d frame %d", q, i))
			return len(sctpFrame(b[:0], e.peer.MAC, e.ours.MAC, e.peer.IPv4, e.ours.IPv4, 40000, ourPort, 1, uint32(i), payload))
		})
	}
	// The hot path allocates nothing: receive and refill real frames.
	descs := make([]xdp.Desc, 64)
	total := 0
	allocs := testing.AllocsPerRun(10, func() {
		n := e.socks[0].Receive(descs)
		total += n
		if err := e.socks[0].Refill(descs[:n]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 || total == 0 {
		t.Errorf("Receive+Refill of %d frames: %v allocations per run", total, allocs)
	}
	for q, s := range e.socks {
		want := perQueue
		if q == 0 {
			want -= total
		}
		got := receive(t, s, 3*time.Second, perQueue)
		if len(got) != want {
			t.Errorf("queue %d: %d frames, want %d", q, len(got), want)
		}
		for _, f := range got {
			if want := fmt.Sprintf("queue %d frame", q); !containsString(f, want) {
				t.Errorf("queue %d received %q", q, f[len(f)-24:])
				break
			}
		}
		c := s.Counters()
		st, err := s.Statistics()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("queue %d: counters %+v, kernel %+v", q, c, st)
		if c.RXFrames == 0 {
			t.Errorf("queue %d: RX counter zero", q)
		}
	}
	if c, _ := e.prog.Counters(); c[bpf.Steered] != 2*perQueue {
		t.Errorf("program counters %v", c)
	}
}

func containsString(b []byte, s string) bool {
	for i := 0; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == s {
			return true
		}
	}
	return false
}

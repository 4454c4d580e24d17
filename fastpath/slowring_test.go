package fastpath

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// toSlowHandler sends every packet to the slow path, as the endpoint does
// with INITs that match no association.
type toSlowHandler struct{ echoHandler }

func (h *toSlowHandler) HandlePacket(c *Ctx, p *Packet) { c.ToSlowPath(p) }

// stuckSlow blocks in its first HandleSlow until release is closed.
type stuckSlow struct {
	release chan struct{}
	blocked atomic.Bool
	n       atomic.Int64
}

func (s *stuckSlow) HandleSlow(sp *SlowPath, p *Packet) {
	if s.blocked.CompareAndSwap(false, true) {
		<-s.release
	}
	s.n.Add(1)
}
func (s *stuckSlow) HandleRequest(sp *SlowPath, req any) {}

// TestSlowPathBackedUp: a slow path that stops draining costs the poller
// nothing but drops: once its transfer buffers are all queued there, the
// poller drops further INITs and counts them (no_buffer; the peers
// retransmit), keeps running, and every queued packet is handled, and the
// buffers come back, once the slow path moves again.
func TestSlowPathBackedUp(t *testing.T) {
	slow := &stuckSlow{release: make(chan struct{})}
	g, peers := newTestGroup(t, 1, &toSlowHandler{}, slow)
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	defer g.Stop()
	var once sync.Once
	release := func() { once.Do(func() { close(slow.release) }) }
	defer release() // before Stop, which waits for the slow path
	p := g.Pollers()[0]
	init := buildFrame(t, nil, frameOpts{vtag: 0, chunk: wire.ChunkInit})
	const total = xferPerPoll + 100
	deadline := time.Now().Add(20 * time.Second)
	for sent := 0; sent < total && time.Now().Before(deadline); {
		var f [1]Frame
		if peers[0].Alloc(f[:]) == 0 {
			time.Sleep(100 * time.Microsecond) // the poller has not released them yet
			continue
		}
		f[0].Len = copy(peers[0].Bytes(f[0]), init)
		before := peers[0].Sent()
		if peers[0].Transmit(f[:]); peers[0].Sent() == before {
			time.Sleep(100 * time.Microsecond) // the poller's RX ring is full: it drains it
			continue
		}
		sent++
	}
	for p.Stats().RxPackets < total && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	st := p.Stats()
	if st.RxPackets != total || st.ToSlowPath != xferPerPoll || st.Drops[DropNoBuffer] != total-xferPerPoll {
		t.Fatalf("received %d, to the slow path %d, dropped %d; want %d, %d, %d",
			st.RxPackets, st.ToSlowPath, st.Drops[DropNoBuffer], total, xferPerPoll, total-xferPerPoll)
	}
	release()
	for g.Slow().Handled() < xferPerPoll && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if h := g.Slow().Handled(); h != xferPerPoll || slow.n.Load() != xferPerPoll {
		t.Fatalf("slow path handled %d (%d), want %d", h, slow.n.Load(), xferPerPoll)
	}
	// The buffers came back: INITs go through again. (The first may still
	// be dropped: a poll takes the returned buffers back after its RX batch.)
	send(t, peers[0], init)
	for p.Stats().RxPackets < total+1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	send(t, peers[0], init)
	for g.Slow().Handled() < xferPerPoll+1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if h := g.Slow().Handled(); h < xferPerPoll+1 {
		t.Errorf("after the backlog: slow path handled %d, want at least %d", h, xferPerPoll+1)
	}
}

package relay

import (
	"container/heap"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/sys/unix"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// Impairment is what happens to SCTP frames in one direction.
type Impairment struct {
	Loss      float64       // probability a frame is dropped
	Duplicate float64       // probability a frame is sent twice
	Reorder   float64       // probability a frame is held back behind the next one
	Delay     time.Duration // added to every frame
	Jitter    time.Duration // uniform extra delay in [0, Jitter)
}

func (im Impairment) validate() error {
	for _, p := range []float64{im.Loss, im.Duplicate, im.Reorder} {
		if p < 0 || p > 1 {
			return fmt.Errorf("relay: probability %v outside [0, 1]", p)
		}
	}
	if im.Delay < 0 || im.Jitter < 0 {
		return errors.New("relay: negative delay or jitter")
	}
	return nil
}

// Config configures a relay between interfaces A and B of one namespace.
type Config struct {
	A, B     string     // interface names
	AtoB     Impairment // frames received on A, sent on B
	BtoA     Impairment
	Seed     uint64    // the random source; the same seed gives the same decisions for the same frames
	Pcap     io.Writer // optional: every frame as forwarded (duplicates twice, losses never)
	MaxFrame int       // largest frame; 9216 when zero
}

// Stats count one direction's frames.
type Stats struct {
	Received, Forwarded, Lost, Duplicated, Reordered uint64
}

// Relay forwards frames until Close.
type Relay struct {
	a, b   *port
	ab, ba *direction
	pcapMu sync.Mutex
	pcap   *pcapgo.Writer
	done   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
}

type port struct {
	fd    int
	index int
	name  string
}

// Start opens AF_PACKET sockets on A and B and starts forwarding. Call it
// from a thread inside the middle namespace (testbed's Netns.Do): the
// sockets belong to the namespace they are made in.
func Start(cfg Config) (*Relay, error) {
	if err := cfg.AtoB.validate(); err != nil {
		return nil, err
	}
	if err := cfg.BtoA.validate(); err != nil {
		return nil, err
	}
	if cfg.MaxFrame == 0 {
		cfg.MaxFrame = 9216
	}
	r := &Relay{done: make(chan struct{})}
	var err error
	if r.a, err = openPort(cfg.A); err != nil {
		return nil, err
	}
	if r.b, err = openPort(cfg.B); err != nil {
		unix.Close(r.a.fd)
		return nil, err
	}
	if cfg.Pcap != nil {
		r.pcap = pcapgo.NewWriter(cfg.Pcap)
		if err := r.pcap.WriteFileHeader(uint32(cfg.MaxFrame), layers.LinkTypeEthernet); err != nil {
			r.closeFDs()
			return nil, err
		}
	}
	r.ab = newDirection(r, r.a, r.b, cfg.AtoB, cfg.Seed, cfg.MaxFrame)
	r.ba = newDirection(r, r.b, r.a, cfg.BtoA, cfg.Seed^0x9e3779b97f4a7c15, cfg.MaxFrame)
	for _, d := range []*direction{r.ab, r.ba} {
		r.wg.Add(2)
		go d.receive()
		go d.send()
	}
	return r, nil
}

func openPort(name string) (*port, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		return nil, fmt.Errorf("relay: AF_PACKET socket: %w", err)
	}
	p := &port{fd: fd, index: ifi.Index, name: name}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("relay: bind %s: %w", name, err)
	}
	// Our own transmissions on this interface are not frames to forward.
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("relay: PACKET_IGNORE_OUTGOING: %w", err)
	}
	// Frames to any MAC: the relay is a wire, not a host.
	mreq := unix.PacketMreq{Ifindex: int32(ifi.Index), Type: unix.PACKET_MR_PROMISC}
	if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("relay: promiscuous %s: %w", name, err)
	}
	// A receive timeout lets the receiving goroutine notice Close.
	tv := unix.Timeval{Usec: 100_000}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return p, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// Stats returns the counters of A→B and B→A.
func (r *Relay) Stats() (aToB, bToA Stats) { return r.ab.stats(), r.ba.stats() }

// Close stops forwarding (frames still delayed are dropped) and closes the sockets.
func (r *Relay) Close() error {
	r.once.Do(func() {
		close(r.done)
		r.ab.wake()
		r.ba.wake()
		r.wg.Wait()
		r.closeFDs()
	})
	return nil
}

func (r *Relay) closeFDs() {
	for _, p := range []*port{r.a, r.b} {
		if p != nil {
			unix.Close(p.fd)
		}
	}
}

func (r *Relay) record(frame []byte, at time.Time) {
	if r.pcap == nil {
		return
	}
	r.pcapMu.Lock()
	defer r.pcapMu.Unlock()
	r.pcap.WritePacket(gopacket.CaptureInfo{Timestamp: at, CaptureLength: len(frame), Length: len(frame)}, frame)
}

// direction forwards the frames of one port to the other: a receiving
// goroutine decides each frame's fate and due time, a sending goroutine sends
// them in due order.
type direction struct {
	r        *Relay
	from, to *port
	im       Impairment
	rng      *rand.Rand
	maxFrame int

	mu     sync.Mutex
	queue  frameHeap
	seq    uint64
	held   *pending // a frame held back to be sent after the next one
	kick   chan struct{}
	counts [5]atomic.Uint64
}

const (
	cReceived = iota
	cForwarded
	cLost
	cDuplicated
	cReordered
)

type pending struct {
	due   time.Time
	seq   uint64
	frame []byte
}

type frameHeap []*pending

func (h frameHeap) Len() int { return len(h) }
func (h frameHeap) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].seq < h[j].seq
}
func (h frameHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *frameHeap) Push(x any)   { *h = append(*h, x.(*pending)) }
func (h *frameHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func newDirection(r *Relay, from, to *port, im Impairment, seed uint64, maxFrame int) *direction {
	return &direction{r: r, from: from, to: to, im: im, rng: rand.New(rand.NewPCG(seed, seed>>1|1)),
		maxFrame: maxFrame, kick: make(chan struct{}, 1)}
}

func (d *direction) stats() Stats {
	return Stats{Received: d.counts[cReceived].Load(), Forwarded: d.counts[cForwarded].Load(),
		Lost: d.counts[cLost].Load(), Duplicated: d.counts[cDuplicated].Load(), Reordered: d.counts[cReordered].Load()}
}

func (d *direction) wake() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

func (d *direction) receive() {
	defer d.r.wg.Done()
	buf := make([]byte, d.maxFrame)
	for {
		select {
		case <-d.r.done:
			return
		default:
		}
		n, _, err := unix.Recvfrom(d.from.fd, buf, 0)
		if err != nil {
			continue // timeout (to check done) or a transient error
		}
		d.counts[cReceived].Add(1)
		d.decide(append([]byte(nil), buf[:n]...), time.Now())
	}
}

// isSCTP tells the frames impairment applies to.
func isSCTP(frame []byte) bool {
	f, err := wire.ParseFrame(frame)
	return err == nil && f.Protocol == wire.IPProtocolSCTP
}

// decide draws the frame's fate; only SCTP frames are impaired.
func (d *direction) decide(frame []byte, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !isSCTP(frame) {
		d.enqueue(frame, now)
		return
	}
	im := d.im
	if im.Loss > 0 && d.rng.Float64() < im.Loss {
		d.counts[cLost].Add(1)
		return
	}
	due := now.Add(im.Delay)
	if im.Jitter > 0 {
		due = due.Add(time.Duration(d.rng.Int64N(int64(im.Jitter))))
	}
	copies := 1
	if im.Duplicate > 0 && d.rng.Float64() < im.Duplicate {
		copies = 2
		d.counts[cDuplicated].Add(1)
	}
	if d.held == nil && im.Reorder > 0 && d.rng.Float64() < im.Reorder {
		d.counts[cReordered].Add(1)
		d.held = &pending{due: due, frame: frame}
		return
	}
	for i := 0; i < copies; i++ {
		d.enqueue(frame, due)
	}
	if h := d.held; h != nil { // the held frame follows the one that overtook it
		d.held = nil
		d.enqueue(h.frame, due)
	}
}

func (d *direction) enqueue(frame []byte, due time.Time) {
	d.seq++
	heap.Push(&d.queue, &pending{due: due, seq: d.seq, frame: frame})
	d.wake()
}

func (d *direction) send() {
	defer d.r.wg.Done()
	sa := &unix.SockaddrLinklayer{Ifindex: d.to.index}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		d.mu.Lock()
		var next *pending
		wait := time.Hour
		if len(d.queue) > 0 {
			if w := time.Until(d.queue[0].due); w <= 0 {
				next = heap.Pop(&d.queue).(*pending)
			} else {
				wait = w
			}
		} else if d.held != nil && time.Since(d.held.due) > 200*time.Millisecond {
			// Nothing overtook the held frame in a while: let it go.
			next, d.held = d.held, nil
		} else if d.held != nil {
			wait = 50 * time.Millisecond
		}
		d.mu.Unlock()
		if next != nil {
			if err := unix.Sendto(d.to.fd, next.frame, 0, sa); err == nil {
				d.counts[cForwarded].Add(1)
				d.r.record(next.frame, time.Now())
			}
			continue
		}
		timer.Reset(wait)
		select {
		case <-d.r.done:
			return
		case <-d.kick:
		case <-timer.C:
		}
	}
}

package fastpath

import (
	"bytes"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sctp-xdp/sctp-xdp/bpf"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
	"github.com/sctp-xdp/sctp-xdp/wire"
	"github.com/sctp-xdp/sctp-xdp/xdp"
)

const xskPort = 5000

// xskEnv is our end of a veth with the XDP program attached, an endpoint on
// port 5000 (IPv4 and IPv6) and one socket and poller per queue.
type xskEnv struct {
	ours, peer *testbed.Link
	prog       *bpf.Program
	links      []*XSKLink
	group      *Group
}

func newXSKEnv(t *testing.T, queues int, h Handler) *xskEnv {
	testbed.RequirePriv(t)
	na, nb := testbed.NewNetns(t), testbed.NewNetns(t)
	e := &xskEnv{}
	e.ours, e.peer = testbed.NewVeth(t, na, nb, testbed.VethConfig{Queues: queues})
	prog, err := bpf.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	e.prog = prog
	t.Cleanup(func() { prog.Close() })
	if err := prog.Attach(bpf.AttachOptions{Ifindex: e.ours.Index, NetNS: na.Path()}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []netip.Addr{e.ours.IPv4, e.ours.IPv6} {
		if err := prog.AddEndpoint(bpf.Endpoint{Addr: a, Port: xskPort}); err != nil {
			t.Fatal(err)
		}
	}
	var cfgs []PollerConfig
	for q := 0; q < queues; q++ {
		s, err := xdp.NewSocket(xdp.Options{Ifindex: e.ours.Index, Queue: q, NetNS: na.Path()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := prog.RegisterSocket(q, s.FD()); err != nil {
			t.Fatal(err)
		}
		l, err := NewXSKLink(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		e.links = append(e.links, l)
		cfgs = append(cfgs, PollerConfig{Link: l, Queue: q, Handler: h})
	}
	if e.group, err = NewGroup(GroupConfig{Pollers: cfgs}); err != nil {
		t.Fatal(err)
	}
	return e
}

// payloadEcho answers each DATA chunk with a DATA chunk carrying the same
// payload, to the frame's link-layer source.
type payloadEcho struct {
	mu   sync.Mutex
	seen []seen
}

func (h *payloadEcho) HandlePacket(c *Ctx, p *Packet) {
	h.mu.Lock()
	h.seen = append(h.seen, seen{poller: c.Poller(), from: p.Poller, forwarded: p.Forwarded, vtag: p.SCTP.VerificationTag()})
	h.mu.Unlock()
	it := p.SCTP.Chunks()
	for ch, ok := it.Next(); ok; ch, ok = it.Next() {
		if ch.Type() != wire.ChunkData {
			continue
		}
		b := echoPacket(c, p, wire.DataChunk(ch))
		if b == nil {
			return
		}
		c.Reply(p, b)
	}
}

// echoPacket builds, in a new TX packet, the packet that returns d to p's
// sender (ports swapped, p's tag kept); nil when no frame is free.
func echoPacket(c *Ctx, p *Packet, d wire.DataChunk) []byte {
	b := c.NewPacket()
	if b == nil {
		return nil
	}
	var w wire.Builder
	w.Start(b, p.SCTP.DstPort(), p.SCTP.SrcPort(), p.SCTP.VerificationTag())
	w.Data(wire.FlagBeginning|wire.FlagEnd, d.TSN(), d.StreamID(), d.SSN(), d.PPID(), d.Payload())
	b, _ = w.Finish()
	return b
}
func (h *payloadEcho) HandleICMP(c *Ctx, m *ICMP)    {}
func (h *payloadEcho) HandleControl(c *Ctx, msg any) {}
func (h *payloadEcho) HandleTimer(c *Ctx, t *Timer)  {}
func (h *payloadEcho) Flush(c *Ctx)                  {}

// sctpPacket is an SCTP packet with one DATA chunk.
func sctpPacket(vtag, tsn uint32, payload []byte) []byte {
	var w wire.Builder
	w.Start(nil, 40000, xskPort, vtag)
	w.Data(wire.FlagBeginning|wire.FlagEnd, tsn, 0, 0, 51, payload)
	b, _ := w.Finish()
	return b
}

// TestXSKEchoesPayload: SCTP from the peer's kernel (a raw IP socket, IPv4
// and IPv6) reaches the poller through the XDP program and our AF_XDP
// socket; the stub handler's echo comes back byte for byte.
func TestXSKEchoesPayload(t *testing.T) {
	h := &payloadEcho{}
	e := newXSKEnv(t, 1, h)
	if err := e.group.Start(); err != nil {
		t.Fatal(err)
	}
	defer e.group.Stop()
	for _, fam := range []struct {
		name     string
		domain   int
		dst      netip.Addr
		ipHeader int // raw IPv4 sockets deliver the IP header; IPv6 ones do not
	}{{"IPv4", unix.AF_INET, e.ours.IPv4, 20}, {"IPv6", unix.AF_INET6, e.ours.IPv6, 0}} {
		t.Run(fam.name, func(t *testing.T) {
			var fd int
			if err := e.peer.NS.Do(func() (err error) {
				fd, err = unix.Socket(fam.domain, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(wire.IPProtocolSCTP))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fd)
			tv := unix.Timeval{Sec: 5}
			unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
			var sa unix.Sockaddr = &unix.SockaddrInet6{Addr: fam.dst.As16()}
			if fam.dst.Is4() {
				sa = &unix.SockaddrInet4{Addr: fam.dst.As4()}
			}
			buf := make([]byte, 4096)
			for i := 0; i < 100; i++ {
				payload := bytes.Repeat([]byte{byte(i)}, 1+i*13)
				if err := unix.Sendto(fd, sctpPacket(0x1000+uint32(i), uint32(i), payload), 0, sa); err != nil {
					t.Fatal(err)
				}
				n, _, err := unix.Recvfrom(fd, buf, 0)
				if err != nil {
					t.Fatalf("message %d: no echo: %v (poller %+v)", i, err, e.group.Pollers()[0].Stats())
				}
				s, err := wire.ParseSCTP(buf[fam.ipHeader:n])
				if err != nil {
					t.Fatalf("echo %d: %v", i, err)
				}
				ch, _ := s.FirstChunk()
				if ch.Type() != wire.ChunkData || !bytes.Equal(wire.DataChunk(ch).Payload(), payload) ||
					s.SrcPort() != xskPort || s.DstPort() != 40000 {
					t.Fatalf("echo %d: %v from port %d, payload %d bytes", i, ch.Type(), s.SrcPort(), len(wire.DataChunk(ch).Payload()))
				}
			}
		})
	}
	st := e.group.Pollers()[0].Stats()
	if st.RxPackets != 200 || st.TxPackets != 200 {
		t.Errorf("poller stats %+v", st)
	}
	for r, n := range st.Drops {
		if n != 0 {
			t.Errorf("%d drops for %s", n, DropReason(r))
		}
	}
}

// TestXSKTwoQueuesRouteByOwner: a veth with two queues, each driven by an
// asavie/xdp sender bound to that queue; every frame is tagged for the
// poller of the other queue and must be handled there, forwarded.
func TestXSKTwoQueuesRouteByOwner(t *testing.T) {
	h := &payloadEcho{}
	e := newXSKEnv(t, 2, h)
	const perQueue = 500
	for q := 0; q < 2; q++ {
		s := testbed.NewQueueSender(t, e.peer, q)
		other := uint32(1 - q)
		s.Send(t, perQueue, func(i int, b []byte) int {
			return len(ethFrame(b[:0], e.peer, e.ours, sctpPacket(0xabcd0000|uint32(i)<<1|other, uint32(i), []byte("x"))))
		})
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, p := range e.group.Pollers() {
			p.Poll()
		}
		h.mu.Lock()
		n := len(h.seen)
		h.mu.Unlock()
		if n == 2*perQueue {
			break
		}
		time.Sleep(time.Millisecond)
	}
	counts := map[string]int{}
	for _, s := range h.seen {
		counts[fmt.Sprintf("handled on %d, received on %d, forwarded %v", s.poller, s.from, s.forwarded)]++
		if s.poller != OwnerOf(s.vtag, e.group.OwnerBits()) {
			t.Fatalf("vtag %#x handled on poller %d", s.vtag, s.poller)
		}
	}
	if counts["handled on 0, received on 1, forwarded true"] != perQueue ||
		counts["handled on 1, received on 0, forwarded true"] != perQueue {
		t.Errorf("routing: %v", counts)
	}
	for q, p := range e.group.Pollers() {
		st := p.Stats()
		if st.ForwardedOut != perQueue || st.ForwardedIn != perQueue {
			t.Errorf("poller %d: %+v", q, st)
		}
	}
}

// TestXSKPollAllocs: a batch through the AF_XDP link allocates nothing.
func TestXSKPollAllocs(t *testing.T) {
	h := &nopHandler{}
	e := newXSKEnv(t, 1, h)
	s := testbed.NewQueueSender(t, e.peer, 0)
	const runs, batch = 10, 64
	s.Send(t, (runs+1)*batch, func(i int, b []byte) int {
		return len(ethFrame(b[:0], e.peer, e.ours, sctpPacket(0x100, uint32(i), []byte("allocs"))))
	})
	p := e.group.Pollers()[0]
	allocs := testing.AllocsPerRun(runs, func() { p.Poll() })
	if allocs != 0 {
		t.Errorf("%.1f allocations per batch", allocs)
	}
	if h.n != (runs+1)*batch {
		t.Errorf("handled %d packets, want %d", h.n, (runs+1)*batch)
	}
}

// ethFrame appends Ethernet and IPv4 headers from l to r around an SCTP packet.
func ethFrame(b []byte, from, to *testbed.Link, sctp []byte) []byte {
	eth := wire.EthernetHeader{Destination: [6]byte(to.MAC), Source: [6]byte(from.MAC), EtherType: wire.EtherTypeIPv4}
	b = wire.AppendEthernet(b, &eth)
	b, _, _ = wire.AppendIPv4Header(b, &wire.IPv4Fields{TTL: 64, Protocol: wire.IPProtocolSCTP,
		Source: from.IPv4.As4(), Destination: to.IPv4.As4()})
	b = append(b, sctp...)
	wire.FinishIPv4(b, wire.EthernetHeaderLen)
	return b
}

package fastpath

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sctp-xdp/sctp-xdp/bpf"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
	"github.com/sctp-xdp/sctp-xdp/wire"
)

// sendEcho answers DATA with the same payload through Ctx.Send: the route
// cache gives the next hop (the association path, not a stateless reply).
type sendEcho struct{ payloadEcho }

func (h *sendEcho) HandlePacket(c *Ctx, p *Packet) {
	ch, _ := p.SCTP.FirstChunk()
	if ch.Type() != wire.ChunkData {
		return
	}
	if b := echoPacket(c, p, wire.DataChunk(ch)); b != nil {
		c.Send(b, p.Frame.Destination, p.Frame.Source, 0) // may be pending: the peer retries
	}
}

// peerSocket is a raw SCTP socket in the peer's namespace.
func peerSocket(t *testing.T, peer *testbed.Link, v6 bool) int {
	domain := unix.AF_INET
	if v6 {
		domain = unix.AF_INET6
	}
	var fd int
	if err := peer.NS.Do(func() (err error) {
		fd, err = unix.Socket(domain, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(wire.IPProtocolSCTP))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	tv := unix.Timeval{Usec: 200_000}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	return fd
}

// echoes sends a DATA to dst:port until its echo comes back (bounded).
func echoes(t *testing.T, fd int, dst netip.Addr, port uint16) bool {
	var sa unix.Sockaddr = &unix.SockaddrInet6{Addr: dst.As16()}
	hdr := 0
	if dst.Is4() {
		sa, hdr = &unix.SockaddrInet4{Addr: dst.As4()}, 20
	}
	var w wire.Builder
	w.Start(nil, 40000, port, 0x1234)
	payload := []byte("runtime " + dst.String())
	w.Data(wire.FlagBeginning|wire.FlagEnd, 1, 0, 0, 0, payload)
	pkt, _ := w.Finish()
	buf := make([]byte, 2048)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if err := unix.Sendto(fd, pkt, 0, sa); err != nil {
			t.Fatal(err)
		}
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			continue // the neighbour was still being resolved: try again
		}
		s, err := wire.ParseSCTP(buf[hdr:n])
		if err != nil || s.SrcPort() != port {
			continue
		}
		if ch, _ := s.FirstChunk(); ch.Type() == wire.ChunkData && bytes.Equal(wire.DataChunk(ch).Payload(), payload) {
			return true
		}
	}
	return false
}

// TestRuntime: the runtime attaches, opens a socket and a poller per queue
// and follows the interface's addresses for a wildcard endpoint; replies
// leave through the route cache; a second runtime on the interface is
// refused; Close detaches.
func TestRuntime(t *testing.T) {
	testbed.RequirePriv(t)
	na, nb := testbed.NewNetns(t), testbed.NewNetns(t)
	ours, peer := testbed.NewVeth(t, na, nb, testbed.VethConfig{Queues: 2})
	r, err := OpenRuntime(RuntimeConfig{Interface: ours.Name, NetNS: na.Path(),
		NewHandler: func(int) Handler { return &sendEcho{} }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n := len(r.Group().Pollers()); n != 2 {
		t.Errorf("%d pollers for 2 queues", n)
	}
	if _, err := OpenRuntime(RuntimeConfig{Interface: ours.Name, NetNS: na.Path(),
		NewHandler: func(int) Handler { return &sendEcho{} }}); !errors.Is(err, ErrRuntimeExists) {
		t.Errorf("second runtime on the interface: %v", err)
	}
	for _, a := range []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified()} {
		if err := r.AddEndpoint(a, xskPort); err != nil {
			t.Fatal(err)
		}
	}
	fd4, fd6 := peerSocket(t, peer, false), peerSocket(t, peer, true)
	if !echoes(t, fd4, ours.IPv4, xskPort) || !echoes(t, fd6, ours.IPv6, xskPort) {
		t.Fatalf("no echo through the runtime; program counters %v", counters(r))
	}
	// An address added to the interface is covered by the wildcard.
	a4 := ours.IPv4.As4()
	a4[3] = 50
	extra := netip.AddrFrom4(a4)
	na.Run(t, "ip", "addr", "add", extra.String()+"/24", "dev", ours.Name)
	if !echoes(t, fd4, extra, xskPort) {
		t.Errorf("no echo from an address added at run time; counters %v", counters(r))
	}
	// Removed, it is not ours any more: the kernel gets the packet.
	na.Run(t, "ip", "addr", "del", extra.String()+"/24", "dev", ours.Name)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && r.hasLocal(extra) {
		time.Sleep(10 * time.Millisecond)
	}
	if r.hasLocal(extra) {
		t.Errorf("%v still local after its removal", extra)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if out := na.Run(t, "ip", "link", "show", "dev", ours.Name); strings.Contains(out, "xdp") {
		t.Errorf("XDP still attached after Close:\n%s", out)
	}
	// The interface can be run again.
	r2, err := OpenRuntime(RuntimeConfig{Interface: ours.Name, NetNS: na.Path(), Queues: 1,
		NewHandler: func(int) Handler { return &sendEcho{} }})
	if err != nil {
		t.Fatalf("reopening: %v", err)
	}
	r2.Close()
}

func (r *Runtime) hasLocal(a netip.Addr) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.locals[a]
}

func counters(r *Runtime) bpf.Counters {
	c, _ := r.Program().Counters()
	return c
}

func TestRuntimeConfigErrors(t *testing.T) {
	if _, err := OpenRuntime(RuntimeConfig{}); !errors.Is(err, ErrRuntimeConfig) {
		t.Errorf("empty config: %v", err)
	}
	if _, err := OpenRuntime(RuntimeConfig{Interface: "sx-no-such-if", NewHandler: func(int) Handler { return &nopHandler{} }}); err == nil {
		t.Error("missing interface accepted")
	}
}

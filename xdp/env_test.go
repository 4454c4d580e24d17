package xdp_test

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/bpf"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
	"github.com/sctp-xdp/sctp-xdp/xdp"
)

const ourPort = 5000

// env is a veth pair between our namespace (program attached, one socket
// per queue, endpoints registered on our addresses) and a peer namespace.
type env struct {
	ours, peer *testbed.Link
	prog       *bpf.Program
	socks      []*xdp.Socket
}

func newEnv(t *testing.T, cfg testbed.VethConfig, opts xdp.Options) *env {
	t.Helper()
	testbed.RequirePriv(t)
	a, b := testbed.NewNetns(t), testbed.NewNetns(t)
	ours, peer := testbed.NewVeth(t, a, b, cfg)
	prog, err := bpf.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prog.Close() })
	if err := prog.Attach(bpf.AttachOptions{Ifindex: ours.Index, NetNS: a.Path()}); err != nil {
		t.Fatal(err)
	}
	if prog.Mode() != bpf.ModeNative {
		t.Fatalf("veth attached in %v mode (native refused: %v)", prog.Mode(), prog.NativeRefused())
	}
	e := &env{ours: ours, peer: peer, prog: prog}
	o := opts
	o.Ifindex, o.NetNS = ours.Index, a.Path()
	socks, err := xdp.NewQueueSockets(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(socks) != max(cfg.Queues, 1) {
		t.Fatalf("%d sockets for %d queues", len(socks), max(cfg.Queues, 1))
	}
	for q, s := range socks {
		t.Cleanup(func() { s.Close() })
		if s.ZeroCopy() {
			t.Errorf("veth queue %d bound zero-copy", q)
		}
		if n := s.Fill(1024); n != 1024 {
			t.Fatalf("Fill gave %d frames, want 1024", n)
		}
		if err := prog.RegisterSocket(q, s.FD()); err != nil {
			t.Fatal(err)
		}
	}
	e.socks = socks
	for _, a := range []netip.Addr{ours.IPv4, ours.IPv6} {
		if err := prog.AddEndpoint(bpf.Endpoint{Addr: a, Port: ourPort}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// scapySend sends one frame from the peer with scapy, built from layers (a
// scapy expression for what follows Ether()/IP()), and returns its bytes.
func (e *env) scapySend(t *testing.T, dst netip.Addr, layers string) []byte {
	t.Helper()
	ipl := fmt.Sprintf("IP(src=%q, dst=%q)", e.peer.IPv4, dst)
	if dst.Is6() {
		ipl = fmt.Sprintf("IPv6(src=%q, dst=%q)", e.peer.IPv6, dst)
	}
	script := fmt.Sprintf(`
import sys
from scapy.all import Ether, IP, IPv6, TCP, UDP, ICMP, Raw, sendp
from scapy.layers.sctp import SCTP, SCTPChunkData, SCTPChunkInit
from scapy.layers.inet6 import ICMPv6PacketTooBig
p = Ether(src=%q, dst=%q)/%s/%s
b = bytes(p)
sendp(p, iface=%q, verbose=False)
sys.stdout.write("FRAME:" + b.hex() + "\n")
`, e.peer.MAC.String(), e.ours.MAC.String(), ipl, layers, e.peer.Name)
	out := e.peer.NS.Run(t, testbed.Python3, "-c", script)
	i := strings.Index(out, "FRAME:")
	if i < 0 {
		t.Fatalf("scapy printed no frame: %s", out)
	}
	line := strings.Fields(out[i+len("FRAME:"):])[0]
	b, err := hex.DecodeString(line)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// receive collects what the socket receives within d, refilling as it goes.
func receive(t *testing.T, s *xdp.Socket, d time.Duration, want int) [][]byte {
	t.Helper()
	var got [][]byte
	descs := make([]xdp.Desc, 64)
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) && len(got) < want {
		if _, err := s.Poll(20); err != nil {
			t.Fatal(err)
		}
		n := s.Receive(descs)
		for _, d := range descs[:n] {
			got = append(got, append([]byte(nil), s.Data(d)...))
		}
		if err := s.Refill(descs[:n]); err != nil {
			t.Fatal(err)
		}
	}
	return got
}

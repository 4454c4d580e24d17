package bpf

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// XDP actions (linux/bpf.h enum xdp_action).
const (
	xdpDrop = 1
	xdpPass = 2
)

var (
	our4   = netip.MustParseAddr("198.18.0.1")
	peer4  = netip.MustParseAddr("198.18.0.2")
	other4 = netip.MustParseAddr("198.18.0.3")
	our6   = netip.MustParseAddr("2001:2::1")
	peer6  = netip.MustParseAddr("2001:2::2")
	other6 = netip.MustParseAddr("2001:2::3")
	// transit addresses are not the host's: traffic to them only passes
	// through (a router, a bridge), and wildcard endpoints must not take it.
	transit4 = netip.MustParseAddr("198.18.0.9")
	transit6 = netip.MustParseAddr("2001:2::9")
)

const (
	ourPort  = 5000
	anyPort  = 6000 // registered on the wildcard address
	peerPort = 40000
)

func loadForTest(t *testing.T) *Program {
	t.Helper()
	testbed.RequirePriv(t)
	p, err := Load(&LoadOptions{LogVerifier: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	for _, e := range []Endpoint{
		{our4, ourPort}, {our6, ourPort},
		{netip.IPv4Unspecified(), anyPort}, {netip.IPv6Unspecified(), anyPort},
	} {
		if err := p.AddEndpoint(e); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []netip.Addr{our4, other4, our6, other6} {
		if err := p.AddLocalAddr(a); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// run feeds frame to the program (BPF_PROG_TEST_RUN) and returns the action
// and the one counter that moved.
func run(t *testing.T, p *Program, frame []byte) (uint32, Reason) {
	t.Helper()
	before, err := p.Counters()
	if err != nil {
		t.Fatal(err)
	}
	act, err := p.XDPProgram().Run(&ebpf.RunOptions{Data: frame})
	if err != nil {
		t.Fatal(err)
	}
	after, err := p.Counters()
	if err != nil {
		t.Fatal(err)
	}
	moved := Reason(NumReasons)
	for r := Reason(0); r < NumReasons; r++ {
		switch d := after[r] - before[r]; d {
		case 0:
		case 1:
			if moved != NumReasons {
				t.Fatalf("counters %v and %v both moved", moved, r)
			}
			moved = r
		default:
			t.Fatalf("counter %v moved by %d", r, d)
		}
	}
	if moved == NumReasons {
		t.Fatal("no counter moved")
	}
	return act, moved
}

func TestProgramClassifies(t *testing.T) {
	p := loadForTest(t)
	v4 := func(src, dst netip.Addr, proto byte, payload []byte) []byte {
		return ether(0x0800, ipv4(src, dst, proto, 0, nil, payload))
	}
	v6 := func(src, dst netip.Addr, proto byte, payload []byte) []byte {
		return ether(0x86dd, ipv6(src, dst, proto, nil, payload))
	}
	opts := []byte{0x94, 4, 0, 0, 1, 1, 1, 0}  // router alert, NOPs, end
	hbh := ext{0, []byte{1, 4, 0, 0, 0, 0}}    // hop-by-hop: PadN
	dst := ext{60, []byte{1, 4, 0, 0, 0, 0}}   // destination options
	rt := ext{43, []byte{0, 0, 0, 0, 0, 0}}    // routing, segments left 0
	ah := ext{51, make([]byte, 22)}            // AH with a 12-byte ICV
	frag0 := ext{44, []byte{0, 1, 0, 0, 0, 7}} // offset 0, M=1
	frag8 := ext{44, []byte{0, 8, 0, 0, 0, 7}} // offset 8, M=0
	sixExts := []ext{hbh, dst, rt, dst, rt, dst}
	sevenExts := []ext{hbh, dst, rt, dst, rt, dst, rt}
	quote4 := func(src, dst netip.Addr, sport, dport uint16) []byte {
		return ipv4(src, dst, 132, 0x4000, nil, sctp(sport, dport)[:8])
	}
	quote6 := func(src, dst netip.Addr, sport, dport uint16) []byte {
		return ipv6(src, dst, 132, nil, sctp(sport, dport)[:8])
	}
	arp := ether(0x0806, make([]byte, 28))

	cases := []struct {
		name  string
		frame []byte
		act   uint32
		why   Reason
	}{
		{"v4 sctp ours", v4(peer4, our4, 132, sctp(peerPort, ourPort)), xdpPass, NoSocket},
		{"v4 sctp wildcard", v4(peer4, other4, 132, sctp(peerPort, anyPort)), xdpPass, NoSocket},
		{"v4 sctp other port", v4(peer4, our4, 132, sctp(peerPort, ourPort+1)), xdpPass, NotOurs},
		{"v4 sctp other address", v4(peer4, other4, 132, sctp(peerPort, ourPort)), xdpPass, NotOurs},
		{"v4 sctp wildcard port at our address", v4(peer4, our4, 132, sctp(peerPort, anyPort)), xdpPass, NoSocket},
		{"v4 options", ether(0x0800, ipv4(peer4, our4, 132, 0, opts, sctp(peerPort, ourPort))), xdpPass, NoSocket},
		{"802.1Q", ether(0x0800, ipv4(peer4, our4, 132, 0, nil, sctp(peerPort, ourPort)), 0x8100), xdpPass, NoSocket},
		{"802.1ad+802.1Q", ether(0x86dd, ipv6(peer6, our6, 132, nil, sctp(peerPort, ourPort)), 0x88a8, 0x8100), xdpPass, NoSocket},
		{"three VLAN tags", ether(0x0800, ipv4(peer4, our4, 132, 0, nil, sctp(peerPort, ourPort)), 0x88a8, 0x8100, 0x8100), xdpPass, NotSCTP},
		{"v4 sctp truncated", v4(peer4, our4, 132, sctp(peerPort, ourPort)[:11]), xdpPass, Malformed},
		{"v4 header truncated", ether(0x0800, ipv4(peer4, our4, 132, 0, nil, nil)[:19]), xdpPass, Malformed},
		{"v4 bad IHL", ether(0x0800, append([]byte{0x44}, ipv4(peer4, our4, 132, 0, nil, sctp(peerPort, ourPort))[1:]...)), xdpPass, Malformed},
		{"v4 first fragment", ether(0x0800, ipv4(peer4, our4, 132, 0x2000, nil, sctp(peerPort, ourPort))), xdpDrop, Fragment},
		{"v4 later fragment", ether(0x0800, ipv4(peer4, our4, 132, 0x0003, nil, make([]byte, 16))), xdpDrop, Fragment},
		{"v4 fragment to the wildcard family", ether(0x0800, ipv4(peer4, other4, 132, 0x2000, nil, sctp(peerPort, 9))), xdpDrop, Fragment},
		{"v4 udp fragment", ether(0x0800, ipv4(peer4, our4, 17, 0x2000, nil, l4ports(1, ourPort, 16))), xdpPass, NotSCTP},
		{"v4 tcp", v4(peer4, our4, 6, l4ports(peerPort, ourPort, 20)), xdpPass, NotSCTP},
		{"v4 udp", v4(peer4, our4, 17, l4ports(peerPort, ourPort, 8)), xdpPass, NotSCTP},
		{"v4 icmp echo", v4(peer4, our4, 1, icmpErr(8, 0, make([]byte, 8))), xdpPass, NotSCTP},
		{"arp", arp, xdpPass, NotSCTP},
		{"v4 icmp unreachable about ours", v4(other4, our4, 1, icmpErr(3, 4, quote4(our4, peer4, ourPort, peerPort))), xdpPass, NoSocket},
		{"v4 icmp time exceeded about wildcard", v4(other4, our4, 1, icmpErr(11, 0, quote4(other4, peer4, anyPort, peerPort))), xdpPass, NoSocket},
		{"v4 icmp about another source port", v4(other4, our4, 1, icmpErr(3, 4, quote4(our4, peer4, ourPort+1, peerPort))), xdpPass, NotSCTP},
		{"v4 icmp about a packet to us", v4(other4, our4, 1, icmpErr(3, 4, quote4(peer4, our4, peerPort, ourPort))), xdpPass, NotSCTP},
		{"v4 icmp about udp", v4(other4, our4, 1, icmpErr(3, 3, ipv4(our4, peer4, 17, 0, nil, l4ports(ourPort, peerPort, 8)))), xdpPass, NotSCTP},
		{"v4 icmp quote truncated", v4(other4, our4, 1, icmpErr(3, 4, quote4(our4, peer4, ourPort, peerPort)[:24])), xdpPass, Malformed},
		{"v6 sctp ours", v6(peer6, our6, 132, sctp(peerPort, ourPort)), xdpPass, NoSocket},
		{"v6 sctp wildcard", v6(peer6, other6, 132, sctp(peerPort, anyPort)), xdpPass, NoSocket},
		{"v6 sctp other port", v6(peer6, our6, 132, sctp(peerPort, ourPort+1)), xdpPass, NotOurs},
		{"v6 sctp v4 address family", v6(peer6, other6, 132, sctp(peerPort, ourPort)), xdpPass, NotOurs},
		{"v6 ext headers", ether(0x86dd, ipv6(peer6, our6, 132, []ext{hbh, dst, rt, ah}, sctp(peerPort, ourPort))), xdpPass, NoSocket},
		{"v6 six ext headers", ether(0x86dd, ipv6(peer6, our6, 132, sixExts, sctp(peerPort, ourPort))), xdpPass, NoSocket},
		{"v6 seven ext headers", ether(0x86dd, ipv6(peer6, our6, 132, sevenExts, sctp(peerPort, ourPort))), xdpPass, Malformed},
		{"v6 ext header truncated", ether(0x86dd, ipv6(peer6, our6, 132, []ext{hbh}, nil)[:44]), xdpPass, Malformed},
		{"v6 first fragment", ether(0x86dd, ipv6(peer6, our6, 132, []ext{hbh, frag0}, sctp(peerPort, ourPort))), xdpDrop, Fragment},
		{"v6 later fragment", ether(0x86dd, ipv6(peer6, our6, 132, []ext{frag8}, make([]byte, 16))), xdpDrop, Fragment},
		{"v6 fragment elsewhere", ether(0x86dd, ipv6(peer6, other6, 132, []ext{frag8}, make([]byte, 16))), xdpDrop, Fragment},
		{"v6 tcp", v6(peer6, our6, 6, l4ports(peerPort, ourPort, 20)), xdpPass, NotSCTP},
		{"v6 udp", v6(peer6, our6, 17, l4ports(peerPort, ourPort, 8)), xdpPass, NotSCTP},
		{"v6 neighbour solicitation", v6(peer6, our6, 58, append([]byte{135, 0, 0, 0}, make([]byte, 20)...)), xdpPass, NotSCTP},
		{"v6 echo", v6(peer6, our6, 58, icmpErr(128, 0, make([]byte, 8))), xdpPass, NotSCTP},
		{"v4 sctp wildcard port to a transit address", v4(peer4, transit4, 132, sctp(peerPort, anyPort)), xdpPass, NotOurs},
		{"v4 sctp wildcard port to broadcast", v4(peer4, netip.AddrFrom4([4]byte{255, 255, 255, 255}), 132, sctp(peerPort, anyPort)), xdpPass, NotOurs},
		{"v6 sctp wildcard port to a transit address", v6(peer6, transit6, 132, sctp(peerPort, anyPort)), xdpPass, NotOurs},
		{"v4 fragment to a transit address", ether(0x0800, ipv4(peer4, transit4, 132, 0x2000, nil, sctp(peerPort, anyPort))), xdpPass, NotOurs},
		{"v4 icmp about a transit packet from the wildcard port", v4(other4, our4, 1, icmpErr(3, 4, quote4(transit4, peer4, anyPort, peerPort))), xdpPass, NotSCTP},
		{"v6 atomic fragment is a whole packet", ether(0x86dd, ipv6(peer6, our6, 132, []ext{{44, []byte{0, 0, 0, 0, 0, 7}}}, sctp(peerPort, ourPort))), xdpPass, NoSocket},
		{"802.1Q then 802.1ad", ether(0x0800, ipv4(peer4, our4, 132, 0, nil, sctp(peerPort, ourPort)), 0x8100, 0x88a8), xdpPass, Malformed},
		{"v6 packet too big about ours", v6(other6, our6, 58, icmpErr(2, 0, quote6(our6, peer6, ourPort, peerPort))), xdpPass, NoSocket},
		{"v6 unreachable about wildcard", v6(other6, our6, 58, icmpErr(1, 4, quote6(other6, peer6, anyPort, peerPort))), xdpPass, NoSocket},
		{"v6 unreachable quoting ext headers", v6(other6, our6, 58, icmpErr(1, 4, ipv6(our6, peer6, 132, []ext{dst}, sctp(ourPort, peerPort)[:8]))), xdpPass, NoSocket},
		{"v6 unreachable about another port", v6(other6, our6, 58, icmpErr(1, 4, quote6(our6, peer6, ourPort+2, peerPort))), xdpPass, NotSCTP},
		{"v6 icmp quote truncated", v6(other6, our6, 58, icmpErr(1, 4, quote6(our6, peer6, ourPort, peerPort)[:45])), xdpPass, Malformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			act, why := run(t, p, c.frame)
			if act != c.act || why != c.why {
				t.Errorf("got action %d reason %v, want %d %v", act, why, c.act, c.why)
			}
		})
	}
}

func TestEndpointsAtRunTime(t *testing.T) {
	p := loadForTest(t)
	frame := ether(0x0800, ipv4(peer4, other4, 132, 0, nil, sctp(peerPort, 7000)))
	frag := ether(0x0800, ipv4(peer4, other4, 132, 0x2000, nil, sctp(peerPort, 7000)))
	// Drop the wildcard so that other4 is not an endpoint address.
	if err := p.RemoveEndpoint(Endpoint{netip.IPv4Unspecified(), anyPort}); err != nil {
		t.Fatal(err)
	}
	if _, why := run(t, p, frame); why != NotOurs {
		t.Fatalf("before add: %v", why)
	}
	if _, why := run(t, p, frag); why != NotOurs {
		t.Fatalf("fragment before add: %v", why)
	}
	e := Endpoint{other4, 7000}
	e2 := Endpoint{other4, 7001}
	if err := p.AddEndpoint(e); err != nil {
		t.Fatal(err)
	}
	if err := p.AddEndpoint(e2); err != nil {
		t.Fatal(err)
	}
	if err := p.AddEndpoint(e); !errors.Is(err, ErrEndpointExists) {
		t.Fatalf("second add: %v", err)
	}
	if _, why := run(t, p, frame); why != NoSocket {
		t.Fatalf("after add: %v", why)
	}
	if err := p.RemoveEndpoint(e); err != nil {
		t.Fatal(err)
	}
	if _, why := run(t, p, frame); why != NotOurs {
		t.Fatalf("after remove: %v", why)
	}
	// e2 still binds other4: fragments to it stay dropped.
	if _, why := run(t, p, frag); why != Fragment {
		t.Fatalf("fragment with e2: %v", why)
	}
	if err := p.RemoveEndpoint(e2); err != nil {
		t.Fatal(err)
	}
	if _, why := run(t, p, frag); why != NotOurs {
		t.Fatalf("fragment after removing all: %v", why)
	}
	if err := p.RemoveEndpoint(e); !errors.Is(err, ErrNoEndpoint) {
		t.Fatalf("second remove: %v", err)
	}
	for _, bad := range []Endpoint{{}, {our4, 0}} {
		if err := p.AddEndpoint(bad); !errors.Is(err, ErrInvalidEndpoint) {
			t.Errorf("AddEndpoint(%v) = %v", bad, err)
		}
	}
	if err := p.RegisterSocket(MaxQueues, 3); !errors.Is(err, ErrInvalidQueue) {
		t.Errorf("RegisterSocket(MaxQueues) = %v", err)
	}
	p.Close()
	if err := p.AddEndpoint(e); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

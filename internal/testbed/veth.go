package testbed

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"strconv"
	"sync/atomic"
	"testing"
)

// VethConfig shapes a veth pair. Zero values mean MTU 1500 and one queue.
type VethConfig struct {
	MTU    int // native XDP on veth takes at most 3498
	Queues int // RX and TX queues on each end
}

// Link is one end of a veth pair.
type Link struct {
	NS    *Netns
	Name  string
	Index int
	MAC   net.HardwareAddr
	IPv4  netip.Addr // in a /24 of 198.18.0.0/15
	IPv6  netip.Addr // in a /64 of 2001:2::/48, without duplicate address detection
	Peer  *Link
}

// Prefixes of the subnets: each pair gets the next /24 and /64 so that
// several pairs can meet in one namespace.
var subnet atomic.Uint32

// CreateVeth joins a and b by a veth pair, addressed and up. It lives as long
// as the namespaces do.
func CreateVeth(a, b *Netns, cfg VethConfig) (*Link, *Link, error) {
	if cfg.MTU == 0 {
		cfg.MTU = 1500
	}
	if cfg.Queues == 0 {
		cfg.Queues = 1
	}
	s := subnet.Add(1) % 512
	q := strconv.Itoa(cfg.Queues)
	la := &Link{NS: a, Name: fmt.Sprintf("sx%da", s)}
	lb := &Link{NS: b, Name: fmt.Sprintf("sx%db", s)}
	la.Peer, lb.Peer = lb, la
	if err := ip("-n", a.name, "link", "add", la.Name, "mtu", strconv.Itoa(cfg.MTU),
		"numtxqueues", q, "numrxqueues", q, "type", "veth",
		"peer", "name", lb.Name, "netns", b.name, "mtu", strconv.Itoa(cfg.MTU),
		"numtxqueues", q, "numrxqueues", q); err != nil {
		return nil, nil, err
	}
	// 198.18.0.0/15 holds 512 /24s: the third and second octets carry s.
	v4 := func(host byte) netip.Addr { return netip.AddrFrom4([4]byte{198, 18 + byte(s>>8), byte(s), host}) }
	v6 := func(host byte) netip.Addr {
		return netip.AddrFrom16([16]byte{0x20, 0x01, 0, 0x02, 0, byte(s >> 8), 0, byte(s), 15: host})
	}
	la.IPv4, lb.IPv4 = v4(1), v4(2)
	la.IPv6, lb.IPv6 = v6(1), v6(2)
	for _, l := range []*Link{la, lb} {
		for _, args := range [][]string{
			{"addr", "add", l.IPv4.String() + "/24", "dev", l.Name},
			{"addr", "add", l.IPv6.String() + "/64", "dev", l.Name, "nodad"},
			{"link", "set", l.Name, "up"},
		} {
			if err := ip(append([]string{"-n", l.NS.name}, args...)...); err != nil {
				return nil, nil, err
			}
		}
		if err := l.readLink(); err != nil {
			return nil, nil, err
		}
	}
	return la, lb, nil
}

// NewVeth is CreateVeth for a test.
func NewVeth(t testing.TB, a, b *Netns, cfg VethConfig) (*Link, *Link) {
	t.Helper()
	la, lb, err := CreateVeth(a, b, cfg)
	if err != nil {
		t.Fatalf("testbed: %v", err)
	}
	return la, lb
}

func (l *Link) readLink() error {
	out, err := exec.Command("ip", "-n", l.NS.name, "-j", "link", "show", "dev", l.Name).Output()
	if err != nil {
		return fmt.Errorf("ip link show %s: %w", l.Name, err)
	}
	var info []struct {
		Index   int    `json:"ifindex"`
		Address string `json:"address"`
	}
	if err := json.Unmarshal(out, &info); err != nil || len(info) != 1 {
		return fmt.Errorf("ip -j link show %s: unexpected output %q", l.Name, out)
	}
	l.Index = info[0].Index
	l.MAC, err = net.ParseMAC(info[0].Address)
	return err
}

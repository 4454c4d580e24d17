package testbed

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/sctp-xdp/sctp-xdp/internal/relay"
)

// RelayedPath is a and b in one subnet, joined through a middle namespace
// where a relay forwards frames between the two veths ending there.
type RelayedPath struct {
	A, B   *Link  // the hosts' ends, addressed as one /24 and one /64
	Middle *Netns // holds the relay's interfaces MA and MB (no addresses)
	MA, MB string
}

// NewRelayedPath builds a — middle — b for a test; StartRelay then forwards.
func NewRelayedPath(t testing.TB, a, middle, b *Netns, cfg VethConfig) *RelayedPath {
	t.Helper()
	la, ma, err := CreateVeth(a, middle, cfg)
	if err != nil {
		t.Fatalf("testbed: %v", err)
	}
	mb, lb, err := CreateVeth(middle, b, cfg)
	if err != nil {
		t.Fatalf("testbed: %v", err)
	}
	// One subnet end to end: b takes a's peer's addresses (la is .1, ma .2).
	for _, args := range [][]string{
		{"-n", middle.name, "addr", "flush", "dev", ma.Name},
		{"-n", middle.name, "addr", "flush", "dev", mb.Name},
		{"-n", b.name, "addr", "flush", "dev", lb.Name},
		{"-n", b.name, "addr", "add", ma.IPv4.String() + "/24", "dev", lb.Name},
		{"-n", b.name, "addr", "add", ma.IPv6.String() + "/64", "dev", lb.Name, "nodad"},
		// The middle namespace must not answer or route for the hosts.
		{"-n", middle.name, "link", "set", ma.Name, "arp", "off"},
		{"-n", middle.name, "link", "set", mb.Name, "arp", "off"},
	} {
		if err := ip(args...); err != nil {
			t.Fatalf("testbed: %v", err)
		}
	}
	middle.Run(t, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
	lb.IPv4, lb.IPv6 = ma.IPv4, ma.IPv6
	return &RelayedPath{A: la, B: lb, Middle: middle, MA: ma.Name, MB: mb.Name}
}

// StartRelay runs a relay between MA and MB (cfg.A and cfg.B are set here),
// writing a pcap of what it forwards; it is closed at t's cleanup. The pcap's
// path is returned; read it after Close.
func (p *RelayedPath) StartRelay(t testing.TB, cfg relay.Config) (*relay.Relay, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "relay.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.A, cfg.B, cfg.Pcap = p.MA, p.MB, f
	var r *relay.Relay
	if err := p.Middle.Do(func() (err error) {
		r, err = relay.Start(cfg)
		return err
	}); err != nil {
		f.Close()
		t.Fatalf("testbed: %v", err)
	}
	t.Cleanup(func() {
		r.Close()
		f.Close()
	})
	return r, path
}

// String names the path for logs.
func (p *RelayedPath) String() string {
	return fmt.Sprintf("%s(%s) — %s[%s|%s] — %s(%s)", p.A.Name, p.A.IPv4, p.Middle.Name(), p.MA, p.MB, p.B.Name, p.B.IPv4)
}

package xdp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"testing"

	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
	"golang.org/x/sys/unix"
)

// linkLocal reads l's fe80::/64 address with ip(8), and whether it is
// still tentative (duplicate address detection under way).
func linkLocal(t *testing.T, l *testbed.Link) (netip.Addr, bool) {
	t.Helper()
	out := l.NS.Run(t, "ip", "-j", "-6", "addr", "show", "dev", l.Name, "scope", "link")
	var info []struct {
		AddrInfo []struct {
			Local     string `json:"local"`
			Tentative bool   `json:"tentative"`
		} `json:"addr_info"`
	}
	if err := json.Unmarshal([]byte(out), &info); err == nil && len(info) == 1 {
		for _, a := range info[0].AddrInfo {
			if a.Local != "" {
				return netip.MustParseAddr(a.Local), a.Tentative
			}
		}
	}
	t.Fatalf("ip -j -6 addr show scope link: %q", out)
	return netip.Addr{}, false
}

func TestLinkByIndexAndName(t *testing.T) {
	testbed.RequirePriv(t)
	na, nb := testbed.NewNetns(t), testbed.NewNetns(t)
	la, _ := testbed.NewVeth(t, na, nb, testbed.VethConfig{MTU: 3000})
	ns, err := OpenNetNS(na.Name())
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	ll, tentBefore := linkLocal(t, la)
	l, err := ns.LinkByIndex(la.Index)
	if err != nil {
		t.Fatal(err)
	}
	_, tentAfter := linkLocal(t, la)
	l2, err := ns.LinkByName(la.Name)
	if err != nil || fmt.Sprint(l2) != fmt.Sprint(l) {
		t.Errorf("by name: %+v %v, by index %+v", l2, err, l)
	}
	if l.Index != la.Index || l.Name != la.Name || l.MAC != mac6(t, la.MAC) || l.MTU != 3000 ||
		!l.Ethernet || !l.AdminUp || !l.Running || !l.Up() {
		t.Errorf("%+v, want %+v", l, la)
	}
	want := map[netip.Prefix]Scope{
		netip.PrefixFrom(la.IPv4, 24): ScopeUniverse,
		netip.PrefixFrom(la.IPv6, 64): ScopeUniverse,
		netip.PrefixFrom(ll, 64):      ScopeLink,
	}
	for _, a := range l.Addrs {
		if s, ok := want[a.Prefix]; ok && s == a.Scope {
			delete(want, a.Prefix)
			// nodad addresses are usable at once; the link-local one
			// only after DAD, as ip(8) says (RFC 4862 5.4), read on
			// both sides of ours since DAD may end meanwhile.
			if a.Prefix.Addr() == ll && tentBefore != tentAfter {
				continue
			}
			if usable := a.Prefix.Addr() != ll || !tentBefore; a.Usable() != usable {
				t.Errorf("%v: Usable %v, want %v", a.Prefix, a.Usable(), usable)
			}
		}
	}
	if len(want) != 0 {
		t.Errorf("addresses %+v lack %v", l.Addrs, want)
	}
	if _, err := ns.LinkByIndex(99999); err == nil {
		t.Error("missing interface found")
	}
	if _, err := ns.LinkByName("nosuch0"); err == nil {
		t.Error("missing interface found by name")
	}
	lo, err := ns.LinkByName("lo")
	if err != nil || lo.Ethernet || lo.Index != 1 {
		t.Errorf("lo: %+v %v", lo, err)
	}
}

func TestOpenNetNS(t *testing.T) {
	testbed.RequirePriv(t)
	na := testbed.NewNetns(t)
	var ino uint64
	if err := na.Do(func() error {
		var st unix.Stat_t
		err := unix.Stat("/proc/thread-self/ns/net", &st)
		ino = st.Ino
		return err
	}); err != nil {
		t.Fatal(err)
	}
	inode := func(ns *NetNS) (got uint64) {
		t.Helper()
		if err := ns.Do(func() error {
			var st unix.Stat_t
			err := unix.Stat("/proc/thread-self/ns/net", &st)
			got = st.Ino
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	byName, err := OpenNetNS(na.Name())
	if err != nil {
		t.Fatal(err)
	}
	defer byName.Close()
	byPath, err := OpenNetNS(na.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer byPath.Close()
	f, err := os.Open(na.Path())
	if err != nil {
		t.Fatal(err)
	}
	byFD, err := NetNSFromFD(int(f.Fd()))
	f.Close() // the NetNS holds its own descriptor
	if err != nil {
		t.Fatal(err)
	}
	defer byFD.Close()
	for _, ns := range []*NetNS{byName, byPath, byFD} {
		if got := inode(ns); got != ino {
			t.Errorf("%s: namespace inode %d, want %d", ns, got, ino)
		}
	}
	if _, err := OpenNetNS("/etc/hostname"); err == nil {
		t.Error("a regular file opened as a namespace")
	}
	if _, err := OpenNetNS("sx-no-such-namespace"); err == nil {
		t.Error("a missing namespace opened")
	}
	if _, err := NetNSFromFD(-1); err == nil {
		t.Error("fd -1 accepted")
	}
	if err := byFD.Close(); err != nil || byFD.Close() != nil {
		t.Error("Close twice failed")
	}
	if err := byFD.Do(func() error { return nil }); err == nil {
		t.Error("Do on a closed NetNS succeeded")
	}
}

func TestRouteCacheConfigErrors(t *testing.T) {
	testbed.RequirePriv(t)
	na := testbed.NewNetns(t)
	for _, cfg := range []RouteCacheConfig{
		{NetNS: na.Name(), Ifindex: 0},
		{NetNS: na.Name(), Ifindex: 99999},
		{NetNS: na.Name(), Ifindex: 1, Entries: -1},
		{NetNS: "sx-no-such-namespace", Ifindex: 1},
	} {
		if c, err := NewRouteCache(cfg); err == nil {
			c.Close()
			t.Errorf("%+v accepted", cfg)
		}
	}
	if _, err := NewRouteCache(RouteCacheConfig{NetNS: na.Name(), Ifindex: 1}); !errors.Is(err, ErrNotEthernet) {
		t.Errorf("route cache on lo: %v, want ErrNotEthernet", err)
	}
}

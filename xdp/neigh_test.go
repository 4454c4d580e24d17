package xdp

import (
	"net"
	"net/netip"
	"testing"

	"github.com/vishvananda/netlink"
)

func TestPackNeigh(t *testing.T) {
	mac := net.HardwareAddr{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}
	for _, tc := range []struct {
		state         int
		usable, stale bool
	}{
		{netlink.NUD_NONE, false, false},
		{netlink.NUD_INCOMPLETE, false, false},
		{netlink.NUD_FAILED, false, false}, // the kernel keeps the old address here: never use it
		{netlink.NUD_REACHABLE, true, false},
		{netlink.NUD_STALE, true, true},
		{netlink.NUD_DELAY, true, false},
		{netlink.NUD_PROBE, true, false},
		{netlink.NUD_PERMANENT, true, false},
		{netlink.NUD_NOARP, true, false},
	} {
		w := packNeigh(tc.state, mac)
		if w.usable() != tc.usable || (w&nwStale != 0) != tc.stale || w.state() != tc.state {
			t.Errorf("state %#x: usable %v stale %v state %#x", tc.state, w.usable(), w&nwStale != 0, w.state())
		}
		if tc.usable && w.mac() != [6]byte(mac) {
			t.Errorf("state %#x: MAC %x", tc.state, w.mac())
		}
	}
	for _, bad := range []net.HardwareAddr{nil, {1, 2, 3}, make(net.HardwareAddr, 6), make(net.HardwareAddr, 8)} {
		if packNeigh(netlink.NUD_REACHABLE, bad).usable() {
			t.Errorf("address %v usable", bad)
		}
	}
}

func TestRequestVerifyOncePerStaleEpisode(t *testing.T) {
	r := &neighRecord{}
	r.set(&netlink.Neigh{State: netlink.NUD_STALE, HardwareAddr: net.HardwareAddr{2, 0, 0, 0, 0, 1}})
	if !r.requestVerify(r.load()) {
		t.Fatal("first use of a STALE entry requests no verification")
	}
	if r.requestVerify(r.load()) {
		t.Error("second use requested again")
	}
	if w := r.load(); !w.usable() || w.mac() != [6]byte{2, 0, 0, 0, 0, 1} {
		t.Error("the request changed the entry")
	}
	r.set(&netlink.Neigh{State: netlink.NUD_REACHABLE, HardwareAddr: net.HardwareAddr{2, 0, 0, 0, 0, 1}})
	if r.requestVerify(r.load()) {
		t.Error("REACHABLE entry asked for verification")
	}
}

func TestNormalizeAddr(t *testing.T) {
	for in, want := range map[string]string{
		"::ffff:198.18.0.1": "198.18.0.1",
		"fe80::1%sx1a":      "fe80::1",
		"2001:2::1":         "2001:2::1",
	} {
		if got := normalizeAddr(netip.MustParseAddr(in)); got != netip.MustParseAddr(want) {
			t.Errorf("%s: %v", in, got)
		}
	}
}

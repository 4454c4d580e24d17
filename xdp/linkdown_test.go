package xdp_test

import (
	"net"
	"testing"

	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
	"github.com/sctp-xdp/sctp-xdp/xdp"
)

// TestLinkDownRecoverable: with our interface down, the kick's ENETDOWN is
// counted, not returned, and the frames wait on the TX ring; once the link
// is up again, the next kick sends them and every frame comes back.
func TestLinkDownRecoverable(t *testing.T) {
	e := newEnv(t, testbed.VethConfig{}, xdp.Options{})
	s := e.socks[0]
	frame := sctpFrame(nil, e.ours.MAC, net.HardwareAddr{2, 0, 0, 0, 0, 1}, e.ours.IPv4, e.peer.IPv4, ourPort, 40000, 1, 1, nil)
	e.ours.NS.Run(t, "ip", "link", "set", "dev", e.ours.Name, "down")
	descs := make([]xdp.Desc, 8)
	for i := range descs {
		d, ok := s.Alloc()
		if !ok {
			t.Fatal("Alloc")
		}
		d.Len = uint32(copy(s.Data(d), frame))
		descs[i] = d
	}
	n, err := s.Transmit(descs)
	if n != len(descs) || err != nil {
		t.Fatalf("Transmit on a down link = %d, %v", n, err)
	}
	if err := s.Kick(); err != nil {
		t.Fatalf("Kick on a down link: %v", err)
	}
	s.Complete()
	if c := s.Counters(); c.ENETDOWN == 0 {
		t.Errorf("ENETDOWN not counted: %+v", c)
	}
	if c := s.FrameCounts(); c.TX != len(descs) {
		t.Errorf("frames %+v, want %d in flight", c, len(descs))
	}
	e.ours.NS.Run(t, "ip", "link", "set", "dev", e.ours.Name, "up")
	waitCompleted(t, s, len(descs))
	if c := s.FrameCounts(); c.TX != 0 || c.Free+c.Fill != 4096 {
		t.Errorf("frames %+v after the link came back", c)
	}
}

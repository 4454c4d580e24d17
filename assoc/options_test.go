package assoc

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// TestOptionsValidate: every run-time setter refuses bad values with
// ErrConfig and changes nothing.
func TestOptionsValidate(t *testing.T) {
	_, a, _ := establishedPair(t, 1)
	before := a.Config()
	bad := map[string]error{
		"rto min 0":          a.SetRTO(time.Second, 0, 2*time.Second),
		"rto min > initial":  a.SetRTO(time.Second, 2*time.Second, 3*time.Second),
		"rto initial > max":  a.SetRTO(3*time.Second, time.Second, 2*time.Second),
		"max retrans 0":      a.SetMaxRetrans(0),
		"max burst -1":       a.SetMaxBurst(-1),
		"sack delay 0":       a.SetSackDelay(0),
		"sack delay 501ms":   a.SetSackDelay(501 * time.Millisecond),
		"maxseg 10":          a.SetMaxSeg(10),
		"maxseg 70000":       a.SetMaxSeg(70000),
		"autoclose -1":       a.SetAutoClose(-1),
		"pd point 0":         a.SetPartialDeliveryPoint(0),
		"pd point > rwnd":    a.SetPartialDeliveryPoint(int(before.ARwnd) + 1),
		"path max retrans 0": a.SetPathMaxRetrans(netip.Addr{}, 0),
		"hb interval 0":      a.SetHBInterval(netip.Addr{}, 0),
		"path mtu 500":       a.SetPathMTU(netip.Addr{}, 500),
		"path mtu 70000":     a.SetPathMTU(netip.Addr{}, 70000),
		"arwnd 100":          a.SetARwnd(100),
	}
	for name, err := range bad {
		if !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
	if err := a.SetPathMaxRetrans(netip.MustParseAddr("198.18.9.9"), 3); !errors.Is(err, ErrUnknownAddr) {
		t.Errorf("unknown address: %v", err)
	}
	after := a.Config()
	if after.RTOMin != before.RTOMin || after.MaxBurst != before.MaxBurst || after.MaxSeg != before.MaxSeg ||
		after.PathMaxRetrans != before.PathMaxRetrans || after.PMTU != before.PMTU {
		t.Errorf("a refused setter changed the config")
	}
}

// TestOptionsPerAssociation: a setter changes its association only, not
// the endpoint's other associations; UpdateConfig changes the endpoint's
// future associations only.
func TestOptionsPerAssociation(t *testing.T) {
	p, a, b := establishedPair(t, 2)
	if err := a.SetMaxSeg(200); err != nil {
		t.Fatal(err)
	}
	if err := a.SetRTO(500*time.Millisecond, 100*time.Millisecond, 800*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if a.Config().MaxSeg != 200 || p.a.Config().MaxSeg != 0 {
		t.Fatalf("MaxSeg: assoc %d endpoint %d", a.Config().MaxSeg, p.a.Config().MaxSeg)
	}
	if rto := a.RTO(); rto > int64(800*time.Millisecond) || rto < int64(100*time.Millisecond) {
		t.Errorf("RTO %v outside the new bounds", time.Duration(rto))
	}
	if err := p.b.UpdateConfig(func(c *Config) { c.OutStreams = 3; c.NoDelay = true }); err != nil {
		t.Fatal(err)
	}
	if b.Config().NoDelay || !p.b.Config().NoDelay {
		t.Errorf("UpdateConfig: live association changed or endpoint did not")
	}
	if err := p.b.UpdateConfig(func(c *Config) { c.RTOMin = -1 }); !errors.Is(err, ErrConfig) {
		t.Errorf("UpdateConfig with a bad value: %v", err)
	}
	if err := p.b.UpdateConfig(func(c *Config) { c.LocalPort++ }); !errors.Is(err, ErrConfig) {
		t.Errorf("UpdateConfig changing the port: %v", err)
	}
	// A new association from B asks for 3 outbound streams in its INIT.
	if _, err := p.b.Connect(p.now, []netip.Addr{netip.MustParseAddr("198.18.7.7")}, portA); err != nil {
		t.Fatal(err)
	}
	pkt, _, ok := p.b.NextPacket(p.now, nil)
	if !ok {
		t.Fatal("no INIT")
	}
	s, _ := wire.ParseSCTP(pkt)
	it := s.Chunks()
	c, _ := it.Next()
	if c.Type() != wire.ChunkInit || wire.InitChunk(c).OutStreams() != 3 {
		t.Errorf("new association's INIT: %s, want 3 outbound streams", describe(pkt))
	}
}

// TestMaxSegCutsData: SetMaxSeg makes DATA chunks no larger than it; a
// message above it with fragments disabled is refused.
func TestMaxSegCutsData(t *testing.T) {
	p, a, _ := establishedPair(t, 3)
	if err := a.SetMaxSeg(256); err != nil {
		t.Fatal(err)
	}
	if fp := a.FragmentationPoint(); fp != 256 {
		t.Errorf("fragmentation point %d, want 256", fp)
	}
	if err := a.Send(p.now, 0, 0, 0, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	p.flush()
	data := dataChunks(t, p.captured)
	for _, c := range data {
		if l := len(c.Payload()); l > 256 {
			t.Errorf("DATA chunk with %d bytes of data, MAXSEG 256", l)
		}
	}
	if n := len(data); n != 4 {
		t.Errorf("%d DATA chunks for 1000 bytes at MAXSEG 256, want 4", n)
	}
	a.SetDisableFragments(true)
	if err := a.Send(p.now, 0, 0, 0, make([]byte, 257)); !errors.Is(err, ErrMessageSize) {
		t.Errorf("257 bytes with fragments disabled: %v", err)
	}
}

// TestPeerAddrParams: per-path settings are read back; a path's
// Path.Max.Retrans decides when it becomes inactive.
func TestPeerAddrParams(t *testing.T) {
	_, a, _ := establishedPair(t, 4)
	if err := a.SetPathMaxRetrans(addrB, 2); err != nil {
		t.Fatal(err)
	}
	if err := a.SetHBInterval(netip.Addr{}, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := a.SetPathMTU(addrB, 1000); err != nil {
		t.Fatal(err)
	}
	pp, err := a.PeerAddrParams(addrB)
	if err != nil {
		t.Fatal(err)
	}
	if pp.PathMaxRetrans != 2 || pp.HBInterval != 5*time.Second || pp.PathMTU != 1000 {
		t.Errorf("params %+v", pp)
	}
	if fp := a.FragmentationPoint(); fp != (1000-20-12-16)&^3 {
		t.Errorf("fragmentation point %d after MTU 1000", fp)
	}
	for range 3 {
		a.strike(0, 0)
	}
	if st := a.paths[0].state; st != PathInactive {
		t.Errorf("after 3 timeouts with Path.Max.Retrans 2: %v", st)
	}
}

// TestStatus: SCTP_STATUS of an established association.
func TestStatus(t *testing.T) {
	p, a, _ := establishedPair(t, 5)
	if err := a.Send(p.now, 1, 0, 0, make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	s := a.Status()
	if s.State != Established || s.OutStreams == 0 || s.InStreams == 0 || s.Queued != 100 || s.Primary.Addr != addrB {
		t.Errorf("status %+v", s)
	}
}

// TestResponderUpdateConfig: a responder's new Config applies to the
// associations it creates afterwards; those created before keep theirs.
func TestResponderUpdateConfig(t *testing.T) {
	cfg := testConfig(portA, 9)
	r, err := NewResponder(&cfg, testKeys("key"), 0)
	if err != nil {
		t.Fatal(err)
	}
	old, err := r.Connect(0, []netip.Addr{addrB}, portB)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateConfig(func(c *Config) { c.OutStreams = 3 }); err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateConfig(func(c *Config) { c.SackDelay = time.Second }); !errors.Is(err, ErrConfig) {
		t.Errorf("SACK delay 1s: %v", err)
	}
	if err := r.UpdateConfig(func(c *Config) { c.Owner = 1 }); !errors.Is(err, ErrConfig) {
		t.Errorf("owner change: %v", err)
	}
	nu, err := r.Connect(0, []netip.Addr{addrB}, portB)
	if err != nil {
		t.Fatal(err)
	}
	if old.Config().OutStreams != DefaultOutStreams || nu.Config().OutStreams != 3 {
		t.Errorf("OutStreams: old %d, new %d", old.Config().OutStreams, nu.Config().OutStreams)
	}
}

// TestPartialDeliveryPointLive: lowering the partial delivery point of a
// live association makes an incomplete message readable in pieces once
// that many bytes are held (the last fragment is lost here); at the
// default point (half the window) nothing is readable.
func TestPartialDeliveryPointLive(t *testing.T) {
	for _, pd := range []int{0, 1000} {
		p, a, b := establishedPair(t, 6)
		a.SetNoDelay(true)
		if pd != 0 {
			if err := b.SetPartialDeliveryPoint(pd); err != nil {
				t.Fatal(err)
			}
		}
		p.drop = func(_ *Endpoint, pkt []byte) bool { // the DATA with the E bit
			s, _ := wire.ParseSCTP(pkt)
			it := s.Chunks()
			c, ok := it.Next()
			return ok && c.Type() == wire.ChunkData && c.Flags()&flagE != 0
		}
		if err := a.Send(p.now, 0, 0, 0, make([]byte, 4000)); err != nil {
			t.Fatal(err)
		}
		p.flush()
		if r := b.Readable(); (pd == 0) != (r == 0) {
			t.Errorf("partial delivery point %d: %d bytes readable of an incomplete message", pd, r)
		}
	}
}

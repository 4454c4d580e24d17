package sctpxdp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/assoc"
)

// TestOptionValidation: setters refuse bad values with ErrInvalid, and the
// options whose protocol work comes later with ErrNotSupported, before
// anything reaches a poller (the zero Assoc and Endpoint have none: a
// check that fell through would panic).
func TestOptionValidation(t *testing.T) {
	a, e := &Assoc{}, &Endpoint{}
	member, many := &Assoc{}, &Endpoint{many: newManyState()} // one-to-many: SCTP_AUTOCLOSE applies
	member.ext.member.Store(true)
	ctx := context.Background()
	invalid := map[string]error{
		"negative RTO":             a.SetRTOInfo(RTOInfo{Min: -time.Second}),
		"negative max retrans":     a.SetAssocParams(AssocParams{MaxRetrans: -1}),
		"cookie life 1us":          a.SetAssocParams(AssocParams{CookieLife: time.Microsecond}),
		"cookie life 2h":           a.SetAssocParams(AssocParams{CookieLife: 2 * time.Hour}),
		"autoclose 10ms":           member.SetAutoClose(10 * time.Millisecond),
		"no primary":               a.SetPrimaryAddr(netip.Addr{}),
		"HB interval -1":           a.SetPeerAddrParams(PeerAddrParams{HBInterval: -1}),
		"HB interval 2 days":       a.SetPeerAddrParams(PeerAddrParams{HBInterval: 48 * time.Hour}),
		"path max retrans -1":      a.SetPeerAddrParams(PeerAddrParams{PathMaxRetrans: -1}),
		"path MTU 100":             a.SetPeerAddrParams(PeerAddrParams{PathMTU: 100}),
		"path MTU 70000":           a.SetPeerAddrParams(PeerAddrParams{PathMTU: 70000}),
		"heartbeat mode 9":         a.SetPeerAddrParams(PeerAddrParams{Heartbeat: 9}),
		"SACK delay 600ms":         a.SetDelayedSack(SackInfo{Delay: 600 * time.Millisecond}),
		"SACK delay -1":            a.SetDelayedSack(SackInfo{Delay: -1}),
		"fragment interleave 3":    a.SetFragmentInterleave(3),
		"default EOR":              a.SetDefaultSndInfo(SndInfo{EOR: true}),
		"default abort":            a.SetDefaultSndInfo(SndInfo{Abort: true}),
		"negative TTL":             a.SendMsg(ctx, SndInfo{TimeToLive: -1}, []byte("x")),
		"abort reason 600 B":       a.SendMsg(ctx, SndInfo{Abort: true}, make([]byte, 600)),
		"auth INIT":                a.AddAuthChunk(1),
		"auth AUTH":                e.AddAuthChunk(15),
		"reset nothing":            a.ResetStreams(nil, false, false),
		"endpoint autoclose 1ms":   many.SetAutoClose(time.Millisecond),
		"receive buffer 1000":      e.SetReceiveBuffer(1000),
		"send buffer 2 GiB":        e.SetSendBuffer(2 << 30),
		"negative init attempts":   e.SetInitMsg(InitMsg{MaxAttempts: -1}),
		"negative init timeout":    e.SetInitMsg(InitMsg{MaxInitTimeout: -1}),
		"negative path MTU in set": a.SetPeerAddrParams(PeerAddrParams{PathMTU: -5}),
	}
	for name, err := range invalid {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	unsupported := map[string]error{
		"time to live":          a.SendMsg(ctx, SndInfo{TimeToLive: time.Second}, []byte("x")),
		"default time to live":  a.SetDefaultSndInfo(SndInfo{TimeToLive: time.Second}),
		"SACK frequency 3":      a.SetDelayedSack(SackInfo{Freq: 3}),
		"fragment interleave 2": a.SetFragmentInterleave(2),
		"auto ASCONF":           a.SetAutoASCONF(true),
		"endpoint auto ASCONF":  e.SetAutoASCONF(true),
		"auth chunk DATA":       a.AddAuthChunk(0),
		"endpoint auth chunk":   e.AddAuthChunk(0),
		"auth key":              a.SetAuthKey(1, []byte("k")),
		"endpoint auth key":     e.SetAuthKey(1, []byte("k")),
		"active key":            a.SetActiveAuthKey(1),
		"delete key":            a.DeleteAuthKey(1),
		"HMAC idents":           a.SetHMACIdents([]uint16{1}),
		"endpoint HMAC idents":  e.SetHMACIdents([]uint16{1}),
		"reset streams":         a.ResetStreams([]uint16{1}, true, true),
		"init timeout":          e.SetInitMsg(InitMsg{MaxInitTimeout: time.Second}),
	}
	if _, err := a.HMACIdents(); err != nil {
		unsupported["get HMAC idents"] = err
	}
	if _, err := a.PeerAuthChunks(); err != nil {
		unsupported["peer auth chunks"] = err
	}
	if _, err := a.LocalAuthChunks(); err != nil {
		unsupported["local auth chunks"] = err
	}
	if len(unsupported) != 19 {
		t.Errorf("a getter of AUTH answered without an error")
	}
	for name, err := range unsupported {
		if !errors.Is(err, ErrNotSupported) {
			t.Errorf("%s: %v, want ErrNotSupported", name, err)
		}
	}
	if err := a.SetAutoASCONF(false); err != nil || a.AutoASCONF() {
		t.Errorf("auto ASCONF off: %v", err)
	}
	if err := a.SetFragmentInterleave(1); err != nil || a.FragmentInterleave() != 1 {
		t.Errorf("fragment interleave 1: %v, level %d", err, a.FragmentInterleave())
	}
}

// TestAutoCloseStyle: SCTP_AUTOCLOSE is a one-to-many option (RFC 6458
// 8.1.8): a one-to-one endpoint, an association outside a one-to-many
// endpoint's set (one-to-one, peeled off, or made by Endpoint.Dial) and a
// one-to-one endpoint's Config refuse it with ErrNotSupported, whatever
// the value, before anything reaches a poller; ListenMany's Config takes
// it.
func TestAutoCloseStyle(t *testing.T) {
	one, peeled := &Assoc{}, &Assoc{}
	peeled.ext.member.Store(true)
	peeled.ext.member.Store(false) // as PeelOff leaves it (Endpoint.forget)
	for name, err := range map[string]error{
		"one-to-one association":       one.SetAutoClose(time.Second),
		"one-to-one association, 0":    one.SetAutoClose(0),
		"one-to-one association, 10ms": one.SetAutoClose(10 * time.Millisecond),
		"peeled-off association":       peeled.SetAutoClose(time.Hour),
		"one-to-one endpoint":          (&Endpoint{}).SetAutoClose(time.Second),
		"one-to-one endpoint, 0":       (&Endpoint{}).SetAutoClose(0),
		"one-to-one Config":            (&Config{Interface: "veth0", Assoc: assoc.Config{AutoClose: time.Second}}).validate(),
		"one-to-one Config, negative":  (&Config{Interface: "veth0", Assoc: assoc.Config{AutoClose: -time.Second}}).validate(),
	} {
		if !errors.Is(err, ErrNotSupported) {
			t.Errorf("%s: %v, want ErrNotSupported", name, err)
		}
	}
	if err := (&Config{Interface: "veth0", Assoc: assoc.Config{AutoClose: time.Second}, oneToMany: true}).validate(); err != nil {
		t.Errorf("ListenMany Config with AutoClose: %v", err)
	}
	if err := (&Config{Interface: "veth0"}).validate(); err != nil {
		t.Errorf("one-to-one Config without AutoClose: %v", err)
	}
	if err := (&Config{Interface: "veth0", Events: EventStreamReset}).validate(); !errors.Is(err, ErrNotSupported) {
		t.Errorf("Config with stream reset events: %v, want ErrNotSupported", err)
	}
}

// TestAPILayerOptions: the options kept in the API layer read back what
// was set.
func TestAPILayerOptions(t *testing.T) {
	a := &Assoc{ep: &Endpoint{cfg: Config{Events: EventShutdown}}}
	a.SetContext(42)
	a.SetMappedV4(true)
	a.SetRecvNextInfo(true)
	a.SetExplicitEOR(true)
	if a.Context() != 42 || !a.MappedV4() || !a.RecvNextInfo() || !a.ExplicitEOR() || !a.opt.sendOpts.Load() {
		t.Errorf("options did not read back")
	}
	a.SetExplicitEOR(false)
	if a.ExplicitEOR() || a.opt.sendOpts.Load() {
		t.Errorf("explicit EOR still on")
	}
	if a.Events() != EventShutdown {
		t.Errorf("events %#x, want the endpoint's", a.Events())
	}
	if err := a.SetEvents(EventAssocChange | EventPeerAddrChange); err != nil || a.Events() != EventAssocChange|EventPeerAddrChange {
		t.Errorf("SetEvents: %v, %#x", err, a.Events())
	}
	if err := a.SetEvents(EventStreamReset); !errors.Is(err, ErrNotSupported) {
		t.Errorf("stream reset events: %v", err)
	}
	if got := a.mapAddr(netip.MustParseAddr("198.18.0.1")); got.String() != "::ffff:198.18.0.1" {
		t.Errorf("mapped: %v", got)
	}
	if got := a.mapAddr(netip.MustParseAddr("2001:2::1")); got.String() != "2001:2::1" {
		t.Errorf("IPv6 mapped to %v", got)
	}
	n := a.notifInfo(&Notification{Addr: netip.MustParseAddr("198.18.0.1")})
	if n.Notification.Addr.String() != "::ffff:198.18.0.1" || n.Context != 42 {
		t.Errorf("notification %+v", n)
	}
}

// TestExplicitEORBuild: parts accumulate until EOR; a stream change in
// the middle and an oversized message are refused.
func TestExplicitEORBuild(t *testing.T) {
	a := &Assoc{}
	a.SetExplicitEOR(true)
	_, _, done, err := a.buildEOR(SndInfo{Stream: 1, PPID: 7}, []byte("ab"))
	if done || err != nil {
		t.Fatalf("first part: done %v, %v", done, err)
	}
	if _, _, _, err := a.buildEOR(SndInfo{Stream: 2}, []byte("x")); !errors.Is(err, ErrInvalid) {
		t.Errorf("stream change: %v", err)
	}
	info, msg, done, err := a.buildEOR(SndInfo{Stream: 1, EOR: true}, []byte("cd"))
	if !done || err != nil || string(msg) != "abcd" || info.PPID != 7 || info.Stream != 1 {
		t.Errorf("last part: %q %+v %v %v", msg, info, done, err)
	}
	if _, _, _, err := a.buildEOR(SndInfo{}, make([]byte, maxMessage+1)); !errors.Is(err, ErrInvalid) {
		t.Errorf("oversized: %v", err)
	}
	if len(a.opt.eorBuf) != 0 {
		t.Errorf("oversized message kept")
	}
}

// TestAddrString: net.Addr of one or several addresses.
func TestAddrString(t *testing.T) {
	a := &Addr{Addrs: []netip.Addr{netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("2001:2::1")}, Port: 5001}
	if a.Network() != "sctp" || a.String() != "198.18.0.1/[2001:2::1]:5001" {
		t.Errorf("%s %s", a.Network(), a.String())
	}
	var _ net.Addr = a
}

// TestDeadline: a deadline in the past is passed at once; a future one
// passes on time and ends its context; moving it re-arms it; the zero
// time removes it.
func TestDeadline(t *testing.T) {
	var d deadline
	if d.passed() {
		t.Fatal("zero deadline passed")
	}
	d.set(time.Now().Add(-time.Second))
	if !d.passed() || !errors.Is(d.ctx().Err(), os.ErrDeadlineExceeded) {
		t.Fatal("past deadline not passed")
	}
	d.set(time.Now().Add(30 * time.Millisecond))
	if d.passed() {
		t.Fatal("future deadline passed at once")
	}
	select {
	case <-d.ctx().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("deadline never passed")
	}
	d.set(time.Now().Add(time.Hour))
	done := d.ctx().Done()
	d.set(time.Time{})
	if d.passed() {
		t.Fatal("cleared deadline passed")
	}
	d.set(time.Now().Add(-time.Millisecond)) // moving it to the past wakes a waiter
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("waiter not woken by a deadline moved to the past")
	}
	var ne net.Error
	err := error(&net.OpError{Op: "read", Net: "sctp", Err: d.ctx().Err()}) // as Read wraps it
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("timeout error %v is not a net.Error timeout", err)
	}
}

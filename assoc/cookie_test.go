package assoc

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// initPacket builds an INIT from portA to portB with the given tag.
func initPacket(tag uint32, params func(w *wire.Builder)) []byte {
	var w wire.Builder
	w.Start(nil, portA, portB, 0)
	w.BeginInit(tag, 65536, 5, 7, 1000)
	if params != nil {
		params(w2(&w))
	}
	w.End()
	b, _ := w.Finish()
	return b
}

func w2(w *wire.Builder) *wire.Builder { return w }

func mustParse(t testing.TB, b []byte) wire.SCTP {
	t.Helper()
	s, err := wire.ParseSCTP(b)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return s
}

func chunkOf(t testing.TB, pkt []byte, i int) wire.Chunk {
	t.Helper()
	it := mustParse(t, pkt).Chunks()
	for {
		c, ok := it.Next()
		if !ok {
			t.Fatalf("no chunk %d in %s", i, describe(pkt))
		}
		if i == 0 {
			return c
		}
		i--
	}
}

func newTestResponder(t testing.TB) *Responder {
	cfg := testConfig(portB, 9)
	r, err := NewResponder(&cfg, testKeys("k1"), 0)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var piAB = &PacketInfo{Src: addrA, Dst: addrB}

// cookieFrom runs an INIT through r and returns the State Cookie and the INIT ACK.
func cookieFrom(t testing.TB, r *Responder, now int64, params func(w *wire.Builder)) ([]byte, wire.InitChunk) {
	t.Helper()
	pkt := mustParse(t, initPacket(0x11223344, params))
	out, ok := r.HandleInit(now, piAB, pkt, nil)
	if !ok {
		t.Fatal("no INIT ACK")
	}
	ia := wire.InitChunk(chunkOf(t, out, 0))
	if wire.Chunk(ia).Type() != wire.ChunkInitAck {
		t.Fatalf("got %s", describe(out))
	}
	var o wire.InitOptions
	ia.Options(&o)
	return append([]byte(nil), o.StateCookie...), ia
}

func cookieEchoPacket(vtag uint32, cookie []byte) []byte {
	var w wire.Builder
	w.Start(nil, portA, portB, vtag)
	w.CookieEcho(cookie)
	b, _ := w.Finish()
	return b
}

func TestCookieRoundTrip(t *testing.T) {
	r := newTestResponder(t)
	ck, ia := cookieFrom(t, r, 5, func(w *wire.Builder) {
		w.ParamAddr(netip.MustParseAddr("2001:2::1"))
		w.ParamAdaptation(0xabcd)
	})
	a, _, err := r.AcceptCookie(10, piAB, mustParse(t, cookieEchoPacket(ia.InitiateTag(), ck)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.State() != Established || a.PeerTag() != 0x11223344 || a.LocalTag() != ia.InitiateTag() {
		t.Fatalf("state %v tags %08x %08x", a.State(), a.LocalTag(), a.PeerTag())
	}
	if os, is := a.Streams(); os != 7 || is != 5 { // min(10, MIS 7), min(2048, OS 5)
		t.Fatalf("streams %d %d", os, is)
	}
	if ad, ok := a.PeerAdaptation(); !ok || ad != 0xabcd {
		t.Fatal("adaptation lost")
	}
	addrs := a.PeerAddrs(nil)
	if len(addrs) != 2 || addrs[0] != addrA || addrs[1] != netip.MustParseAddr("2001:2::1") {
		t.Fatalf("addrs %v", addrs)
	}
	ev, _ := a.NextEvent()
	ev2, _ := a.NextEvent()
	if ev.Type != EventCommUp || ev2.Type != EventAdaptation || ev2.Adaptation != 0xabcd {
		t.Fatalf("events %v %v", ev, ev2)
	}
	pkt, dst, ok := a.NextPacket(10, nil)
	if !ok || dst != addrA || describe(pkt) != "COOKIE ACK" || mustParse(t, pkt).VerificationTag() != 0x11223344 {
		t.Fatalf("reply %s to %v", describe(pkt), dst)
	}
}

// RFC 9260 5.1.5 step 2: a cookie whose MAC does not verify is discarded.
func TestCookieBadMAC(t *testing.T) {
	r := newTestResponder(t)
	ck, ia := cookieFrom(t, r, 0, nil)
	for _, i := range []int{0, 1, 20, 40, cookieBodyLen - 1, cookieBodyLen, len(ck) - 1} {
		bad := append([]byte(nil), ck...)
		bad[i] ^= 0x10
		_, reply, err := r.AcceptCookie(1, piAB, mustParse(t, cookieEchoPacket(ia.InitiateTag(), bad)), nil)
		if err == nil || len(reply) != 0 {
			t.Fatalf("byte %d flipped: err %v reply %d bytes", i, err, len(reply))
		}
	}
	_, _, err := r.AcceptCookie(1, piAB, mustParse(t, cookieEchoPacket(ia.InitiateTag(), ck[:len(ck)-4])), nil)
	if !errors.Is(err, ErrCookieLength) {
		t.Fatalf("short cookie: %v", err)
	}
}

// A cookie with a good MAC that says zero streams (which our sealing never
// writes, RFC 9260 3.3.2) makes no association.
func TestCookieZeroStreams(t *testing.T) {
	for _, off := range []int{40, 42, 52, 54} { // local OS, local MIS, peer OS, peer MIS
		r := newTestResponder(t)
		ck, ia := cookieFrom(t, r, 0, nil)
		bad := append([]byte(nil), ck...)
		bad[off], bad[off+1] = 0, 0
		copy(bad[cookieBodyLen:], r.keys.mac(r.keys.cur, bad[:cookieBodyLen]))
		a, _, err := r.AcceptCookie(1, piAB, mustParse(t, cookieEchoPacket(ia.InitiateTag(), bad)), nil)
		if !errors.Is(err, ErrCookieStreams) || a != nil {
			t.Errorf("zero at %d: association %v, %v; want ErrCookieStreams", off, a != nil, err)
		}
		if a, _, err := r.AcceptCookie(1, piAB, mustParse(t, cookieEchoPacket(ia.InitiateTag(), ck)), nil); err != nil || a == nil {
			t.Fatalf("the unchanged cookie: %v", err)
		}
	}
}

// RFC 9260 5.1.5 step 3 and 3.3.10.3: a stale cookie gets an ERROR with
// the staleness in microseconds.
func TestCookieStale(t *testing.T) {
	r := newTestResponder(t)
	ck, ia := cookieFrom(t, r, 0, nil)
	life := int64(DefaultValidCookieLife)
	// At the limit it is still valid.
	if _, _, err := r.AcceptCookie(life, piAB, mustParse(t, cookieEchoPacket(ia.InitiateTag(), ck)), nil); err != nil {
		t.Fatalf("at the lifetime: %v", err)
	}
	now := life + 1234567*1000 + 1 // 1.234567 s late (+1 ns rounds up)
	a, reply, err := r.AcceptCookie(now, piAB, mustParse(t, cookieEchoPacket(ia.InitiateTag(), ck)), nil)
	if a != nil || !errors.Is(err, ErrCookieStale) {
		t.Fatalf("stale cookie accepted: %v", err)
	}
	s := mustParse(t, reply)
	c := chunkOf(t, reply, 0)
	if c.Type() != wire.ChunkError || s.VerificationTag() != 0x11223344 {
		t.Fatalf("reply %s", describe(reply))
	}
	it := wire.Causes(c.Value())
	cause, _ := it.Next()
	if cause.Code() != wire.CauseStaleCookie || cause.Staleness() != 1234568 {
		t.Fatalf("cause %d staleness %d", cause.Code(), cause.Staleness())
	}
}

// RFC 9260 5.1.3: the Cookie Preservative lengthens the lifetime, bounded.
func TestCookiePreservative(t *testing.T) {
	r := newTestResponder(t)
	ck, ia := cookieFrom(t, r, 0, func(w *wire.Builder) { w.ParamCookiePreservative(5000) })
	at := int64(DefaultValidCookieLife + 4*time.Second)
	if _, _, err := r.AcceptCookie(at, piAB, mustParse(t, cookieEchoPacket(ia.InitiateTag(), ck)), nil); err != nil {
		t.Fatalf("within the preserved life: %v", err)
	}
	ck, ia = cookieFrom(t, r, 0, func(w *wire.Builder) { w.ParamCookiePreservative(0xFFFFFFFF) })
	at = int64(DefaultValidCookieLife+DefaultMaxCookiePreservative) + 1e6
	if _, _, err := r.AcceptCookie(at, piAB, mustParse(t, cookieEchoPacket(ia.InitiateTag(), ck)), nil); !errors.Is(err, ErrCookieStale) {
		t.Fatalf("preservative not bounded: %v", err)
	}
}

// RFC 9260 8.5.1 D, 5.1.5: the COOKIE ECHO's tag and ports must match the cookie.
func TestCookieWrongTags(t *testing.T) {
	r := newTestResponder(t)
	ck, ia := cookieFrom(t, r, 0, nil)
	if _, _, err := r.AcceptCookie(1, piAB, mustParse(t, cookieEchoPacket(ia.InitiateTag()+1, ck)), nil); !errors.Is(err, ErrCookieTag) {
		t.Fatalf("wrong vtag: %v", err)
	}
	var w wire.Builder
	w.Start(nil, portA+1, portB, ia.InitiateTag())
	w.CookieEcho(ck)
	b, _ := w.Finish()
	if _, _, err := r.AcceptCookie(1, piAB, mustParse(t, b), nil); !errors.Is(err, ErrCookiePorts) {
		t.Fatalf("wrong port: %v", err)
	}
}

// Key rotation: the previous key is accepted for one lifetime, then refused.
func TestCookieKeyRotation(t *testing.T) {
	r := newTestResponder(t)
	ks := testKeys("k1")
	ck, ia := cookieFrom(t, r, 0, nil)
	ks = ks.Rotate([]byte("k2"))
	if err := r.SetKeys(ks, 1); err != nil {
		t.Fatal(err)
	}
	pkt := mustParse(t, cookieEchoPacket(ia.InitiateTag(), ck))
	if _, _, err := r.AcceptCookie(2, piAB, pkt, nil); err != nil {
		t.Fatalf("previous key refused right after rotation: %v", err)
	}
	grace := int64(r.cfg.ValidCookieLife + r.cfg.MaxCookiePreservative)
	if _, _, err := r.AcceptCookie(1+grace, piAB, pkt, nil); !errors.Is(err, ErrCookieMAC) {
		t.Fatalf("previous key still accepted after its lifetime: %v", err)
	}
	// Two rotations: the key before the previous is refused at once.
	ck2, ia2 := cookieFrom(t, r, 10, nil)
	ks = ks.Rotate([]byte("k3"))
	r.SetKeys(ks, 11)
	ks = ks.Rotate([]byte("k4"))
	r.SetKeys(ks, 12)
	if _, _, err := r.AcceptCookie(13, piAB, mustParse(t, cookieEchoPacket(ia2.InitiateTag(), ck2)), nil); !errors.Is(err, ErrCookieMAC) {
		t.Fatalf("key two rotations old accepted: %v", err)
	}
	if r.SetKeys(CookieKeys{}, 0) == nil {
		t.Fatal("empty key accepted")
	}
}

// No internal pointer or handle in the cookie: two responders with the same
// key and clock produce identical cookies from the same INIT and randomness.
func TestCookieDeterministic(t *testing.T) {
	r1, r2 := newTestResponder(t), newTestResponder(t)
	c1, _ := cookieFrom(t, r1, 7, nil)
	c2, _ := cookieFrom(t, r2, 7, nil)
	if string(c1) != string(c2) {
		t.Fatal("cookies differ: state other than the inputs leaked in")
	}
}

package assoc

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// Tests for the rotation of the State Cookie secret (RFC 9260 5.1.3) with
// explicit key generations shared by several holders.

// testKeys is a single key of generation 0.
func testKeys(key string) CookieKeys { return CookieKeys{Cur: CookieKey{Key: []byte(key)}} }

// accept feeds the COOKIE ECHO of ck (tag: the INIT ACK's Initiate Tag) to r.
func accept(t *testing.T, r *Responder, now int64, ia wire.InitChunk, ck []byte) error {
	t.Helper()
	a, _, err := r.AcceptCookie(now, piAB, mustParse(t, cookieEchoPacket(ia.InitiateTag(), ck)), nil)
	if err == nil && (a == nil || a.State() != Established) {
		t.Fatal("cookie accepted without an association")
	}
	return err
}

// A cookie sealed before a rotation opens after it for its whole life,
// Cookie Preservative included (the previous key outlives it), and is
// refused with ErrCookieMAC once the previous key expired or after a
// second rotation.
func TestCookieRotationLifetime(t *testing.T) {
	sec := int64(time.Second)
	r := newTestResponder(t)
	span := int64(r.cfg.ValidCookieLife + r.cfg.MaxCookiePreservative)
	ks := testKeys("k1")
	// Sealed at 0 with the largest preservative: alive until span.
	ck, ia := cookieFrom(t, r, 0, func(w *wire.Builder) { w.ParamCookiePreservative(0xFFFFFFFF) })
	rot := 5 * sec
	ks = ks.Rotate([]byte("k2"))
	if err := r.SetKeys(ks, rot); err != nil {
		t.Fatal(err)
	}
	// Still valid and still openable just before the end of its life.
	if err := accept(t, r, span-1, ia, ck); err != nil {
		t.Fatalf("cookie sealed before the rotation refused within its life: %v", err)
	}
	// Past its life but with the previous key still valid: stale, not
	// forged (the ERROR of 5.1.5 step 3).
	if err := accept(t, r, span+sec, ia, ck); !errors.Is(err, ErrCookieStale) {
		t.Fatalf("within the previous key's validity: %v", err)
	}
	if err := accept(t, r, rot+span, ia, ck); !errors.Is(err, ErrCookieMAC) {
		t.Fatalf("previous key accepted past its validity: %v", err)
	}
	// A fresh cookie, then two rotations in a row: its key is gone.
	ck, ia = cookieFrom(t, r, 10*sec, nil)
	ks = ks.Rotate([]byte("k3"))
	r.SetKeys(ks, 11*sec)
	if err := accept(t, r, 12*sec, ia, ck); err != nil {
		t.Fatalf("one rotation: %v", err)
	}
	ks = ks.Rotate([]byte("k4"))
	r.SetKeys(ks, 13*sec)
	if err := accept(t, r, 14*sec, ia, ck); !errors.Is(err, ErrCookieMAC) {
		t.Fatalf("two rotations: %v", err)
	}
}

// The key id is the generation given, not a count of rotations: responders
// created at different times from the same key history (a port added after
// N rotations) open each other's cookies, and the previous key expires at
// the same moment for both.
func TestCookieRotationHoldersAgree(t *testing.T) {
	sec := int64(time.Second)
	old := newTestResponder(t) // saw every rotation
	ks := testKeys("k0")
	for i := 1; i <= 5; i++ {
		ks = ks.Rotate([]byte{'k', byte('0' + i)})
		if err := old.SetKeys(ks, int64(i)*100*sec); err != nil {
			t.Fatal(err)
		}
	}
	// Sealed with generation 5, then one more rotation at 600 s.
	ck, ia := cookieFrom(t, old, 600*sec-1, nil)
	ks = ks.Rotate([]byte("k6"))
	old.SetKeys(ks, 600*sec)
	// Created 20 s after that rotation, told its age.
	cfg := testConfig(portB, 10)
	late := ks
	late.Age = 20 * time.Second
	young, err := NewResponder(&cfg, late, 620*sec)
	if err != nil {
		t.Fatal(err)
	}
	if ks.Cur.Gen != 6 || ks.Prev.Gen != 5 {
		t.Fatalf("generations %d %d", ks.Cur.Gen, ks.Prev.Gen)
	}
	// The previous key's cookie opens in both, until the same instant.
	for _, r := range []*Responder{old, young} {
		if err := accept(t, r, 621*sec, ia, ck); err != nil {
			t.Fatalf("previous-key cookie: %v", err)
		}
		end := 600*sec + int64(r.cfg.ValidCookieLife+r.cfg.MaxCookiePreservative)
		if r.keys.prevUntil != end {
			t.Fatalf("previous key valid until %d, want %d", r.keys.prevUntil, end)
		}
		if err := accept(t, r, end, ia, ck); !errors.Is(err, ErrCookieMAC) {
			t.Fatalf("previous key past its validity: %v", err)
		}
	}
	// Current-key cookies cross over both ways.
	ck1, ia1 := cookieFrom(t, young, 630*sec, nil)
	if err := accept(t, old, 631*sec, ia1, ck1); err != nil {
		t.Fatalf("young's cookie in old: %v", err)
	}
	ck2, ia2 := cookieFrom(t, old, 630*sec, nil)
	if err := accept(t, young, 631*sec, ia2, ck2); err != nil {
		t.Fatalf("old's cookie in young: %v", err)
	}
	// A holder whose previous key already expired when it was created
	// keeps only the current one.
	gone := ks
	gone.Age = time.Hour
	r3, err := NewResponder(&cfg, gone, 4000*sec)
	if err != nil || r3.keys.prev != nil {
		t.Fatalf("expired previous key kept: %v", err)
	}
}

// Generations wrap: 255 is followed by 0 and both stay distinct.
func TestCookieRotationWrap(t *testing.T) {
	r := newTestResponder(t)
	ks := CookieKeys{Cur: CookieKey{Gen: 255, Key: []byte("a")}}
	r.SetKeys(ks, 0)
	ck, ia := cookieFrom(t, r, 0, nil)
	if ck[1] != 255 {
		t.Fatalf("key id %d", ck[1])
	}
	ks = ks.Rotate([]byte("b"))
	if ks.Cur.Gen != 0 {
		t.Fatalf("generation after 255: %d", ks.Cur.Gen)
	}
	r.SetKeys(ks, 1)
	if err := accept(t, r, 2, ia, ck); err != nil {
		t.Fatal(err)
	}
	ck, _ = cookieFrom(t, r, 3, nil)
	if ck[1] != 0 {
		t.Fatalf("key id %d", ck[1])
	}
}

// A cookie whose id names a known generation but was sealed with other
// key bytes fails its MAC; bad key sets are refused and leave the keys
// in force.
func TestCookieRotationBadKeys(t *testing.T) {
	r := newTestResponder(t)
	other, _ := NewResponder(&Config{LocalPort: portB}, testKeys("not k1"), 0)
	ck, ia := cookieFrom(t, other, 0, nil)
	if err := accept(t, r, 1, ia, ck); !errors.Is(err, ErrCookieMAC) {
		t.Fatalf("same generation, other key: %v", err)
	}
	if err := r.SetKeys(CookieKeys{Cur: CookieKey{Gen: 3}}, 0); !errors.Is(err, ErrNoKey) {
		t.Fatalf("empty key: %v", err)
	}
	bad := CookieKeys{Cur: CookieKey{Gen: 3, Key: []byte("x")}, Prev: CookieKey{Gen: 3, Key: []byte("y")}}
	if err := r.SetKeys(bad, 0); !errors.Is(err, ErrKeyGen) {
		t.Fatalf("equal generations: %v", err)
	}
	if _, err := NewResponder(&Config{LocalPort: portB}, bad, 0); !errors.Is(err, ErrKeyGen) {
		t.Fatalf("NewResponder with equal generations: %v", err)
	}
	ck, ia = cookieFrom(t, r, 0, nil)
	if err := accept(t, r, 1, ia, ck); err != nil {
		t.Fatalf("keys in force lost by a refused SetKeys: %v", err)
	}
}

// RFC 9260 5.1.3 in a handshake: B's key rotates while its INIT ACK is in
// flight. After one rotation the COOKIE ECHO, 30 s late, still makes the
// association; after two the cookie's key is gone: B drops the COOKIE ECHO
// (5.1.5 step 2) and makes nothing.
func TestCookieRotationInHandshake(t *testing.T) {
	for rotations := 1; rotations <= 2; rotations++ {
		p := newPair(t, 61)
		ks := testKeys("key-b")
		p.drop = func(from *Endpoint, pkt []byte) bool {
			if from == p.b && describe(pkt) == "INIT ACK" {
				for i := 0; i < rotations; i++ {
					ks = ks.Rotate([]byte{'r', byte(i)})
					if err := p.b.Responder().SetKeys(ks, p.now); err != nil {
						t.Fatal(err)
					}
				}
				p.now += int64(30 * time.Second)
			}
			return false
		}
		a, err := p.a.Connect(p.now, []netip.Addr{addrB}, portB)
		if err != nil {
			t.Fatal(err)
		}
		p.flush()
		up := a.State() == Established && len(p.b.Assocs()) == 1 && p.b.Assocs()[0].State() == Established
		if rotations == 1 && !up {
			t.Fatalf("no association across a rotation: %v", p.trace)
		}
		if rotations == 2 && (up || len(p.b.Assocs()) != 0 || p.b.Stats.CookiesRefused != 1) {
			t.Fatalf("cookie of a key two rotations old accepted: %v, refused %d", p.trace, p.b.Stats.CookiesRefused)
		}
	}
}

// Sealing, and opening with either key, allocate nothing after a rotation.
func TestAllocsCookieKeysRotated(t *testing.T) {
	var k cookieKeys
	ks := testKeys("k1")
	k.set(&ks, 0, int64(time.Minute))
	cd := cookieData{created: 1, lifeMs: 1000, localPort: portB, peerPort: portA, src: addrA, dst: addrB,
		localOS: 10, localMIS: 10, peerOS: 10, peerMIS: 10}
	var b1, b2 [cookieLen]byte
	old := k.seal(b1[:0], &cd)
	ks = ks.Rotate([]byte("k2"))
	k.set(&ks, 1, int64(time.Minute))
	var out cookieData
	n := testing.AllocsPerRun(200, func() {
		cur := k.seal(b2[:0], &cd)
		if k.open(cur, 2, &out) != nil || k.open(old, 2, &out) != nil {
			t.Fatal("cookie refused")
		}
	})
	if n != 0 {
		t.Fatalf("%v allocations per seal and two opens", n)
	}
}

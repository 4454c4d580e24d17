package sctpxdp

import (
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/assoc"
)

// Unprivileged tests of the cookie key keeper and Config.CookieKeyLife.

func testKeeper(t testing.TB) *cookieKeeper {
	k, err := newCookieKeeper(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// CookieKeyLife: negative or shorter than the cookie span is refused; 0
// is the default, lengthened to a longer cookie span.
func TestConfigCookieKeyLife(t *testing.T) {
	short := assoc.Config{ValidCookieLife: 100 * time.Millisecond, MaxCookiePreservative: 50 * time.Millisecond}
	for _, tc := range []struct {
		life  time.Duration
		ac    assoc.Config
		ok    bool
		using time.Duration
	}{
		{-time.Second, assoc.Config{}, false, 0},
		{0, assoc.Config{}, true, DefaultCookieKeyLife},
		{time.Minute, assoc.Config{}, false, 0}, // default span: 60 s + 60 s
		{2 * time.Minute, assoc.Config{}, true, 2 * time.Minute},
		{149 * time.Millisecond, short, false, 0},
		{150 * time.Millisecond, short, true, 150 * time.Millisecond},
		{0, assoc.Config{ValidCookieLife: time.Hour}, true, time.Hour + assoc.DefaultMaxCookiePreservative},
	} {
		c := Config{Interface: "x", CookieKeyLife: tc.life, Assoc: tc.ac}
		err := c.validate()
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("life %v, assoc %+v: %v", tc.life, tc.ac, err)
			continue
		}
		if tc.ok && c.cookieKeyLife() != tc.using {
			t.Errorf("life %v: runtime uses %v, want %v", tc.life, c.cookieKeyLife(), tc.using)
		}
	}
}

// The keeper: random 32-byte keys, generations that step by one with the
// previous key kept, an age that grows, a life only lengthened by cover,
// and a goroutine that rotates and stops.
func TestCookieKeeper(t *testing.T) {
	k := testKeeper(t)
	k0 := k.keys()
	if len(k0.Cur.Key) != cookieKeySize || len(k0.Prev.Key) != 0 || k0.Age < 0 {
		t.Fatalf("first keys %+v", k0)
	}
	for i := 1; i <= 3; i++ {
		prev := k.keys()
		if err := k.rotate(); err != nil {
			t.Fatal(err)
		}
		ks := k.keys()
		if ks.Cur.Gen != uint8(i) || ks.Prev.Gen != prev.Cur.Gen || string(ks.Prev.Key) != string(prev.Cur.Key) ||
			string(ks.Cur.Key) == string(prev.Cur.Key) {
			t.Fatalf("rotation %d: %+v after %+v", i, ks, prev)
		}
	}
	time.Sleep(2 * time.Millisecond)
	if a := k.keys().Age; a < 2*time.Millisecond {
		t.Fatalf("age %v", a)
	}
	k.cover(time.Minute)
	k.cover(2 * time.Hour)
	if k.life.Load() != int64(2*time.Hour) {
		t.Fatalf("life %v", time.Duration(k.life.Load()))
	}
	// The goroutine: a rotation every 5 ms, counted and notified, until
	// halt, which waits for it; a notify that reports the halt ends it too.
	before := runtime.NumGoroutine()
	k.life.Store(int64(5 * time.Millisecond))
	var n atomic.Uint64
	notified := make(chan uint8, 100)
	go k.run(&n, func() bool { notified <- k.keys().Cur.Gen; return true })
	for i := uint8(4); i <= 6; i++ {
		if g := <-notified; g != i {
			t.Fatalf("notified generation %d, want %d", g, i)
		}
	}
	k.halt()
	if n.Load() < 3 || n.Load() != uint64(k.keys().Cur.Gen)-3 {
		t.Fatalf("%d rotations counted, generation %d", n.Load(), k.keys().Cur.Gen)
	}
	k2 := testKeeper(t)
	k2.life.Store(int64(time.Millisecond))
	go k2.run(&n, func() bool { return false })
	<-k2.done // returned by itself
	// done closes just before the goroutine exits.
	for end := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	if runtime.NumGoroutine() > before {
		t.Fatalf("%d goroutines, %d before", runtime.NumGoroutine(), before)
	}
}

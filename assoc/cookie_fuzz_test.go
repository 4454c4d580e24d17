package assoc

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/sctp-xdp/sctp-xdp/crc32c"
	"github.com/sctp-xdp/sctp-xdp/wire"
)

// FuzzCookieOpen mutates a State Cookie a Responder sealed (RFC 9260
// 5.1.3) and opens it, directly and in a COOKIE ECHO (5.1.5). The HMAC
// guarantees that only the unchanged bytes open: any mutation must fail
// with an error, never a panic, and the unchanged cookie must still make an
// association. With bit 2 of op the mutated body is sealed again with the
// key (a cookie we would never have sealed: fields out of range, odd
// address flags): it may open, but must never panic, and an association it
// makes must hold its invariants and send only valid packets.
func FuzzCookieOpen(f *testing.F) {
	cfg := testConfig(portB, 9)
	r, err := NewResponder(&cfg, testKeys("k1"), 0)
	if err != nil {
		f.Fatal(err)
	}
	ck, ia := cookieFrom(f, r, 5, func(w *wire.Builder) {
		w.ParamAddr(addrA2)
		w.ParamAddr(netip.MustParseAddr("2001:2::1"))
		w.ParamAdaptation(0xabcd)
	})
	if len(ck) != cookieLen {
		f.Fatalf("sealed cookie of %d bytes, want %d", len(ck), cookieLen)
	}
	f.Add(byte(0), uint16(0), []byte{})                // unchanged
	f.Add(byte(0), uint16(3), []byte{0x10})            // a flipped bit
	f.Add(byte(0), uint16(cookieBodyLen), []byte{1})   // in the MAC
	f.Add(byte(1), uint16(cookieLen-1), []byte{})      // one byte short
	f.Add(byte(2), uint16(0), []byte{0})               // one byte long
	f.Add(byte(3), uint16(0), make([]byte, cookieLen)) // zeros of the right length
	// Resealed: more addresses than fit, no streams, every address flagged
	// IPv4, no INIT source, stale.
	f.Add(byte(4), uint16(2), []byte{0xff})
	f.Add(byte(4), uint16(40), append([]byte(nil), ck[40:44]...))
	f.Add(byte(4), uint16(52), append([]byte(nil), ck[52:56]...))
	f.Add(byte(4), uint16(60), []byte{0xff, 0xff})
	f.Add(byte(4), uint16(64), append([]byte(nil), ck[64:80]...))
	f.Add(byte(4), uint16(12), append([]byte(nil), ck[12:16]...))
	const now = 10
	f.Fuzz(func(t *testing.T, op byte, off uint16, patch []byte) {
		mut := append([]byte(nil), ck...)
		switch op & 3 {
		case 0: // XOR patch in at off
			for i, b := range patch {
				mut[(int(off)+i)%len(mut)] ^= b
			}
		case 1: // truncate
			mut = mut[:int(off)%(len(mut)+1)]
		case 2: // extend
			mut = append(mut, patch...)
		case 3: // anything
			mut = append(mut[:0], patch...)
		}
		resealed := op&4 != 0 && len(mut) == cookieLen
		if resealed {
			copy(mut[cookieBodyLen:], r.keys.mac(r.keys.cur, mut[:cookieBodyLen]))
		}
		same := bytes.Equal(mut, ck)

		var cd cookieData
		err := r.keys.open(mut, now, &cd)
		switch {
		case same && err != nil:
			t.Fatalf("unchanged cookie refused: %v", err)
		case !same && !resealed && err == nil:
			t.Fatalf("mutated cookie opened as valid:\n% x\nsealed\n% x", mut, ck)
		}

		pkt := cookieEchoPacket(ia.InitiateTag(), mut)
		if len(pkt) > 0xFFFF {
			return
		}
		a, reply, err := r.AcceptCookie(now, piAB, mustParse(t, pkt), nil)
		switch {
		case same && (err != nil || a == nil):
			t.Fatalf("unchanged cookie: %v", err)
		case !same && !resealed && (err == nil || a != nil):
			t.Fatal("mutated cookie made an association")
		case a == nil && err == nil:
			t.Fatal("no association and no error")
		case a == nil && len(reply) > 0: // only a stale cookie is answered (5.1.5 step 3)
			if _, perr := wire.ParseSCTP(reply); perr != nil || !crc32c.Verify(reply) {
				t.Fatalf("bad reply to a refused cookie (%v): %v", err, perr)
			}
		}
		if a == nil {
			return
		}
		if !a.State().Valid() {
			t.Fatalf("association in state %d", a.State())
		}
		if err := a.checkInvariants(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 16; i++ {
			out, _, ok := a.NextPacket(now, nil)
			if !ok {
				break
			}
			if _, err := wire.ParseSCTP(out); err != nil || !crc32c.Verify(out) {
				t.Fatalf("association from a cookie sends a bad packet (%v): % x", err, out)
			}
		}
	})
}

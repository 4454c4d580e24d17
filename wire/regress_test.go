package wire

import (
	"errors"
	"net/netip"
	"testing"
)

// Regressions from review: behaviour a real peer's packets depend on.

// usrsctp and FreeBSD send a 12-byte ECNE; bundled with a SACK it must not
// cost the packet.
func TestECNETwelveBytes(t *testing.T) {
	b := pkt(3, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0x10, 0, 0, 0, 0, 0, // SACK
		12, 0, 0, 12, 0, 0, 0, 5, 0, 0, 0, 1) // ECNE with a packet count
	if _, err := ParseSCTP(b); err != nil {
		t.Fatalf("SACK + 12-byte ECNE: %v", err)
	}
	if _, err := ParseSCTP(pkt(12, 0, 0, 4)); !errors.Is(err, ErrLength) {
		t.Errorf("4-byte ECNE: %v", err)
	}
}

// RFC 9260 3.2.1: after a parameter whose action bits say stop, nothing
// more of the chunk is processed.
func TestInitOptionsStopAtStopParameter(t *testing.T) {
	var w Builder
	w.Start(nil, 1, 2, 0)
	w.BeginInitAck(7, 65536, 1, 1, 1)
	w.Param(0x0123, []byte{1, 2, 3, 4}) // unknown, action bits 00: stop, discard
	w.Param(ParamHostName, []byte("example.invalid\x00"))
	w.Param(ParamStateCookie, []byte("cookie"))
	w.End()
	b, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSCTP(b)
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := s.FirstChunk()
	var o InitOptions
	InitChunk(ch).Options(&o)
	if o.Stop == nil || o.Stop.Type() != 0x0123 || o.HasHostName || o.StateCookie != nil {
		t.Errorf("options read past the stop parameter: %+v", o)
	}
}

// Room keeps a chunk that fills it inside limit even when limit is not a
// multiple of 4 (ICMP and PLPMTUD give any MTU).
func TestRoomOddLimit(t *testing.T) {
	for limit := 40; limit < 48; limit++ {
		var w Builder
		w.Start(nil, 1, 2, 3)
		room := w.Room(limit)
		w.Chunk(ChunkPad, 0, make([]byte, room-ChunkHeaderLen))
		b, err := w.Finish()
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > limit {
			t.Errorf("limit %d: Room %d gave a %d-byte packet", limit, room, len(b))
		}
	}
}

// Echoed parameters are framing-checked only; Valid tells whether their
// typed accessors are safe.
func TestParamValid(t *testing.T) {
	short := Param{0x80, 0x01, 0, 4}               // Zero Checksum Acceptable without its EDMID
	addr := Param{0, 5, 0, 8, 198, 18, 0, 1}       // IPv4 address
	badAddr := Param{0, 6, 0, 8, 0x20, 0x01, 0, 2} // "IPv6" of 4 bytes
	if short.Valid() || badAddr.Valid() || !addr.Valid() || Param(nil).Valid() {
		t.Errorf("Valid: short %v, badAddr %v, addr %v", short.Valid(), badAddr.Valid(), addr.Valid())
	}
}

func TestParamAddrZeroIsAnError(t *testing.T) {
	var w Builder
	w.Start(nil, 1, 2, 3)
	w.BeginInit(1, 65536, 1, 1, 1)
	w.ParamAddr(netip.Addr{})
	w.End()
	if _, err := w.Finish(); !errors.Is(err, ErrValue) {
		t.Errorf("zero address built: %v", err)
	}
}

package wire

import (
	"errors"
	"testing"
)

// pkt prefixes chunk bytes with a common header (checksum not verified here).
func pkt(chunks ...byte) []byte {
	return append([]byte{0x13, 0x89, 0, 9, 1, 2, 3, 4, 0, 0, 0, 0}, chunks...)
}

func TestMalformed(t *testing.T) {
	for _, c := range []struct {
		name  string
		b     []byte
		kind  error
		cause CauseCode
	}{
		{"short header", []byte{1, 2, 3}, ErrTruncated, 0},
		{"no chunks", pkt(), ErrLength, 0},
		{"chunk header cut", pkt(0, 0), ErrTruncated, 0},
		{"zero-length chunk", pkt(0xC0, 0, 0, 0), ErrLength, 0},
		{"length 3", pkt(11, 0, 0, 3), ErrLength, 0},
		{"length past end", pkt(11, 0, 0, 8, 0, 0, 0), ErrTruncated, 0},
		{"padding missing", pkt(0, 3, 0, 17, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xAA), ErrPadding, 0},
		{"trailing bytes", pkt(11, 0, 0, 4, 0), ErrTruncated, 0},
		{"DATA short", pkt(0, 3, 0, 8, 0, 0, 0, 1), ErrLength, 0},
		{"DATA no user data", pkt(0, 3, 0, 16, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0), ErrLength, CauseNoUserData},
		{"I-DATA no user data", pkt(0x40, 3, 0, 20, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), ErrLength, CauseNoUserData},
		{"INIT short", pkt(1, 0, 0, 8, 0, 0, 0, 1), ErrLength, 0},
		{"INIT tag 0", pkt(1, 0, 0, 20, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1), ErrValue, 0},
		{"INIT OS 0", pkt(1, 0, 0, 20, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1), ErrValue, CauseInvalidMandatoryParam},
		{"INIT ACK no cookie", pkt(2, 0, 0, 20, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1), ErrValue, CauseMissingMandatoryParam},
		{"INIT IPv4 param length 7", pkt(1, 0, 0, 28, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 5, 0, 7, 1, 2, 3, 0), ErrLength, 0},
		{"INIT param length 2", pkt(1, 0, 0, 24, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 5, 0, 2), ErrLength, 0},
		{"INIT param past chunk", pkt(1, 0, 0, 24, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 5, 0, 8), ErrTruncated, 0},
		{"INIT param padding cut", pkt(1, 0, 0, 26, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0x80, 0x05, 0, 5, 0, 0, 0, 0), ErrPadding, 0},
		{"SACK counts", pkt(3, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 1, 0, 2, 0, 0, 0, 1, 0, 2), ErrLength, 0},
		{"SACK dup count", pkt(3, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1), ErrLength, 0},
		{"NR-SACK counts", pkt(0x10, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0), ErrLength, 0},
		{"HEARTBEAT without info", pkt(4, 0, 0, 4), ErrLength, 0},
		{"HEARTBEAT wrong param", pkt(4, 0, 0, 8, 0, 7, 0, 4), ErrValue, 0},
		{"SHUTDOWN length", pkt(7, 0, 0, 4), ErrLength, 0},
		{"COOKIE ACK length", pkt(11, 0, 0, 8, 0, 0, 0, 0), ErrLength, 0},
		{"ECNE length", pkt(12, 0, 0, 4), ErrLength, 0},
		{"ABORT cause length 2", pkt(6, 0, 0, 8, 0, 1, 0, 2), ErrLength, 0},
		{"AUTH short", pkt(15, 0, 0, 4), ErrLength, 0},
		{"ASCONF no address", pkt(0xC1, 0, 0, 16, 0, 0, 0, 1, 0x80, 0, 0, 8, 0, 0, 0, 0), ErrValue, 0},
		{"ASCONF short", pkt(0xC1, 0, 0, 8, 0, 0, 0, 1), ErrLength, 0},
		{"ASCONF-ACK short", pkt(0x80, 0, 0, 4), ErrLength, 0},
		{"RE-CONFIG empty", pkt(0x82, 0, 0, 4), ErrLength, 0},
		{"RE-CONFIG wrong param", pkt(0x82, 0, 0, 12, 0, 5, 0, 8, 1, 2, 3, 4), ErrValue, 0},
		{"RE-CONFIG response length", pkt(0x82, 0, 0, 20, 0, 16, 0, 16, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0), ErrLength, 0},
		{"FORWARD-TSN length", pkt(0xC0, 0, 0, 10, 0, 0, 0, 1, 0, 1, 0, 0), ErrLength, 0},
		{"I-FORWARD-TSN length", pkt(0xC2, 0, 0, 12, 0, 0, 0, 1, 0, 1, 0, 0), ErrLength, 0},
		{"PKTDROP short", pkt(0x81, 0, 0, 8, 0, 0, 0, 1), ErrLength, 0},
	} {
		_, err := ParseSCTP(c.b)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: error %v, want *Error", c.name, err)
			continue
		}
		if !errors.Is(err, c.kind) || e.Cause != c.cause {
			t.Errorf("%s: %v (cause %d), want kind %v cause %d", c.name, err, e.Cause, c.kind, c.cause)
		}
	}
}

// TestMalformedCausesSkipped: an ABORT or ERROR whose cause has the wrong
// layout for its code still parses (the peer's ABORT must take effect), and
// the cause iterator passes over the bad cause, so its typed accessors are
// never reached; a good cause after it is still read.
func TestMalformedCausesSkipped(t *testing.T) {
	for _, c := range []struct {
		name string
		b    []byte
	}{
		{"ABORT invalid stream length", pkt(6, 0, 0, 16, 0, 1, 0, 4, 0, 3, 0, 8, 0, 0, 0, 42)},
		{"ERROR missing params count", pkt(9, 0, 0, 24, 0, 2, 0, 10, 0, 0, 0, 2, 0, 7, 0, 0, 0, 3, 0, 8, 0, 0, 0, 42)},
		{"ERROR HMAC cause length", pkt(9, 0, 0, 20, 0x01, 0x05, 0, 8, 0, 1, 0, 0, 0, 3, 0, 8, 0, 0, 0, 42)},
	} {
		s, err := ParseSCTP(c.b)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		ch, _ := s.FirstChunk()
		it := Causes(ch.Value())
		var codes []CauseCode
		for cause, ok := it.Next(); ok; cause, ok = it.Next() {
			codes = append(codes, cause.Code())
		}
		if it.Err() != nil || it.Skipped() != 1 || len(codes) != 1 || codes[0] != CauseStaleCookie {
			t.Errorf("%s: causes %v, skipped %d, err %v; want the Stale Cookie cause alone", c.name, codes, it.Skipped(), it.Err())
		}
	}
}

// TestNestingBounded: Error Cause Indications nested in causes nested in
// parameters end in ErrUnsupported, not a deep recursion. The bytes are
// assembled by hand: the Builder refuses such nesting itself.
func TestNestingBounded(t *testing.T) {
	tlv := func(typ uint16, head []byte, body []byte) []byte {
		n := 4 + len(head) + len(body)
		return append(append([]byte{byte(typ >> 8), byte(typ), byte(n >> 8), byte(n)}, head...), body...)
	}
	x := tlv(uint16(ParamErrorCauseIndication), []byte{0, 0, 0, 1}, nil)
	for range 4 {
		x = tlv(uint16(CauseDeleteLastAddress), nil, x)
		x = tlv(uint16(ParamErrorCauseIndication), []byte{0, 0, 0, 1}, x)
	}
	chunk := tlv(uint16(ChunkAsconfAck)<<8, []byte{0, 0, 0, 1}, x)
	if _, err := ParseSCTP(pkt(chunk...)); !errors.Is(err, ErrUnsupported) {
		t.Errorf("deep nesting: %v, want ErrUnsupported", err)
	}
	// One level less is accepted: the bound is not tighter than it says.
	y := tlv(uint16(ParamErrorCauseIndication), []byte{0, 0, 0, 1}, nil)
	y = tlv(uint16(CauseDeleteLastAddress), nil, y)
	y = tlv(uint16(ParamErrorCauseIndication), []byte{0, 0, 0, 1}, y)
	if _, err := ParseSCTP(pkt(tlv(uint16(ChunkAsconfAck)<<8, []byte{0, 0, 0, 1}, y)...)); err != nil {
		t.Errorf("two levels of nesting: %v", err)
	}
}

func TestBuilderErrors(t *testing.T) {
	var w Builder
	w.Start(nil, 1, 2, 3)
	w.Data(0, 1, 0, 0, 0, make([]byte, 70000))
	if _, err := w.Finish(); err == nil {
		t.Error("oversized chunk accepted")
	}
	w.Start(nil, 1, 2, 3)
	for range maxOpen + 2 {
		w.BeginChunk(ChunkPad, 0)
	}
	if _, err := w.Finish(); err == nil {
		t.Error("over-deep nesting accepted")
	}
}

func TestRoom(t *testing.T) {
	var w Builder
	w.Start(make([]byte, 34), 1, 2, 3) // after Ethernet + IPv4
	if w.Len() != 12 || w.Room(100) != 88 {
		t.Fatalf("Len %d Room %d", w.Len(), w.Room(100))
	}
	w.Data(0, 1, 0, 0, 0, []byte{1})
	if w.Len() != 29 || w.Room(100) != 100-32 {
		t.Fatalf("Len %d Room %d", w.Len(), w.Room(100))
	}
	b, _ := w.Finish()
	if len(b) != 34+32 {
		t.Fatalf("len %d", len(b))
	}
	mustParse(t, b[34:])
}

func TestValidateChunkFraming(t *testing.T) {
	for _, c := range []Chunk{nil, {0}, {0, 0, 0}, {0, 0, 0, 8}, {0, 0, 0, 4, 0}} {
		if err := ValidateChunk(c); !errors.Is(err, ErrLength) {
			t.Errorf("% x: %v", []byte(c), err)
		}
	}
}

package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
)

func TestParseIPv4Fields(t *testing.T) {
	f := IPv4Fields{DSCP: 46, ECN: 1, ID: 0xbeef, TTL: 17, Protocol: IPProtocolSCTP,
		Source: l3V4A, Destination: l3V4B, Options: []byte{1, 148, 4, 0, 0}}
	b, off, err := AppendIPv4Header([]byte{0xaa}, &f)
	if err != nil || off != 1 {
		t.Fatal(off, err)
	}
	b = append(b, "payload!"...)
	if err := FinishIPv4(b, off); err != nil {
		t.Fatal(err)
	}
	b = append(b, 0, 0, 0) // link-layer padding
	h, err := ParseIPv4(b[off:])
	if err != nil {
		t.Fatal(err)
	}
	if h.Version() != 4 || h.HeaderLen() != 28 || h.DSCP() != 46 || h.ECN() != 1 || h.TOS() != 46<<2|1 ||
		h.TotalLength() != 36 || len(h) != 36 || h.ID() != 0xbeef || !h.DontFragment() || h.MoreFragments() ||
		h.FragmentOffset() != 0 || h.IsFragment() || h.TTL() != 17 || h.Protocol() != IPProtocolSCTP ||
		h.SourceAddress() != l3V4A || h.DestinationAddress() != l3V4B ||
		h.Source() != netip.AddrFrom4(l3V4A) || h.Destination() != netip.AddrFrom4(l3V4B) ||
		string(h.Payload()) != "payload!" || !bytes.Equal(h.Options(), []byte{1, 148, 4, 0, 0, 0, 0, 0}) {
		t.Fatalf("fields wrong: % x", []byte(h))
	}
	if InternetChecksum(h[:h.HeaderLen()]) != 0 || h.Checksum() == 0 {
		t.Fatal("checksum does not verify")
	}
	// Fields round trip (options come back padded).
	g := h.Fields()
	f.Options = h.Options()
	if !l3IPv4FieldsEqual(f, g) {
		t.Fatalf("Fields() = %+v, want %+v", g, f)
	}
}

func l3IPv4FieldsEqual(a, b IPv4Fields) bool {
	return bytes.Equal(a.Options, b.Options) && a.DSCP == b.DSCP && a.ECN == b.ECN && a.ID == b.ID &&
		a.ClearDF == b.ClearDF && a.MoreFragments == b.MoreFragments && a.FragmentOffset == b.FragmentOffset &&
		a.TTL == b.TTL && a.Protocol == b.Protocol && a.Source == b.Source && a.Destination == b.Destination
}

// TestIPv4GoldenScapy compares the builder with bytes from scapy 2.5, an
// independent implementation:
//
//	IP(id=0x1234, flags="DF", ttl=64, tos=0xb9, src="198.18.0.1", dst="198.18.0.2",
//	   proto=132, options=[IPOption_NOP(), IPOption_Router_Alert()]) / Raw(b"abcd")
func TestIPv4GoldenScapy(t *testing.T) {
	want := l3Hex(t, "47b9002012344000408493b1c6120001c6120002"+"0194040000000000"+"61626364")
	f := IPv4Fields{DSCP: 46, ECN: 1, ID: 0x1234, TTL: 64, Protocol: IPProtocolSCTP,
		Source: l3V4A, Destination: l3V4B, Options: []byte{1, 148, 4, 0, 0}}
	b, off, err := AppendIPv4Header(nil, &f)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, "abcd"...)
	if err := FinishIPv4(b, off); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("built\n% x\nscapy\n% x", b, want)
	}
}

func TestParseIPv4Errors(t *testing.T) {
	good := func() []byte {
		f := IPv4Fields{TTL: 64, Protocol: IPProtocolSCTP, Source: l3V4A, Destination: l3V4B, Options: []byte{1, 1, 1, 1}}
		b, off, _ := AppendIPv4Header(nil, &f)
		b = append(b, make([]byte, 16)...)
		FinishIPv4(b, off)
		return b
	}
	// mod changes a good packet; fix recomputes the header checksum after.
	tests := []struct {
		name string
		mod  func(b []byte) []byte
		fix  bool
		err  error
	}{
		{"good", func(b []byte) []byte { return b }, false, nil},
		{"version 6", func(b []byte) []byte { b[0] = 0x66; return b }, true, ErrValue},
		{"IHL 4", func(b []byte) []byte { b[0] = 0x44; return b }, false, ErrLength},
		{"IHL beyond bytes", func(b []byte) []byte { b[0] = 0x4f; return b[:40] }, false, ErrTruncated},
		{"total length below IHL", func(b []byte) []byte { b[3] = 23; return b }, true, ErrLength},
		{"total length beyond bytes", func(b []byte) []byte { return b[:len(b)-1] }, false, ErrTruncated},
		{"checksum", func(b []byte) []byte { b[8]--; return b }, false, ErrValue},
		{"reserved flag", func(b []byte) []byte { b[6] |= 0x80; return b }, true, ErrValue},
		{"MF, odd length", func(b []byte) []byte { b[6] |= 0x20; b[3]--; return b }, true, ErrLength},
		{"MF, multiple of 8", func(b []byte) []byte { b[6] |= 0x20; return b }, true, nil},
		{"fragment beyond 65535", func(b []byte) []byte { b[6], b[7] = 0x1f, 0xfe; return b }, true, ErrLength},
		{"option length 1", func(b []byte) []byte { b[21], b[22] = 7, 1; return b }, true, ErrLength},
		{"option beyond header", func(b []byte) []byte { b[22], b[23] = 7, 3; return b }, true, ErrLength},
		{"option type without length", func(b []byte) []byte { b[23] = 7; return b }, true, ErrLength},
		{"EOL ends options", func(b []byte) []byte { b[22], b[23] = 0, 7; return b }, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.mod(good())
			if tt.fix {
				b[10], b[11] = 0, 0
				binary.BigEndian.PutUint16(b[10:], InternetChecksum(b[:24]))
			}
			_, err := ParseIPv4(b)
			if tt.err == nil && err != nil || !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
		})
	}
}

func TestIPv4BuildErrors(t *testing.T) {
	f := IPv4Fields{Options: make([]byte, 41)}
	if _, _, err := AppendIPv4Header(nil, &f); !errors.Is(err, ErrLength) {
		t.Fatalf("41 option bytes: %v", err)
	}
	f.Options = f.Options[:40]
	b, off, err := AppendIPv4Header(nil, &f)
	if err != nil || len(b) != 60 {
		t.Fatalf("40 option bytes: %d %v", len(b), err)
	}
	if err := FinishIPv4(b, off+1); err == nil {
		t.Fatal("FinishIPv4 at a wrong offset succeeded")
	}
	if err := FinishIPv4(b, -1); err == nil {
		t.Fatal("FinishIPv4 at -1 succeeded")
	}
	if err := FinishIPv4(append(b, make([]byte, 65536)...), off); !errors.Is(err, ErrLength) {
		t.Fatalf("oversized: %v", err)
	}
	// Fragment fields and ClearDF.
	f = IPv4Fields{ClearDF: true, MoreFragments: true, FragmentOffset: 1480}
	b, off, _ = AppendIPv4Header(nil, &f)
	b = append(b, make([]byte, 8)...)
	FinishIPv4(b, off)
	h, err := ParseIPv4(b)
	if err != nil || h.DontFragment() || !h.MoreFragments() || h.FragmentOffset() != 1480 || !h.IsFragment() {
		t.Fatalf("fragment: %v % x", err, b)
	}
}

func l3Hex(t testing.TB, s string) []byte {
	t.Helper()
	b := make([]byte, len(s)/2)
	for i := range b {
		var v byte
		for _, c := range s[2*i : 2*i+2] {
			switch {
			case c >= '0' && c <= '9':
				v = v<<4 | byte(c-'0')
			case c >= 'a' && c <= 'f':
				v = v<<4 | byte(c-'a'+10)
			default:
				t.Fatalf("bad hex %q", s)
			}
		}
		b[i] = v
	}
	return b
}

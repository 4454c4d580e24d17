package wire

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
)

// TestIPv6GoldenScapy compares the builders with bytes from scapy 2.5, an
// independent implementation:
//
//	IPv6(tc=(10<<2)|1, fl=0x12345, hlim=64, src="2001:2::1", dst="2001:2::2")
//	/ IPv6ExtHdrHopByHop(options=[RouterAlert(value=0)]) / IPv6ExtHdrDestOpt()
//	/ IPv6ExtHdrSegmentRouting(addresses=["2001:2::2"], segleft=0, lastentry=0)
//	/ IPv6ExtHdrFragment(offset=0, m=0, id=0xdeadbeef)
//	/ IPv6ExtHdrDestOpt(nh=132, options=[HBHOptUnknown(otype=0x1e, optdata=b"\x01\x02\x03")])
//	/ Raw(b"abcd")
func TestIPv6GoldenScapy(t *testing.T) {
	want := l3Hex(t, "62912345003c004020010002000000000000000000000001200100020000000000000000000000023c00050200000100"+
		"2b000104000000002c02040000000000200100020000000000000000000000023c000000deadbeef84001e030102030061626364")
	f := IPv6Fields{DSCP: 10, ECN: 1, FlowLabel: 0x12345, NextHeader: IPv6HopByHop, HopLimit: 64, Source: l3V6A, Destination: l3V6B}
	b, off := AppendIPv6Header(nil, &f)
	b = append(b, l3V6Ext(t)...)
	b = append(b, "abcd"...)
	if err := FinishIPv6(b, off); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("built\n% x\nscapy\n% x", b, want)
	}
	h, x, err := ParseIPv6(append(b, 0, 0)) // with link-layer padding
	if err != nil {
		t.Fatal(err)
	}
	if h.Version() != 6 || h.TrafficClass() != 41 || h.DSCP() != 10 || h.ECN() != 1 || h.FlowLabel() != 0x12345 ||
		h.PayloadLength() != 60 || len(h) != 100 || h.NextHeader() != IPv6HopByHop || h.HopLimit() != 64 ||
		h.SourceAddress() != l3V6A || h.DestinationAddress() != l3V6B ||
		h.Source() != netip.AddrFrom16(l3V6A) || h.Destination() != netip.AddrFrom16(l3V6B) {
		t.Fatalf("fields wrong: % x", []byte(h))
	}
	wantX := IPv6Ext{Protocol: IPProtocolSCTP, PayloadOffset: 96, ExtHeaders: 5, FragmentID: 0xdeadbeef}
	if x != wantX {
		t.Fatalf("walk = %+v, want %+v (an atomic fragment is no fragment, RFC 6946)", x, wantX)
	}
	if h.Fields() != f {
		t.Fatalf("Fields() = %+v, want %+v", h.Fields(), f)
	}
}

// l3V6Chain builds an IPv6 packet whose extension headers have the given
// types in order (each minimal), then 8 payload bytes.
func l3V6Chain(t testing.TB, types ...uint8) []byte {
	next := func(i int) uint8 {
		if i+1 < len(types) {
			return types[i+1]
		}
		return IPProtocolSCTP
	}
	var ext []byte
	for i, typ := range types {
		switch typ {
		case IPv6Fragment:
			ext = AppendIPv6Fragment(ext, next(i), 0, false, 1)
		case IPv6AH:
			// RFC 4302: next, payload length (in 4-byte units, minus 2), reserved, SPI, sequence, ICV.
			ext = append(ext, next(i), 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
		default:
			ext = append(ext, next(i), 0, 1, 4, 0, 0, 0, 0) // PadN
		}
	}
	first := IPProtocolSCTP
	if len(types) > 0 {
		first = types[0]
	}
	f := IPv6Fields{NextHeader: first, HopLimit: 1, Source: l3V6A, Destination: l3V6B}
	b, off := AppendIPv6Header(nil, &f)
	b = append(b, ext...)
	b = append(b, 1, 2, 3, 4, 5, 6, 7, 8)
	if err := FinishIPv6(b, off); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIPv6Walk(t *testing.T) {
	eight := []uint8{IPv6HopByHop, IPv6DestOpts, IPv6Routing, IPv6AH, IPv6Fragment, IPv6DestOpts, ipv6Mobility, IPv6DestOpts}
	tests := []struct {
		name  string
		types []uint8
		proto uint8
		n     int
		err   error
	}{
		{"none", nil, IPProtocolSCTP, 0, nil},
		{"hop-by-hop", []uint8{IPv6HopByHop}, IPProtocolSCTP, 1, nil},
		{"AH", []uint8{IPv6AH}, IPProtocolSCTP, 1, nil},
		{"eight", eight, IPProtocolSCTP, 8, nil},
		{"nine", append(eight[:8:8], IPv6DestOpts), 0, 0, ErrUnsupported},
		{"hop-by-hop second", []uint8{IPv6DestOpts, IPv6HopByHop}, 0, 0, ErrValue},
		{"two fragment headers", []uint8{IPv6Fragment, IPv6Fragment}, 0, 0, ErrValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := l3V6Chain(t, tt.types...)
			_, x, err := ParseIPv6(b)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if x.Protocol != tt.proto || x.ExtHeaders != tt.n || x.PayloadOffset != len(b)-8 || x.Fragment {
				t.Fatalf("walk = %+v", x)
			}
			for i := range len(b) {
				if _, _, err := ParseIPv6(b[:i]); !errors.Is(err, ErrTruncated) {
					t.Fatalf("truncated to %d: %v", i, err)
				}
			}
		})
	}
}

func TestIPv6WalkEnds(t *testing.T) {
	// ESP and No Next Header end the walk and are the protocol.
	for _, p := range []uint8{IPv6ESP, IPv6NoNextHeader} {
		b := l3V6Chain(t, IPv6DestOpts)
		b[40] = p
		_, x, err := ParseIPv6(b)
		if err != nil || x.Protocol != p || x.PayloadOffset != 48 || x.ExtHeaders != 1 {
			t.Fatalf("next header %d: %+v %v", p, x, err)
		}
	}
}

func TestIPv6Fragments(t *testing.T) {
	build := func(offset uint16, more bool, n int) []byte {
		f := IPv6Fields{NextHeader: IPv6DestOpts, HopLimit: 1, Source: l3V6A, Destination: l3V6B}
		b, off := AppendIPv6Header(nil, &f)
		b, _ = AppendIPv6Options(b, IPv6Fragment, nil)
		b = AppendIPv6Fragment(b, IPProtocolSCTP, offset, more, 0x01020304)
		b = append(b, make([]byte, n)...)
		FinishIPv6(b, off)
		return b
	}
	tests := []struct {
		name   string
		offset uint16
		more   bool
		n      int
		want   IPv6Ext
		err    error
	}{
		{"first", 0, true, 16, IPv6Ext{Protocol: IPProtocolSCTP, PayloadOffset: 56, ExtHeaders: 2, Fragment: true, MoreFragments: true, FragmentID: 0x01020304}, nil},
		{"middle", 1448, true, 8, IPv6Ext{Protocol: IPProtocolSCTP, PayloadOffset: 56, ExtHeaders: 2, Fragment: true, FragmentOffset: 1448, MoreFragments: true, FragmentID: 0x01020304}, nil},
		{"last", 2896, false, 3, IPv6Ext{Protocol: IPProtocolSCTP, PayloadOffset: 56, ExtHeaders: 2, Fragment: true, FragmentOffset: 2896, FragmentID: 0x01020304}, nil},
		{"atomic", 0, false, 3, IPv6Ext{Protocol: IPProtocolSCTP, PayloadOffset: 56, ExtHeaders: 2, FragmentID: 0x01020304}, nil},
		{"non-final odd", 8, true, 9, IPv6Ext{}, ErrLength},
		{"beyond 65535", 65528, false, 8, IPv6Ext{}, ErrLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, x, err := ParseIPv6(build(tt.offset, tt.more, tt.n))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || x != tt.want {
				t.Fatalf("walk = %+v, %v; want %+v", x, err, tt.want)
			}
		})
	}
}

func TestParseIPv6Errors(t *testing.T) {
	b := l3V6Chain(t)
	b[0] = 0x40
	if _, _, err := ParseIPv6(b); !errors.Is(err, ErrValue) {
		t.Fatalf("version 4: %v", err)
	}
	b = l3V6Chain(t, IPv6HopByHop)
	b[4], b[5] = 0, 0
	if _, _, err := ParseIPv6(b); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("jumbogram: %v", err)
	}
	b = l3V6Chain(t, IPv6DestOpts)
	b[41] = 1 // 16 bytes claimed, 8+8 present: reaches exactly the end
	if _, x, err := ParseIPv6(b); err != nil || x.PayloadOffset != len(b) {
		t.Fatalf("options to the end: %+v %v", x, err)
	}
	b[41] = 2
	if _, _, err := ParseIPv6(b); !errors.Is(err, ErrTruncated) {
		t.Fatalf("options beyond the end: %v", err)
	}
}

func TestIPv6BuildErrors(t *testing.T) {
	if _, err := AppendIPv6Options(nil, 0, make([]byte, 2047)); !errors.Is(err, ErrLength) {
		t.Fatalf("options too long: %v", err)
	}
	if b, err := AppendIPv6Options(nil, 0, make([]byte, 2046)); err != nil || len(b) != 2048 {
		t.Fatalf("longest options: %d %v", len(b), err)
	}
	if _, err := AppendIPv6Routing(nil, 0, 4, 0, make([]byte, 5)); !errors.Is(err, ErrLength) {
		t.Fatalf("routing data not a multiple of 8: %v", err)
	}
	f := IPv6Fields{FlowLabel: 0xfffffff}
	b, off := AppendIPv6Header(nil, &f)
	if h := IPv6(b); h.FlowLabel() != 0xfffff || h.TrafficClass() != 0 || h.Version() != 6 {
		t.Fatalf("flow label not masked: % x", b)
	}
	if err := FinishIPv6(b, off+1); err == nil {
		t.Fatal("FinishIPv6 at a wrong offset succeeded")
	}
	if err := FinishIPv6(append(b, make([]byte, 65536)...), off); !errors.Is(err, ErrLength) {
		t.Fatalf("oversized: %v", err)
	}
}

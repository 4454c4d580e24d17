package wire

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
)

// Golden ICMP messages from scapy 2.5, an independent implementation. The
// quoted packets carry the first 8 bytes of an SCTP common header (ports
// 5001 → 7, verification tag 0x01020304):
//
//	q4 = IP(src="198.18.0.1", dst="198.18.0.2", proto=132, id=0x1234, flags="DF", ttl=64, tos=2) / Raw(sctp8)
//	ICMP(type=3, code=4, nexthopmtu=1400) / Raw(q4)   with IP(src="198.19.0.254", dst="198.18.0.1")
//	ICMP(type=12, code=0, ptr=9) / Raw(q4)
//	q6 = IPv6(src="2001:2::1", dst="2001:2::2", nh=132, hlim=64) / Raw(sctp8)
//	ICMPv6PacketTooBig(mtu=1280) / Raw(q6)            with IPv6(src="2001:2:0:1::fe", dst="2001:2::1")
//	ICMPv6TimeExceeded(code=0) / Raw(q6)
const (
	l3ScapyQ4          = "4502001c1234400040849c00c6120001c61200021389000701020304"
	l3ScapyFragNeeded  = "0304dfed00000578" + l3ScapyQ4
	l3ScapyParamProb   = "0c00d36909000000" + l3ScapyQ4
	l3ScapyQ6          = "600000000008844020010002000000000000000000000001200100020000000000000000000000021389000701020304"
	l3ScapyTooBig      = "02007b9f00000500" + l3ScapyQ6
	l3ScapyTimeExceed6 = "03007f9f00000000" + l3ScapyQ6
)

func TestICMPGoldenScapy(t *testing.T) {
	sctp8 := []byte{0x13, 0x89, 0, 7, 1, 2, 3, 4}
	// The quoted packets from our builders equal scapy's.
	f4 := IPv4Fields{ECN: 2, ID: 0x1234, TTL: 64, Protocol: IPProtocolSCTP, Source: l3V4A, Destination: l3V4B}
	q4, off, _ := AppendIPv4Header(nil, &f4)
	q4 = append(q4, sctp8...)
	FinishIPv4(q4, off)
	f6 := IPv6Fields{NextHeader: IPProtocolSCTP, HopLimit: 64, Source: l3V6A, Destination: l3V6B}
	q6, off := AppendIPv6Header(nil, &f6)
	q6 = append(q6, sctp8...)
	FinishIPv6(q6, off)
	r6, a6 := netip.AddrFrom16(l3V6R), netip.AddrFrom16(l3V6A)

	tests := []struct {
		name  string
		built []byte
		want  string
		v6    bool
		e     ICMPError
	}{
		{"frag needed", AppendICMPv4Error(nil, 3, 4, 1400, q4), l3ScapyFragNeeded, false,
			ICMPError{Type: 3, Code: 4, MTU: 1400, Source: netip.AddrFrom4(l3V4A), Destination: netip.AddrFrom4(l3V4B), Protocol: IPProtocolSCTP}},
		{"parameter problem", AppendICMPv4Error(nil, 12, 0, 9, q4), l3ScapyParamProb, false,
			ICMPError{Type: 12, Pointer: 9, Source: netip.AddrFrom4(l3V4A), Destination: netip.AddrFrom4(l3V4B), Protocol: IPProtocolSCTP}},
		{"packet too big", AppendICMPv6Error(nil, 2, 0, 1280, q6, r6, a6), l3ScapyTooBig, true,
			ICMPError{Type: 2, MTU: 1280, Source: a6, Destination: netip.AddrFrom16(l3V6B), Protocol: IPProtocolSCTP}},
		{"time exceeded", AppendICMPv6Error(nil, 3, 0, 0, q6, r6, a6), l3ScapyTimeExceed6, true,
			ICMPError{Type: 3, Source: a6, Destination: netip.AddrFrom16(l3V6B), Protocol: IPProtocolSCTP}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := l3Hex(t, tt.want)
			if !bytes.Equal(tt.built, want) {
				t.Fatalf("built\n% x\nscapy\n% x", tt.built, want)
			}
			var e ICMPError
			var err error
			if tt.v6 {
				e, err = ParseICMPv6Error(want, r6, a6)
			} else {
				e, err = ParseICMPv4Error(want)
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(e.Quoted, sctp8) {
				t.Fatalf("quoted % x", e.Quoted)
			}
			e.Quoted = nil
			if !l3ICMPEqual(e, tt.e) {
				t.Fatalf("got %+v\nwant %+v", e, tt.e)
			}
			if e.TooBig() != (tt.e.MTU != 0) {
				t.Fatalf("TooBig() = %v", e.TooBig())
			}
			e.Quoted = sctp8
			if s, d := e.QuotedPorts(); s != 5001 || d != 7 || e.QuotedVerificationTag() != 0x01020304 {
				t.Fatalf("ports %d %d tag %#x", s, d, e.QuotedVerificationTag())
			}
		})
	}
}

func TestICMPErrors(t *testing.T) {
	cs := l3Cases(t)
	var q4, q6 []byte // quoted packets with options / extension headers
	for _, c := range cs {
		switch c.name {
		case "ipv4-options-vlan":
			q4 = c.frame[18:]
		case "ipv6-ext-qinq":
			q6 = c.frame[22:]
		}
	}
	r6, a6 := netip.AddrFrom16(l3V6R), netip.AddrFrom16(l3V6A)
	p4 := func(typ, code uint8, q []byte) error {
		_, err := ParseICMPv4Error(AppendICMPv4Error(nil, typ, code, 0, q))
		return err
	}
	p6 := func(typ, code uint8, q []byte) error {
		_, err := ParseICMPv6Error(AppendICMPv6Error(nil, typ, code, 0, q, r6, a6), r6, a6)
		return err
	}
	q4v6 := append([]byte{}, q4...)
	q4v6[0] = 0x65
	q4ihl := append([]byte{}, q4...)
	q4ihl[0] = 0x44
	q4frag := append([]byte{}, q4...)
	q4frag[7] = 1
	q6frag := AppendIPv6Fragment(append([]byte{}, q6[:40]...), IPProtocolSCTP, 8, true, 1)
	q6frag[6] = IPv6Fragment
	q6frag = append(q6frag, make([]byte, 16)...)
	tests := []struct {
		name string
		err  error
		got  error
	}{
		{"v4 time exceeded", nil, p4(ICMPv4TimeExceeded, 0, q4)},
		{"v4 port unreachable", nil, p4(ICMPv4DestUnreachable, 3, q4)},
		{"v4 echo reply", ErrUnsupported, p4(0, 0, q4)},
		{"v4 redirect", ErrUnsupported, p4(5, 0, q4)},
		{"v4 quoting IPv6", ErrValue, p4(ICMPv4TimeExceeded, 0, q6)},
		{"v4 quoting IHL 4", ErrLength, p4(ICMPv4TimeExceeded, 0, q4ihl)},
		{"v4 quoting version 6", ErrValue, p4(ICMPv4TimeExceeded, 0, q4v6)},
		{"v4 quoting a later fragment", ErrUnsupported, p4(ICMPv4TimeExceeded, 0, q4frag)},
		{"v6 dest unreachable", nil, p6(ICMPv6DestUnreachable, 4, q6)},
		{"v6 parameter problem", nil, p6(ICMPv6ParamProblem, 1, q6)},
		{"v6 echo request", ErrUnsupported, p6(128, 0, q6)},
		{"v6 quoting IPv4", ErrValue, p6(ICMPv6TimeExceeded, 0, q4)},
		{"v6 quoting a later fragment", ErrUnsupported, p6(ICMPv6TimeExceeded, 0, q6frag)},
	}
	for _, tt := range tests {
		if tt.err == nil && tt.got != nil || !errors.Is(tt.got, tt.err) {
			t.Errorf("%s: err = %v, want %v", tt.name, tt.got, tt.err)
		}
	}

	// A wrong checksum, and the ICMPv6 pseudo-header's addresses.
	m := AppendICMPv4Error(nil, 11, 0, 0, q4)
	m[len(m)-1]++
	if _, err := ParseICMPv4Error(m); !errors.Is(err, ErrValue) {
		t.Errorf("v4 checksum: %v", err)
	}
	m = AppendICMPv6Error(nil, 3, 0, 0, q6, r6, a6)
	if _, err := ParseICMPv6Error(m, r6, netip.AddrFrom16(l3V6B)); !errors.Is(err, ErrValue) {
		t.Errorf("v6 pseudo-header with another destination: %v", err)
	}

	// Every truncation of the quoted packet short of 8 upper-layer bytes is
	// an error; from there on the quoted bytes are what is left.
	for _, q := range [][]byte{q4, q6} {
		v6 := q[0]>>4 == 6
		_, x, _ := ParseIPv6(q)
		l4 := 28 // q4 has 8 option bytes
		if v6 {
			l4 = x.PayloadOffset
		}
		for i := range len(q) {
			var e ICMPError
			var err error
			if v6 {
				e, err = ParseICMPv6Error(AppendICMPv6Error(nil, 1, 0, 0, q[:i], r6, a6), r6, a6)
			} else {
				e, err = ParseICMPv4Error(AppendICMPv4Error(nil, 11, 0, 0, q[:i]))
			}
			if i < l4+8 {
				if !errors.Is(err, ErrTruncated) {
					t.Fatalf("v6 %v quoting %d bytes: %v", v6, i, err)
				}
			} else if err != nil || !bytes.Equal(e.Quoted, q[l4:i]) {
				t.Fatalf("v6 %v quoting %d bytes: %v % x", v6, i, err, e.Quoted)
			}
		}
		// The whole message truncated: the checksum or the header fails.
		var m []byte
		if v6 {
			m = AppendICMPv6Error(nil, 1, 0, 0, q, r6, a6)
		} else {
			m = AppendICMPv4Error(nil, 11, 0, 0, q)
		}
		for i := range len(m) {
			var err error
			if v6 {
				_, err = ParseICMPv6Error(m[:i], r6, a6)
			} else {
				_, err = ParseICMPv4Error(m[:i])
			}
			if err == nil {
				t.Fatalf("message truncated to %d parsed", i)
			}
		}
	}
}

// TestICMPRFC4884 checks that a length attribute bounds the quoted datagram
// and that the extension structure after it is not taken as quoted bytes.
func TestICMPRFC4884(t *testing.T) {
	q := l3Hex(t, l3ScapyQ4)
	q = append(q, make([]byte, 128-len(q))...) // RFC 4884: at least 128 bytes, zero-padded
	// The quoted packet's Total Length (28) already trims the padding; make
	// it claim 128 so that only the length attribute bounds it.
	q[3] = 128
	m := AppendICMPv4Error(nil, ICMPv4TimeExceeded, 0, 0, append(q, 0x20, 0, 0, 0, 0, 4, 1, 1)) // extension header and object
	m[5] = 128 / 4
	m[2], m[3] = 0, 0
	c := InternetChecksum(m)
	m[2], m[3] = byte(c>>8), byte(c)
	e, err := ParseICMPv4Error(m)
	if err != nil || len(e.Quoted) != 128-20 {
		t.Fatalf("v4: %v, %d quoted bytes", err, len(e.Quoted))
	}
	// ICMPv6 counts in 8-byte units.
	r6, a6 := netip.AddrFrom16(l3V6R), netip.AddrFrom16(l3V6A)
	q = l3Hex(t, l3ScapyQ6)
	q = append(q, make([]byte, 128-len(q))...)
	q[5] = 128 - 40
	m = AppendICMPv6Error(nil, ICMPv6DestUnreachable, 0, 0, append(q, 0x20, 0, 0, 0, 0, 4, 1, 1), r6, a6)
	m[4] = 128 / 8
	m[2], m[3] = 0, 0
	c = ^InternetSum(m, ipv6PseudoSum(r6, a6, IPProtocolICMPv6, len(m)))
	m[2], m[3] = byte(c>>8), byte(c)
	e, err = ParseICMPv6Error(m, r6, a6)
	if err != nil || len(e.Quoted) != 128-40 {
		t.Fatalf("v6: %v, %d quoted bytes", err, len(e.Quoted))
	}
}

func l3ICMPEqual(a, b ICMPError) bool {
	return a.Type == b.Type && a.Code == b.Code && a.MTU == b.MTU && a.Pointer == b.Pointer &&
		a.Source == b.Source && a.Destination == b.Destination && a.Protocol == b.Protocol &&
		bytes.Equal(a.Quoted, b.Quoted)
}

// TestICMPQuotedTrailer: bytes after the quoted packet's own length (a
// router quoting link-layer padding) are not upper-layer bytes.
func TestICMPQuotedTrailer(t *testing.T) {
	q4 := append(l3Hex(t, l3ScapyQ4), 0xee, 0xee, 0xee, 0xee)
	e, err := ParseICMPv4Error(AppendICMPv4Error(nil, ICMPv4TimeExceeded, 0, 0, q4))
	if err != nil || len(e.Quoted) != 8 {
		t.Fatalf("v4: %v, quoted % x", err, e.Quoted)
	}
	r6, a6 := netip.AddrFrom16(l3V6R), netip.AddrFrom16(l3V6A)
	q6 := append(l3Hex(t, l3ScapyQ6), 0xee, 0xee, 0xee, 0xee)
	e, err = ParseICMPv6Error(AppendICMPv6Error(nil, ICMPv6TimeExceeded, 0, 0, q6, r6, a6), r6, a6)
	if err != nil || len(e.Quoted) != 8 {
		t.Fatalf("v6: %v, quoted % x", err, e.Quoted)
	}
}

package wire

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
)

// Fuzz targets for the L2/L3 views: whatever parses must rebuild, with our
// builders, into bytes that parse to the same fields. Checksums are fixed
// up before parsing (when fix is set) so that the fuzzer gets past them.

func l3FuzzSeeds(f *testing.F, pick func(c l3Case) []byte) {
	for _, c := range l3Cases(f) {
		if b := pick(c); b != nil {
			f.Add(b, true)
		}
	}
}

// l3FixIPv4Checksum recomputes the header checksum of an IPv4 header at the
// start of b, if there is one.
func l3FixIPv4Checksum(b []byte) {
	if len(b) < IPv4MinHeaderLen || b[0]>>4 != 4 {
		return
	}
	ihl := int(b[0]&0xf) * 4
	if ihl < IPv4MinHeaderLen || ihl > len(b) {
		return
	}
	b[10], b[11] = 0, 0
	binary.BigEndian.PutUint16(b[10:], InternetChecksum(b[:ihl]))
}

func FuzzFrame(f *testing.F) {
	l3FuzzSeeds(f, func(c l3Case) []byte { return c.frame })
	f.Fuzz(func(t *testing.T, b []byte, fix bool) {
		b = bytes.Clone(b)
		if fix {
			if h, off, err := ParseEthernet(b); err == nil && h.EtherType == EtherTypeIPv4 {
				l3FixIPv4Checksum(b[off:])
			}
		}
		fr, err := ParseFrame(b)
		if err != nil {
			return
		}
		if fr.L3Offset > fr.L4Offset || fr.L4Offset > fr.End || fr.End > len(b) || len(fr.L4) != fr.End-fr.L4Offset {
			t.Fatalf("offsets %d %d %d of %d", fr.L3Offset, fr.L4Offset, fr.End, len(b))
		}
		r := AppendEthernet(nil, &fr.Eth)
		if fr.IPv6() {
			h := IPv6(b[fr.L3Offset:fr.End])
			fields := h.Fields()
			var off int
			r, off = AppendIPv6Header(r, &fields)
			r = append(r, h[IPv6HeaderLen:]...)
			if err := FinishIPv6(r, off); err != nil {
				t.Fatal(err)
			}
		} else {
			h := IPv4(b[fr.L3Offset:fr.End])
			fields := h.Fields()
			var off int
			r, off, err = AppendIPv4Header(r, &fields)
			if err != nil {
				t.Fatal(err)
			}
			r = append(r, h.Payload()...)
			if err := FinishIPv4(r, off); err != nil {
				t.Fatal(err)
			}
		}
		fr2, err := ParseFrame(r)
		if err != nil {
			t.Fatalf("rebuilt frame does not parse: %v\n% x\n% x", err, b, r)
		}
		if !l3FrameEqual(fr, fr2) {
			t.Fatalf("round trip:\n%+v\n%+v", fr, fr2)
		}
	})
}

func FuzzIPv4(f *testing.F) {
	l3FuzzSeeds(f, func(c l3Case) []byte {
		if c.want.Eth.EtherType != EtherTypeIPv4 {
			return nil
		}
		return c.frame[c.want.L3Offset:]
	})
	f.Fuzz(func(t *testing.T, b []byte, fix bool) {
		b = bytes.Clone(b)
		if fix {
			l3FixIPv4Checksum(b)
		}
		h, err := ParseIPv4(b)
		if err != nil {
			return
		}
		fields := h.Fields()
		r, off, err := AppendIPv4Header(nil, &fields)
		if err != nil {
			t.Fatal(err)
		}
		r = append(r, h.Payload()...)
		if err := FinishIPv4(r, off); err != nil {
			t.Fatal(err)
		}
		h2, err := ParseIPv4(r)
		if err != nil {
			t.Fatalf("rebuilt packet does not parse: %v", err)
		}
		if !l3IPv4FieldsEqual(h.Fields(), h2.Fields()) || !bytes.Equal(h.Payload(), h2.Payload()) {
			t.Fatalf("round trip:\n% x\n% x", []byte(h), []byte(h2))
		}
		// Byte for byte, but for the checksum (0 and 0xffff both verify).
		if !bytes.Equal(h[:10], h2[:10]) || !bytes.Equal(h[12:], h2[12:]) {
			t.Fatalf("rebuilt bytes differ:\n% x\n% x", []byte(h), []byte(h2))
		}
	})
}

func FuzzIPv6(f *testing.F) {
	l3FuzzSeeds(f, func(c l3Case) []byte {
		if c.want.Eth.EtherType != EtherTypeIPv6 {
			return nil
		}
		return c.frame[c.want.L3Offset:]
	})
	f.Fuzz(func(t *testing.T, b []byte, _ bool) {
		h, x, err := ParseIPv6(b)
		if err != nil {
			return
		}
		if x.PayloadOffset < IPv6HeaderLen || x.PayloadOffset > len(h) || x.ExtHeaders > MaxIPv6ExtHeaders {
			t.Fatalf("walk %+v of %d bytes", x, len(h))
		}
		fields := h.Fields()
		r, off := AppendIPv6Header(nil, &fields)
		r = append(r, h[IPv6HeaderLen:]...)
		if err := FinishIPv6(r, off); err != nil {
			t.Fatal(err)
		}
		h2, x2, err := ParseIPv6(r)
		if err != nil {
			t.Fatalf("rebuilt packet does not parse: %v", err)
		}
		if x != x2 || h.Fields() != h2.Fields() || !bytes.Equal(h, h2) {
			t.Fatalf("round trip:\n%+v % x\n%+v % x", x, []byte(h), x2, []byte(h2))
		}
	})
}

func FuzzICMP(f *testing.F) {
	for _, c := range l3Cases(f) {
		switch c.want.Protocol {
		case IPProtocolICMP:
			f.Add(c.want.L4, false)
		case IPProtocolICMPv6:
			f.Add(c.want.L4, true)
		}
	}
	r6, a6 := netip.AddrFrom16(l3V6R), netip.AddrFrom16(l3V6A)
	f.Fuzz(func(t *testing.T, b []byte, v6 bool) {
		if len(b) < ICMPHeaderLen {
			return
		}
		b = bytes.Clone(b)
		b[2], b[3] = 0, 0
		var e ICMPError
		var err error
		if v6 {
			binary.BigEndian.PutUint16(b[2:], ^InternetSum(b, ipv6PseudoSum(r6, a6, IPProtocolICMPv6, len(b))))
			e, err = ParseICMPv6Error(b, r6, a6)
		} else {
			binary.BigEndian.PutUint16(b[2:], InternetChecksum(b))
			e, err = ParseICMPv4Error(b)
		}
		if err != nil {
			return
		}
		if len(e.Quoted) < 8 || (e.Source.Is4() == v6) || e.Source.Is4() != e.Destination.Is4() {
			t.Fatalf("parsed %+v", e)
		}
		param := e.MTU | e.Pointer
		q := b[ICMPHeaderLen:]
		var e2 ICMPError
		if v6 {
			if e.Type == ICMPv6DestUnreachable || e.Type == ICMPv6TimeExceeded {
				q = quotedDatagram(q, int(b[4])*8)
			}
			e2, err = ParseICMPv6Error(AppendICMPv6Error(nil, e.Type, e.Code, param, q, r6, a6), r6, a6)
		} else {
			q = quotedDatagram(q, int(b[5])*4)
			e2, err = ParseICMPv4Error(AppendICMPv4Error(nil, e.Type, e.Code, param, q))
		}
		if err != nil {
			t.Fatalf("rebuilt message does not parse: %v", err)
		}
		if !l3ICMPEqual(e, e2) {
			t.Fatalf("round trip:\n%+v\n%+v", e, e2)
		}
	})
}

func FuzzEthernet(f *testing.F) {
	l3FuzzSeeds(f, func(c l3Case) []byte { return c.frame[:c.want.L3Offset] })
	f.Fuzz(func(t *testing.T, b []byte, _ bool) {
		h, off, err := ParseEthernet(b)
		if err != nil {
			return
		}
		if off != h.Len() || off > len(b) {
			t.Fatalf("payload offset %d, header length %d, %d bytes", off, h.Len(), len(b))
		}
		if r := AppendEthernet(nil, &h); !bytes.Equal(r, b[:off]) {
			t.Fatalf("rebuilt % x from % x", r, b[:off])
		}
	})
}

package wire

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
)

func l3FrameEqual(a, b Frame) bool {
	return a.Eth == b.Eth && a.Source == b.Source && a.Destination == b.Destination &&
		a.L3Offset == b.L3Offset && a.L4Offset == b.L4Offset && a.End == b.End &&
		bytes.Equal(a.L4, b.L4) && a.Protocol == b.Protocol && a.ECN == b.ECN && a.TTL == b.TTL &&
		a.Fragment == b.Fragment
}

func TestParseFrame(t *testing.T) {
	for _, c := range l3Cases(t) {
		t.Run(c.name, func(t *testing.T) {
			f, err := ParseFrame(c.frame)
			if err != nil {
				t.Fatal(err)
			}
			if !l3FrameEqual(f, c.want) {
				t.Fatalf("got  %+v\nwant %+v", f, c.want)
			}
			if f.IPv6() != (c.want.Eth.EtherType == EtherTypeIPv6) {
				t.Fatal("IPv6()")
			}
			// Ethernet padding after the IP packet is not part of it.
			p, err := ParseFrame(append(c.frame[:len(c.frame):len(c.frame)], make([]byte, 9)...))
			if err != nil || !l3FrameEqual(p, c.want) {
				t.Fatalf("padded: %+v %v", p, err)
			}
			// Every truncation is an error.
			for i := range len(c.frame) {
				if _, err := ParseFrame(c.frame[:i]); !errors.Is(err, ErrTruncated) {
					t.Fatalf("truncated to %d: %v", i, err)
				}
			}
		})
	}
}

// TestParseFrameICMP follows ICMP errors from the frame to the quoted SCTP
// common header.
func TestParseFrameICMP(t *testing.T) {
	for _, c := range l3Cases(t) {
		var e ICMPError
		var err error
		switch c.want.Protocol {
		case IPProtocolICMP:
			f, _ := ParseFrame(c.frame)
			e, err = ParseICMPv4Error(f.L4)
		case IPProtocolICMPv6:
			f, _ := ParseFrame(c.frame)
			e, err = ParseICMPv6Error(f.L4, f.Source, f.Destination)
		default:
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		s, d := e.QuotedPorts()
		if !e.TooBig() || e.Protocol != IPProtocolSCTP || len(e.Quoted) != 32 {
			t.Fatalf("%s: %+v", c.name, e)
		}
		if e.Source.Is4() {
			if e.MTU != 1400 || s != 5001 || d != 7 || e.QuotedVerificationTag() != 0x01020304 ||
				e.Source != netip.AddrFrom4(l3V4A) || e.Destination != netip.AddrFrom4(l3V4B) {
				t.Fatalf("%s: %+v", c.name, e)
			}
		} else if e.MTU != 1280 || s != 5002 || d != 9 || e.QuotedVerificationTag() != 0x0a0b0c0d ||
			e.Source != netip.AddrFrom16(l3V6A) || e.Destination != netip.AddrFrom16(l3V6B) {
			t.Fatalf("%s: %+v", c.name, e)
		}
	}
}

func TestParseFrameErrors(t *testing.T) {
	c := l3Cases(t)[0]
	b := append([]byte{}, c.frame...)
	b[12], b[13] = 0x08, 0x06 // ARP
	if _, err := ParseFrame(b); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("ARP: %v", err)
	}
	b[12], b[13] = 0x86, 0xdd // IPv6 EtherType, IPv4 packet
	if _, err := ParseFrame(b); !errors.Is(err, ErrValue) {
		t.Fatalf("IPv4 packet with the IPv6 EtherType: %v", err)
	}
	b[12], b[13] = 0x08, 0x00
	b[14+8]-- // TTL changed, checksum not updated
	if _, err := ParseFrame(b); !errors.Is(err, ErrValue) {
		t.Fatalf("bad IPv4 checksum: %v", err)
	}
}

func TestNetipFrom4And16DoNotAllocate(t *testing.T) {
	var sink netip.Addr
	a4, a6 := l3V4A, l3V6A
	if n := testing.AllocsPerRun(100, func() { sink = netip.AddrFrom4(a4) }); n != 0 {
		t.Fatalf("AddrFrom4: %v allocs", n)
	}
	if n := testing.AllocsPerRun(100, func() { sink = netip.AddrFrom16(a6) }); n != 0 {
		t.Fatalf("AddrFrom16: %v allocs", n)
	}
	_ = sink
}

func TestL3ParseAllocs(t *testing.T) {
	cs := l3Cases(t)
	var sink int
	for _, c := range cs {
		n := testing.AllocsPerRun(100, func() {
			f, err := ParseFrame(c.frame)
			if err != nil {
				panic(err)
			}
			switch f.Protocol {
			case IPProtocolICMP:
				e, _ := ParseICMPv4Error(f.L4)
				sink += len(e.Quoted)
			case IPProtocolICMPv6:
				e, _ := ParseICMPv6Error(f.L4, f.Source, f.Destination)
				sink += len(e.Quoted)
			}
			sink += f.End
		})
		if n != 0 {
			t.Errorf("%s: %v allocs per parse", c.name, n)
		}
		var f Frame
		if n := testing.AllocsPerRun(100, func() { f.Parse(c.frame) }); n != 0 {
			t.Errorf("%s: %v allocs per Frame.Parse", c.name, n)
		}
	}
	// Errors are package-level values: failing costs no allocation either.
	if n := testing.AllocsPerRun(100, func() {
		_, err := ParseFrame(cs[0].frame[:30])
		if err == nil {
			panic("parsed")
		}
	}); n != 0 {
		t.Errorf("%v allocs per failed parse", n)
	}
}

func TestL3BuildAllocs(t *testing.T) {
	buf := make([]byte, 0, 2048)
	sctp := l3SCTP(1, 2, 3)
	eth := l3Eth(EtherTypeIPv4, VLANTag{EtherTypeQinQ, 1}, VLANTag{EtherTypeVLAN, 2})
	f4 := IPv4Fields{TTL: 64, Protocol: IPProtocolSCTP, Source: l3V4A, Destination: l3V4B, Options: []byte{1, 1, 1, 1}}
	f6 := IPv6Fields{NextHeader: IPv6DestOpts, HopLimit: 64, Source: l3V6A, Destination: l3V6B}
	opts := []byte{0x1e, 1, 0}
	srh := make([]byte, 4)
	r6, a6 := netip.AddrFrom16(l3V6R), netip.AddrFrom16(l3V6A)
	n := testing.AllocsPerRun(100, func() {
		b := AppendEthernet(buf[:0], &eth)
		b, off, _ := AppendIPv4Header(b, &f4)
		b = append(b, sctp...)
		if FinishIPv4(b, off) != nil {
			panic("FinishIPv4")
		}
		b, off = AppendIPv6Header(b[:0], &f6)
		b, _ = AppendIPv6Options(b, IPv6Routing, opts)
		b, _ = AppendIPv6Routing(b, IPv6Fragment, 0, 0, srh)
		b = AppendIPv6Fragment(b, IPProtocolSCTP, 0, false, 1)
		b = append(b, sctp...)
		if FinishIPv6(b, off) != nil {
			panic("FinishIPv6")
		}
		q := b[off:]
		b = AppendICMPv6Error(buf[1024:1024], ICMPv6PacketTooBig, 0, 1280, q, r6, a6)
		b = AppendICMPv4Error(b[:0], ICMPv4DestUnreachable, ICMPv4FragNeeded, 1400, q)
	})
	if n != 0 {
		t.Fatalf("%v allocs per build", n)
	}
}

func l3BenchFrame(b *testing.B, name string) {
	var frame []byte
	for _, c := range l3Cases(b) {
		if c.name == name {
			frame = c.frame
		}
	}
	b.SetBytes(int64(len(frame)))
	b.Run("ParseFrame", func(b *testing.B) {
		var sink int
		for b.Loop() {
			f, err := ParseFrame(frame)
			if err != nil {
				b.Fatal(err)
			}
			sink += f.L4Offset
		}
		_ = sink
	})
	b.Run("Frame.Parse", func(b *testing.B) {
		var f Frame
		var sink int
		for b.Loop() {
			if err := f.Parse(frame); err != nil {
				b.Fatal(err)
			}
			sink += f.L4Offset
		}
		_ = sink
	})
}

func BenchmarkParseFrameIPv4(b *testing.B)        { l3BenchFrame(b, "ipv4") }
func BenchmarkParseFrameIPv4Options(b *testing.B) { l3BenchFrame(b, "ipv4-options-vlan") }
func BenchmarkParseFrameIPv6(b *testing.B)        { l3BenchFrame(b, "ipv6") }
func BenchmarkParseFrameIPv6Ext(b *testing.B)     { l3BenchFrame(b, "ipv6-ext-qinq") }

func BenchmarkBuildIPv4Frame(b *testing.B) {
	buf := make([]byte, 0, 256)
	sctp := l3SCTP(1, 2, 3)
	eth := l3Eth(EtherTypeIPv4)
	f4 := IPv4Fields{TTL: 64, Protocol: IPProtocolSCTP, Source: l3V4A, Destination: l3V4B}
	for b.Loop() {
		p := AppendEthernet(buf[:0], &eth)
		p, off, _ := AppendIPv4Header(p, &f4)
		p = append(p, sctp...)
		FinishIPv4(p, off)
	}
}

func BenchmarkBuildIPv6Frame(b *testing.B) {
	buf := make([]byte, 0, 256)
	sctp := l3SCTP(1, 2, 3)
	eth := l3Eth(EtherTypeIPv6)
	f6 := IPv6Fields{NextHeader: IPProtocolSCTP, HopLimit: 64, Source: l3V6A, Destination: l3V6B}
	for b.Loop() {
		p := AppendEthernet(buf[:0], &eth)
		p, off := AppendIPv6Header(p, &f6)
		p = append(p, sctp...)
		FinishIPv6(p, off)
	}
}

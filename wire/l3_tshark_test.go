package wire_test

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
	"github.com/sctp-xdp/sctp-xdp/wire"
)

// TestL3Tshark is the independent judge (design.md 8.4): every test frame
// from our builders goes into a pcap that tshark dissects with checksum
// verification on; testbed.Dissect fails on any checksum that is not Good
// (IPv4 header, ICMP, ICMPv6, SCTP CRC32c, quoted ones included) or a
// malformed packet, and every field tshark decodes must equal what our
// parser reads (which TestParseFrame checks against what was built).
func TestL3Tshark(t *testing.T) {
	names, frames := wire.L3TestFrames(t)
	fields := []string{
		"eth.dst", "eth.src", "eth.type",
		"vlan.id", "vlan.priority", "vlan.dei", "vlan.etype",
		"ieee8021ad.id", "ieee8021ad.priority", "ieee8021ad.dei",
		"ip.version", "ip.hdr_len", "ip.dsfield.dscp", "ip.dsfield.ecn", "ip.len", "ip.id",
		"ip.flags.rb", "ip.flags.df", "ip.flags.mf", "ip.frag_offset", "ip.ttl", "ip.proto",
		"ip.src", "ip.dst", "ip.opt.type",
		"ipv6.tclass.dscp", "ipv6.tclass.ecn", "ipv6.flow", "ipv6.plen", "ipv6.nxt", "ipv6.hlim",
		"ipv6.src", "ipv6.dst", "ipv6.hopopts.nxt", "ipv6.opt.type", "ipv6.routing.type",
		"ipv6.routing.segleft", "ipv6.routing.srh.addr", "ipv6.fraghdr.offset", "ipv6.fraghdr.more",
		"ipv6.fraghdr.ident",
		"icmp.type", "icmp.code", "icmp.mtu", "icmpv6.type", "icmpv6.code", "icmpv6.mtu",
		"sctp.srcport", "sctp.dstport", "sctp.verification_tag",
	}
	got := testbed.Dissect(t, testbed.WritePcap(t, frames), fields...)
	if len(got) != len(frames) {
		t.Fatalf("tshark dissected %d packets, want %d", len(got), len(frames))
	}
	for i, frame := range frames {
		fname := names[i]
		want := l3TsharkExpect(t, frame)
		if len(want["ip.hdr_len"]) > 0 && got[i].Get("ip.checksum.status") != "1" {
			t.Errorf("%s: IPv4 header checksum not verified", fname)
		}
		if len(want["sctp.srcport"]) > 0 && got[i].Get("sctp.checksum.status") != "1" {
			t.Errorf("%s: SCTP checksum not verified", fname)
		}
		for _, field := range fields {
			if w := want[field]; !slices.Equal(got[i][field], w) && !(len(w) == 0 && l3TsharkExtra(fname, field)) {
				t.Errorf("%s: %s = %q, we read %q", fname, field, got[i][field], w)
			}
		}
	}
}

// l3TsharkExtra lists fields tshark shows beyond what a frame alone holds:
// it reassembles the IPv4 fragments and decodes the SCTP packet in the last.
func l3TsharkExtra(frame, field string) bool {
	return frame == "ipv4-last-fragment" && (field == "sctp.srcport" || field == "sctp.dstport" || field == "sctp.verification_tag")
}

// l3TsharkExpect renders what our parser reads from frame in tshark's
// notation, outermost occurrence first.
func l3TsharkExpect(t *testing.T, frame []byte) map[string][]string {
	w := map[string][]string{}
	add := func(name, format string, v any) { w[name] = append(w[name], fmt.Sprintf(format, v)) }
	bit := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	f, err := wire.ParseFrame(frame)
	if err != nil {
		t.Fatal(err)
	}
	mac := func(m [6]byte) string {
		return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])
	}
	add("eth.dst", "%s", mac(f.Eth.Destination))
	add("eth.src", "%s", mac(f.Eth.Source))
	outer := f.Eth.EtherType
	if f.Eth.NumTags() > 0 {
		outer = f.Eth.Tags[0].TPID
	}
	add("eth.type", "0x%04x", outer)
	for i := range f.Eth.NumTags() {
		tag := f.Eth.Tags[i]
		p := "vlan"
		if tag.TPID == wire.EtherTypeQinQ {
			p = "ieee8021ad"
		} else {
			next := f.Eth.EtherType
			if i+1 < f.Eth.NumTags() {
				next = f.Eth.Tags[i+1].TPID
			}
			add("vlan.etype", "0x%04x", next)
		}
		add(p+".id", "%d", tag.VID())
		add(p+".priority", "%d", tag.PCP())
		add(p+".dei", "%d", bit(tag.DEI()))
	}
	sctp := func(b []byte) {
		add("sctp.srcport", "%d", binary.BigEndian.Uint16(b))
		add("sctp.dstport", "%d", binary.BigEndian.Uint16(b[2:]))
		add("sctp.verification_tag", "0x%08x", binary.BigEndian.Uint32(b[4:]))
	}
	var ip func(b []byte)
	ip = func(b []byte) {
		var proto uint8
		var l4 []byte
		frag := false
		if b[0]>>4 == 4 {
			h, err := wire.ParseIPv4(b)
			if err != nil {
				t.Fatal(err)
			}
			add("ip.version", "%d", h.Version())
			add("ip.hdr_len", "%d", h.HeaderLen())
			add("ip.dsfield.dscp", "%d", h.DSCP())
			add("ip.dsfield.ecn", "%d", h.ECN())
			add("ip.len", "%d", h.TotalLength())
			add("ip.id", "0x%04x", h.ID())
			add("ip.flags.rb", "%d", 0)
			add("ip.flags.df", "%d", bit(h.DontFragment()))
			add("ip.flags.mf", "%d", bit(h.MoreFragments()))
			add("ip.frag_offset", "%d", h.FragmentOffset()/8) // tshark 4.0 counts 8-byte units
			add("ip.ttl", "%d", h.TTL())
			add("ip.proto", "%d", h.Protocol())
			add("ip.src", "%s", h.Source())
			add("ip.dst", "%s", h.Destination())
			for o := h.Options(); len(o) > 0; {
				add("ip.opt.type", "%d", o[0])
				switch {
				case o[0] == 0:
					o = nil
				case o[0] == 1:
					o = o[1:]
				default:
					o = o[o[1]:]
				}
			}
			proto, l4, frag = h.Protocol(), h.Payload(), h.IsFragment()
		} else {
			h, x, err := wire.ParseIPv6(b)
			if err != nil {
				t.Fatal(err)
			}
			add("ip.version", "%d", h.Version()) // tshark shows it for both
			add("ipv6.tclass.dscp", "%d", h.DSCP())
			add("ipv6.tclass.ecn", "%d", h.ECN())
			add("ipv6.flow", "0x%06x", h.FlowLabel())
			add("ipv6.plen", "%d", h.PayloadLength())
			add("ipv6.nxt", "%d", h.NextHeader())
			add("ipv6.hlim", "%d", h.HopLimit())
			add("ipv6.src", "%s", h.Source())
			add("ipv6.dst", "%s", h.Destination())
			// Our walk's result, then each header's fields for tshark's.
			for off, nh := wire.IPv6HeaderLen, h.NextHeader(); off < x.PayloadOffset; {
				e := h[off:]
				l := (int(e[1]) + 1) * 8
				switch nh {
				case wire.IPv6HopByHop, wire.IPv6DestOpts:
					if nh == wire.IPv6HopByHop {
						add("ipv6.hopopts.nxt", "%d", e[0])
					}
					for o := e[2:l]; len(o) > 0; {
						add("ipv6.opt.type", "0x%02x", o[0])
						if o[0] == 0 {
							o = o[1:]
						} else {
							o = o[2+int(o[1]):]
						}
					}
				case wire.IPv6Routing:
					add("ipv6.routing.type", "%d", e[2])
					add("ipv6.routing.segleft", "%d", e[3])
					if e[2] == 4 {
						for a := e[8:l]; len(a) >= 16; a = a[16:] {
							add("ipv6.routing.srh.addr", "%s", netip.AddrFrom16([16]byte(a)))
						}
					}
				case wire.IPv6Fragment:
					l = 8
					fo := binary.BigEndian.Uint16(e[2:])
					add("ipv6.fraghdr.offset", "%d", fo>>3)
					add("ipv6.fraghdr.more", "%d", fo&1)
					add("ipv6.fraghdr.ident", "0x%08x", binary.BigEndian.Uint32(e[4:]))
				default:
					t.Fatalf("no tshark rendering for extension header %d", nh)
				}
				nh = e[0]
				off += l
			}
			proto, l4, frag = x.Protocol, h[x.PayloadOffset:], x.Fragment
		}
		switch {
		case frag:
		case proto == wire.IPProtocolSCTP:
			sctp(l4)
		case proto == wire.IPProtocolICMP:
			e, err := wire.ParseICMPv4Error(l4)
			if err != nil {
				t.Fatal(err)
			}
			add("icmp.type", "%d", e.Type)
			add("icmp.code", "%d", e.Code)
			if e.TooBig() {
				add("icmp.mtu", "%d", e.MTU)
			}
			ip(l4[wire.ICMPHeaderLen:])
		case proto == wire.IPProtocolICMPv6:
			e, err := wire.ParseICMPv6Error(l4, f.Source, f.Destination)
			if err != nil {
				t.Fatal(err)
			}
			add("icmpv6.type", "%d", e.Type)
			add("icmpv6.code", "%d", e.Code)
			if e.TooBig() {
				add("icmpv6.mtu", "%d", e.MTU)
			}
			ip(l4[wire.ICMPHeaderLen:])
		}
	}
	ip(frame[f.L3Offset:f.End])
	return w
}

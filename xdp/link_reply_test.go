package xdp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

var (
	macA = [6]byte{0x02, 0xaa, 0, 0, 0, 1}
	macB = [6]byte{0x02, 0xbb, 0, 0, 0, 2}
)

// frame builds dst | src | tags... | etherType | payload by hand.
func frame(dst, src [6]byte, etherType uint16, tags ...uint32) []byte {
	b := append(append([]byte{}, dst[:]...), src[:]...)
	for _, t := range tags {
		b = binary.BigEndian.AppendUint32(b, t)
	}
	b = binary.BigEndian.AppendUint16(b, etherType)
	return append(b, 0x45, 0, 0, 20) // start of an IPv4 header
}

func TestReplyL2(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		tags []uint32
		et   uint16
	}{
		{"untagged IPv4", frame(macA, macB, EtherTypeIPv4), nil, EtherTypeIPv4},
		{"broadcast IPv6", frame([6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, macB, EtherTypeIPv6), nil, EtherTypeIPv6},
		{"802.1Q", frame(macA, macB, EtherTypeIPv4, 0x8100_2064), []uint32{0x8100_2064}, EtherTypeIPv4},
		{"802.1ad", frame(macA, macB, EtherTypeIPv6, 0x88a8_0007, 0x8100_0fff), []uint32{0x88a8_0007, 0x8100_0fff}, EtherTypeIPv6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, l3, err := ReplyL2(tc.in, macA)
			if err != nil {
				t.Fatal(err)
			}
			// The reply goes to the frame's source, from our address
			// whatever the frame was sent to, with the same tags.
			if h.Dst != macB || h.Src != macA || h.EtherType != tc.et || h.NTags != len(tc.tags) {
				t.Fatalf("%+v", h)
			}
			if l3 != 14+4*len(tc.tags) || tc.in[l3] != 0x45 {
				t.Errorf("network header at %d", l3)
			}
			out := make([]byte, 64)
			n := h.Put(out)
			want := frame(macB, macA, tc.et, tc.tags...)[:l3]
			if n != h.Len() || !bytes.Equal(out[:n], want) {
				t.Errorf("Put wrote % x, want % x", out[:n], want)
			}
			// Reply to the reply: back where we started, MACs swapped twice.
			h2, _, err := ReplyL2(out[:n], macB)
			if err != nil || h2.Dst != macA || h2.Src != macB || h2.Tags != h.Tags {
				t.Errorf("reply to reply: %+v %v", h2, err)
			}
		})
	}
}

func TestReplyL2Refuses(t *testing.T) {
	group := [6]byte{0x01, 0x00, 0x5e, 0, 0, 1}
	for name, in := range map[string][]byte{
		"empty":          nil,
		"13 bytes":       frame(macA, macB, EtherTypeIPv4)[:13],
		"group source":   frame(macA, group, EtherTypeIPv4),
		"zero source":    frame(macA, [6]byte{}, EtherTypeIPv4),
		"802.3 length":   frame(macA, macB, 46),
		"three tags":     frame(macA, macB, EtherTypeIPv4, 0x88a8_0001, 0x8100_0002, 0x8100_0003),
		"cut in tag":     frame(macA, macB, EtherTypeIPv4, 0x8100_0002)[:16],
		"cut after tpid": frame(macA, macB, EtherTypeIPv4, 0x8100_0002)[:14],
	} {
		if h, _, err := ReplyL2(in, macA); !errors.Is(err, ErrBadFrame) {
			t.Errorf("%s: %+v, %v; want ErrBadFrame", name, h, err)
		}
	}
	h := L2Header{NTags: 3}
	if h.Put(make([]byte, 64)) != 0 {
		t.Error("Put accepted 3 tags")
	}
	h.NTags = 1
	if h.Put(make([]byte, 17)) != 0 {
		t.Error("Put wrote into a short buffer")
	}
}

func TestReplyL2Allocs(t *testing.T) {
	in := frame(macA, macB, EtherTypeIPv4, 0x8100_0005)
	out := make([]byte, 64)
	if a := testing.AllocsPerRun(1000, func() {
		h, _, err := ReplyL2(in, macA)
		if err != nil || h.Put(out) != 18 {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("%v allocations per reply header, want 0", a)
	}
}

func FuzzReplyL2(f *testing.F) {
	f.Add(frame(macA, macB, EtherTypeIPv4))
	f.Add(frame(macA, macB, EtherTypeIPv6, 0x88a8_0007, 0x8100_0fff))
	f.Fuzz(func(t *testing.T, in []byte) {
		h, l3, err := ReplyL2(in, macA)
		if err != nil {
			return
		}
		out := make([]byte, h.Len())
		if n := h.Put(out); n != l3 || n != len(out) {
			t.Fatalf("Put %d bytes, header was %d", n, l3)
		}
		// The reply's tags and EtherType are the frame's; the addresses swap.
		if !bytes.Equal(out[12:], in[12:l3]) || !bytes.Equal(out[:6], in[6:12]) {
			t.Fatalf("reply % x to % x", out, in[:l3])
		}
	})
}

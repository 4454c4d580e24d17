package wire

import (
	"errors"
	"testing"
)

func TestParseEthernet(t *testing.T) {
	hdr := func(types ...uint16) []byte {
		b := append(append([]byte{}, l3MACB[:]...), l3MACA[:]...)
		for i, et := range types {
			b = append(b, byte(et>>8), byte(et))
			if i < len(types)-1 {
				b = append(b, 0xe0|byte(i), 0x10+byte(i)) // TCI: PCP 7, VID 0x010/0x111
			}
		}
		return append(b, 0x45, 0, 0, 0) // some payload
	}
	tests := []struct {
		name  string
		frame []byte
		tags  int
		et    uint16
		off   int
		err   error
	}{
		{"untagged", hdr(0x0800), 0, EtherTypeIPv4, 14, nil},
		{"802.1Q", hdr(0x8100, 0x86dd), 1, EtherTypeIPv6, 18, nil},
		{"802.1ad QinQ", hdr(0x88a8, 0x8100, 0x0800), 2, EtherTypeIPv4, 22, nil},
		{"double 802.1Q", hdr(0x8100, 0x8100, 0x0800), 2, EtherTypeIPv4, 22, nil},
		{"three tags", hdr(0x88a8, 0x8100, 0x8100, 0x0800), 0, 0, 0, ErrUnsupported},
		{"S-tag inside", hdr(0x8100, 0x88a8, 0x0800), 0, 0, 0, ErrValue},
		{"802.3 length", hdr(0x05dc), 0, 0, 0, ErrUnsupported},
		{"other EtherType", hdr(0x0806), 0, 0x0806, 14, nil},
		{"empty", nil, 0, 0, 0, ErrTruncated},
		{"tag without EtherType", hdr(0x8100, 0x0800)[:17], 0, 0, 0, ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, off, err := ParseEthernet(tt.frame)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Destination != l3MACB || h.Source != l3MACA || h.NumTags() != tt.tags ||
				h.EtherType != tt.et || off != tt.off || h.Len() != off {
				t.Fatalf("got %+v off %d", h, off)
			}
			for i := 0; i < h.NumTags(); i++ {
				if h.Tags[i].PCP() != 7 || h.Tags[i].DEI() || h.Tags[i].VID() != 0x010+0x101*uint16(i) {
					t.Errorf("tag %d: %+v", i, h.Tags[i])
				}
			}
			// Build it back.
			if got := AppendEthernet(nil, &h); string(got) != string(tt.frame[:off]) {
				t.Fatalf("rebuilt % x, want % x", got, tt.frame[:off])
			}
			for i := range off {
				if _, _, err := ParseEthernet(tt.frame[:i]); !errors.Is(err, ErrTruncated) {
					t.Fatalf("truncated to %d: err = %v", i, err)
				}
			}
		})
	}
}

func TestVLANTagFields(t *testing.T) {
	tag := VLANTag{TPID: EtherTypeVLAN, TCI: 5<<13 | 1<<12 | 4094}
	if tag.PCP() != 5 || !tag.DEI() || tag.VID() != 4094 {
		t.Fatalf("%d %v %d", tag.PCP(), tag.DEI(), tag.VID())
	}
}

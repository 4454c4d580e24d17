package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strings"
	"testing"
)

func mustParse(t testing.TB, b []byte) SCTP {
	t.Helper()
	s, err := ParseSCTP(b)
	if err != nil {
		t.Fatalf("ParseSCTP: %v\n% x", err, b)
	}
	return s
}

// chunkEnds lists the offsets where a chunk's padded extent ends.
func chunkEnds(s SCTP) map[int]bool {
	m := map[int]bool{}
	it := s.Chunks()
	for _, ok := it.Next(); ok; _, ok = it.Next() {
		m[it.Offset()] = true
	}
	return m
}

func TestRoundTrip(t *testing.T) {
	for _, tp := range testPackets() {
		t.Run(tp.name, func(t *testing.T) {
			s := mustParse(t, tp.b)
			d1 := dumpSCTP(s)
			if strings.Contains(d1, "err ") {
				t.Fatalf("walk error in dump:\n%s", d1)
			}
			b2 := rebuild(nil, s)
			if !bytes.Equal(b2, tp.b) {
				t.Errorf("rebuild differs:\n got % x\nwant % x", b2, tp.b)
			}
			if d2 := dumpSCTP(mustParse(t, b2)); d1 != d2 {
				t.Errorf("dump differs:\n%s\n---\n%s", d1, d2)
			}
		})
	}
}

// TestCRC checks the stamped checksum against hash/crc32 (Castagnoli) with
// the field zeroed, stored low byte first (RFC 9260 Appendix A).
func TestCRC(t *testing.T) {
	for _, tp := range testPackets() {
		b := bytes.Clone(tp.b)
		got := binary.LittleEndian.Uint32(b[8:])
		clear(b[8:12])
		if want := crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)); got != want {
			t.Errorf("%s: checksum %#x, want %#x", tp.name, got, want)
		}
		if SCTP(tp.b).Checksum() != got {
			t.Errorf("%s: Checksum accessor", tp.name)
		}
	}
}

// TestTruncations: every prefix of every test packet is an error, except
// prefixes ending exactly at a chunk boundary (a valid packet with fewer
// chunks); none panics.
func TestTruncations(t *testing.T) {
	for _, tp := range testPackets() {
		ends := chunkEnds(mustParse(t, tp.b))
		for n := 0; n < len(tp.b); n++ {
			_, err := ParseSCTP(bytes.Clone(tp.b[:n]))
			if ends[n] {
				if err != nil {
					t.Errorf("%s[:%d] (chunk boundary): %v", tp.name, n, err)
				}
				continue
			}
			if err == nil {
				t.Errorf("%s[:%d]: accepted", tp.name, n)
				continue
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("%s[:%d]: error %T is not *Error", tp.name, n, err)
			}
		}
	}
}

// TestChunkTruncations cuts each chunk's length field (keeping the packet
// consistent) down to every shorter value: every chunk type has a minimum
// the validation must enforce, and none may panic.
func TestChunkTruncations(t *testing.T) {
	for _, tp := range testPackets() {
		s := mustParse(t, tp.b)
		it := s.Chunks()
		for c, ok := it.Next(); ok; c, ok = it.Next() {
			for n := 0; n < len(c); n++ {
				cut := make(Chunk, n)
				copy(cut, c)
				if n >= 2 {
					cut[0], cut[1] = c[0], c[1]
				}
				if n >= 4 {
					binary.BigEndian.PutUint16(cut[2:], uint16(n))
					_ = ValidateChunk(cut)
					_ = dumpChunkSafe(cut)
				}
			}
		}
	}
}

// dumpChunkSafe dumps a chunk only if it validates (accessors assume that).
func dumpChunkSafe(c Chunk) string {
	if ValidateChunk(c) != nil {
		return ""
	}
	var b strings.Builder
	dumpChunk(&b, c)
	return b.String()
}

func TestEveryTypeCovered(t *testing.T) {
	chunks := map[ChunkType]bool{}
	params := map[ParamType]bool{}
	causes := map[CauseCode]bool{}
	for _, tp := range testPackets() {
		d := dumpSCTP(mustParse(t, tp.b))
		_ = d
		it := SCTP(tp.b).Chunks()
		for c, ok := it.Next(); ok; c, ok = it.Next() {
			chunks[c.Type()] = true
			if c.Type() == ChunkHeartbeat {
				params[HeartbeatChunk(c).Info().Type()] = true
			}
		}
		for _, line := range strings.Split(d, "\n") {
			line = strings.TrimSpace(line)
			var v uint32
			if _, err := sscan(line, "param %v", &v); err == nil {
				params[ParamType(v)] = true
			}
			if _, err := sscan(line, "cause %v", &v); err == nil {
				causes[CauseCode(v)] = true
			}
		}
	}
	for t0 := 0; t0 < 256; t0++ {
		if ChunkType(t0).Known() && !chunks[ChunkType(t0)] {
			t.Errorf("chunk %s not covered", ChunkType(t0))
		}
	}
	for p := 0; p < 0x10000; p++ {
		if ParamType(p).Known() && !params[ParamType(p)] {
			t.Errorf("param %#x not covered", p)
		}
		if CauseCode(p).Known() && !causes[CauseCode(p)] {
			t.Errorf("cause %#x not covered", p)
		}
	}
}

func TestActionBits(t *testing.T) {
	for _, c := range []struct {
		t            ChunkType
		skip, report bool
	}{{0x3F, false, false}, {0x7F, false, true}, {0xBF, true, false}, {0xFF, true, true}, {ChunkAsconf, true, true}, {ChunkPad, true, false}} {
		a := c.t.Action()
		if a.Skip() != c.skip || a.Report() != c.report {
			t.Errorf("chunk %#x: skip=%v report=%v", uint8(c.t), a.Skip(), a.Report())
		}
	}
	for _, c := range []struct {
		p            ParamType
		skip, report bool
	}{{ParamIPv4, false, false}, {ParamECNCapable, true, false}, {ParamAddIP, true, true}, {0x4001, false, true}} {
		a := c.p.Action()
		if a.Skip() != c.skip || a.Report() != c.report {
			t.Errorf("param %#x: skip=%v report=%v", uint16(c.p), a.Skip(), a.Report())
		}
	}
}

func TestFlags(t *testing.T) {
	s := mustParse(t, build(func(w *Builder) {
		w.Data(FlagUnordered|FlagBeginning|FlagEnd|FlagImmediate, 1, 2, 3, 4, []byte{5})
		w.Data(0, 1, 2, 3, 4, []byte{5})
		w.BeginAbort(true)
		w.End()
	}))
	it := s.Chunks()
	c, _ := it.Next()
	d := DataChunk(c)
	if !d.U() || !d.B() || !d.E() || !d.I() || c.Flags() != 0x0F {
		t.Errorf("DATA flags %#x", c.Flags())
	}
	c, _ = it.Next()
	d = DataChunk(c)
	if d.U() || d.B() || d.E() || d.I() {
		t.Errorf("DATA flags %#x", c.Flags())
	}
	c, _ = it.Next()
	if !AbortChunk(c).T() || c.Flags() != 1 {
		t.Errorf("ABORT flags %#x", c.Flags())
	}
}

func TestInitOptions(t *testing.T) {
	var s SCTP
	for _, tp := range testPackets() {
		if tp.name == "init" {
			s = mustParse(t, tp.b)
		}
	}
	c, _ := s.FirstChunk()
	var o InitOptions
	InitChunk(c).Options(&o)
	if o.NumAddrs != 2 || !o.ECN || !o.ForwardTSN || !o.HasAdaptation || o.Adaptation != 0xCAFE ||
		o.CookiePreservative != 1000 || !o.HasHostName || len(o.Random) != 32 ||
		string(o.ChunkList) != string([]byte{0xC1, 0x80}) || o.HMACAlgos.NumU16() != 2 ||
		!o.HasZeroChecksum || o.ZeroChecksumEDMID != 1 || o.Unknown != 1 || o.Stop != nil ||
		!Supports(o.SupportedExtensions, ChunkIData) || Supports(o.SupportedExtensions, ChunkPktDrop) ||
		o.SupportedAddrTypes.NumU16() != 2 {
		t.Errorf("options %+v", o)
	}
	ai := InitChunk(c).Addrs()
	var addrs []string
	for a, ok := ai.Next(); ok; a, ok = ai.Next() {
		addrs = append(addrs, a.String())
	}
	if strings.Join(addrs, " ") != "198.18.0.1 2001:2::1" || ai.Err() != nil {
		t.Errorf("addresses %v %v", addrs, ai.Err())
	}
}

// TestLastParamPadding: a chunk whose length counts its last parameter's
// padding is accepted too (RFC 9260 3.2).
func TestLastParamPadding(t *testing.T) {
	b := build(func(w *Builder) { w.Heartbeat([]byte{1, 2, 3, 4, 5}) })
	// HEARTBEAT: 4 + param 9 -> chunk length 13, 3 bytes of chunk padding.
	if l := binary.BigEndian.Uint16(b[14:]); l != 13 {
		t.Fatalf("chunk length %d, want 13", l)
	}
	binary.BigEndian.PutUint16(b[14:], 16)
	s := mustParse(t, b)
	c, _ := s.FirstChunk()
	if v := HeartbeatChunk(c).Info().Value(); !bytes.Equal(v, []byte{1, 2, 3, 4, 5}) {
		t.Errorf("info %x", v)
	}
}

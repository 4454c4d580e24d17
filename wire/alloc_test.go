package wire

import "testing"

// walkAll reads every field of every chunk, parameter and cause the way a
// consumer would, returning a sum so nothing is optimized away.
func walkAll(s SCTP) uint64 {
	var sum uint64
	it := s.Chunks()
	for c, ok := it.Next(); ok; c, ok = it.Next() {
		sum += uint64(c.Type())
		switch c.Type() {
		case ChunkData:
			sum += uint64(DataChunk(c).TSN()) + uint64(len(DataChunk(c).Payload()))
		case ChunkSack:
			sk := SackChunk(c)
			for i := range sk.NumGapBlocks() {
				g := sk.GapBlock(i)
				sum += uint64(g.Start) + uint64(g.End)
			}
			for i := range sk.NumDupTSNs() {
				sum += uint64(sk.DupTSN(i))
			}
		case ChunkInit, ChunkInitAck:
			var o InitOptions
			InitChunk(c).Options(&o)
			sum += uint64(o.NumAddrs)
			ai := InitChunk(c).Addrs()
			for a, ok := ai.Next(); ok; a, ok = ai.Next() {
				sum += uint64(a.BitLen())
			}
		case ChunkAbort, ChunkError:
			ci := AbortChunk(c).Causes()
			for cs, ok := ci.Next(); ok; cs, ok = ci.Next() {
				sum += uint64(cs.Code())
			}
		}
	}
	return sum
}

func TestAllocsParse(t *testing.T) {
	for _, tp := range testPackets() {
		var sink uint64
		n := testing.AllocsPerRun(100, func() {
			s, err := ParseSCTP(tp.b)
			if err != nil {
				t.Fatal(err)
			}
			sink += walkAll(s)
		})
		if n != 0 {
			t.Errorf("%s: %v allocs per parse+walk", tp.name, n)
		}
	}
	// Errors allocate nothing either.
	bad := pkt(0, 3, 0, 16, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0)
	if n := testing.AllocsPerRun(100, func() { _, _ = ParseSCTP(bad) }); n != 0 {
		t.Errorf("%v allocs per rejected packet", n)
	}
}

func TestAllocsBuild(t *testing.T) {
	buf := make([]byte, 0, 4096)
	payload := make([]byte, 100)
	gaps := []GapBlock{{2, 3}, {5, 6}}
	dups := []uint32{1, 2}
	var w Builder
	n := testing.AllocsPerRun(100, func() {
		w.Start(buf[:0], 1, 2, 3)
		w.Sack(1, 2, gaps, dups)
		for i := range 5 {
			w.Data(FlagBeginning|FlagEnd, uint32(i), 0, uint16(i), 0, payload)
		}
		w.BeginInitAck(1, 2, 3, 4, 5)
		w.ParamAddr(a4)
		w.ParamAddr(a6)
		w.ParamStateCookie(payload)
		w.ParamSupportedExtensions([]byte{0xC0, 0x82})
		w.End()
		w.BeginAbort(false)
		w.CauseMissingParams([]ParamType{ParamStateCookie})
		w.End()
		if _, err := w.Finish(); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("%v allocs per build", n)
	}
}

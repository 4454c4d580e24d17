package wire

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// roundTrip checks parse → build → parse gives the same fields.
func roundTrip(t *testing.T, b []byte) {
	s, err := ParseSCTP(b)
	if err != nil {
		return
	}
	d1 := dumpSCTP(s)
	b2 := rebuild(nil, s)
	s2, err := ParseSCTP(b2)
	if err != nil {
		t.Fatalf("rebuilt packet rejected: %v\nin  % x\nout % x", err, b, b2)
	}
	if d2 := dumpSCTP(s2); d1 != d2 {
		t.Fatalf("fields differ after rebuild:\n%s---\n%s", d1, d2)
	}
}

func FuzzPacket(f *testing.F) {
	for _, tp := range testPackets() {
		f.Add(tp.b)
	}
	f.Fuzz(roundTrip)
}

// fuzzBody fuzzes the value of one chunk type inside an otherwise valid packet.
func fuzzBody(f *testing.F, ct ChunkType) {
	for _, tp := range testPackets() {
		it := SCTP(tp.b).Chunks()
		for c, ok := it.Next(); ok; c, ok = it.Next() {
			if c.Type() == ct {
				f.Add(c.Flags(), []byte(c.Value()))
			}
		}
	}
	f.Fuzz(func(t *testing.T, flags uint8, body []byte) {
		if len(body) > 0xFFFF-ChunkHeaderLen {
			return
		}
		var w Builder
		w.Start(nil, 1, 2, 3)
		w.Chunk(ct, flags, body)
		b, err := w.Finish()
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, b)
	})
}

func FuzzData(f *testing.F)        { fuzzBody(f, ChunkData) }
func FuzzIData(f *testing.F)       { fuzzBody(f, ChunkIData) }
func FuzzInit(f *testing.F)        { fuzzBody(f, ChunkInit) }
func FuzzInitAck(f *testing.F)     { fuzzBody(f, ChunkInitAck) }
func FuzzSack(f *testing.F)        { fuzzBody(f, ChunkSack) }
func FuzzNRSack(f *testing.F)      { fuzzBody(f, ChunkNRSack) }
func FuzzHeartbeat(f *testing.F)   { fuzzBody(f, ChunkHeartbeat) }
func FuzzAbort(f *testing.F)       { fuzzBody(f, ChunkAbort) }
func FuzzError(f *testing.F)       { fuzzBody(f, ChunkError) }
func FuzzAuth(f *testing.F)        { fuzzBody(f, ChunkAuth) }
func FuzzAsconf(f *testing.F)      { fuzzBody(f, ChunkAsconf) }
func FuzzAsconfAck(f *testing.F)   { fuzzBody(f, ChunkAsconfAck) }
func FuzzReconfig(f *testing.F)    { fuzzBody(f, ChunkReconfig) }
func FuzzForwardTSN(f *testing.F)  { fuzzBody(f, ChunkForwardTSN) }
func FuzzIForwardTSN(f *testing.F) { fuzzBody(f, ChunkIForwardTSN) }
func FuzzPktDrop(f *testing.F)     { fuzzBody(f, ChunkPktDrop) }

var fuzzTargets = map[string]ChunkType{
	"FuzzData": ChunkData, "FuzzIData": ChunkIData, "FuzzInit": ChunkInit, "FuzzInitAck": ChunkInitAck,
	"FuzzSack": ChunkSack, "FuzzNRSack": ChunkNRSack, "FuzzHeartbeat": ChunkHeartbeat,
	"FuzzAbort": ChunkAbort, "FuzzError": ChunkError, "FuzzAuth": ChunkAuth, "FuzzAsconf": ChunkAsconf,
	"FuzzAsconfAck": ChunkAsconfAck, "FuzzReconfig": ChunkReconfig, "FuzzForwardTSN": ChunkForwardTSN,
	"FuzzIForwardTSN": ChunkIForwardTSN, "FuzzPktDrop": ChunkPktDrop,
}

// TestWriteFuzzSeeds regenerates testdata/fuzz from testPackets when
// SCTPXDP_WRITE_SEEDS=1; otherwise it checks every target has seeds.
func TestWriteFuzzSeeds(t *testing.T) {
	write := os.Getenv("SCTPXDP_WRITE_SEEDS") == "1"
	put := func(target string, i int, args ...string) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		s := "go test fuzz v1\n"
		for _, a := range args {
			s += a + "\n"
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%02d", i)), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if write {
		for i, tp := range testPackets() {
			put("FuzzPacket", i, fmt.Sprintf("[]byte(%q)", tp.b))
		}
		for name, ct := range fuzzTargets {
			i := 0
			for _, tp := range testPackets() {
				it := SCTP(tp.b).Chunks()
				for c, ok := it.Next(); ok; c, ok = it.Next() {
					if c.Type() == ct {
						put(name, i, fmt.Sprintf("byte(%d)", c.Flags()), fmt.Sprintf("[]byte(%q)", c.Value()))
						i++
					}
				}
			}
		}
	}
	for name := range fuzzTargets {
		if m, _ := filepath.Glob(filepath.Join("testdata", "fuzz", name, "*")); len(m) == 0 {
			t.Errorf("no seed corpus for %s", name)
		}
	}
}

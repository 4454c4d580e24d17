package bench

import (
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/pion/sctp"

	"github.com/sctp-xdp/sctp-xdp/crc32c"
	"github.com/sctp-xdp/sctp-xdp/wire"
)

// Inputs, built once with our builders (and checked by wire's tshark test).
var (
	payload100 = make([]byte, 100)
	gaps16     = func() []wire.GapBlock {
		g := make([]wire.GapBlock, 16)
		for i := range g {
			g[i] = wire.GapBlock{Start: uint16(4*i + 2), End: uint16(4*i + 3)}
		}
		return g
	}()
	pktData1  = buildData(1)
	pktData10 = buildData(10)
	pktSack16 = func() []byte {
		var w wire.Builder
		w.Start(make([]byte, 0, 256), 5001, 5001, 0xdeadbeef)
		w.Sack(1000, 1<<20, gaps16, nil)
		b, _ := w.Finish()
		return b
	}()
)

func buildData(n int) []byte {
	var w wire.Builder
	w.Start(make([]byte, 0, 2048), 5001, 5001, 0xdeadbeef)
	for i := range n {
		w.Data(wire.FlagBeginning|wire.FlagEnd, uint32(1000+i), 1, uint16(i), 51, payload100)
	}
	b, _ := w.Finish()
	return b
}

var sink uint64

// ours parses and validates, then reads every DATA and SACK field a
// receiver uses.
func ours(b []byte) {
	s, err := wire.ParseSCTP(b)
	if err != nil {
		panic(err)
	}
	sink += uint64(s.VerificationTag())
	it := s.Chunks()
	for c, ok := it.Next(); ok; c, ok = it.Next() {
		switch c.Type() {
		case wire.ChunkData:
			d := wire.DataChunk(c)
			sink += uint64(d.TSN()) + uint64(d.StreamID()) + uint64(d.SSN()) + uint64(d.PPID()) +
				uint64(len(d.Payload()))
		case wire.ChunkSack:
			k := wire.SackChunk(c)
			sink += uint64(k.CumTSNAck()) + uint64(k.ARwnd())
			for i := range k.NumGapBlocks() {
				g := k.GapBlock(i)
				sink += uint64(g.Start) + uint64(g.End)
			}
		}
	}
}

func oursCRC(b []byte) {
	if !crc32c.Verify(b) {
		panic("checksum")
	}
	ours(b)
}

// gopacketDecode decodes with gopacket's SCTP layers (NoCopy) and reads
// the same fields.
func gopacketDecode(b []byte) {
	p := gopacket.NewPacket(b, layers.LayerTypeSCTP, gopacket.NoCopy)
	for _, l := range p.Layers() {
		switch l := l.(type) {
		case *layers.SCTP:
			sink += uint64(l.VerificationTag)
		case *layers.SCTPData:
			sink += uint64(l.TSN) + uint64(l.StreamId) + uint64(l.StreamSequence) +
				uint64(l.PayloadProtocol) + uint64(len(l.Payload))
		case *layers.SCTPSack:
			sink += uint64(l.CumulativeTSNAck) + uint64(l.AdvertisedReceiverWindowCredit)
			for _, g := range l.GapACKs {
				sink += uint64(g)
			}
		}
	}
	if p.ErrorLayer() != nil {
		panic(p.ErrorLayer().Error())
	}
}

// pionRoundTrip is pion/sctp's exported unmarshal+marshal (it verifies the
// CRC32c when the field is non-zero and computes it again on marshal).
func pionRoundTrip(b []byte) {
	if sctp.TryMarshalUnmarshal(b) != 1 {
		panic("pion rejected the packet")
	}
}

type impl struct {
	name string
	fn   func([]byte)
}

var cases = []struct {
	name  string
	pkt   []byte
	impls []impl
}{
	{"1-DATA", pktData1, []impl{{"ours", ours}, {"gopacket", gopacketDecode}}},
	{"1-DATA+CRC", pktData1, []impl{{"ours", oursCRC}, {"pion", pionRoundTrip}}},
	{"SACK-16gaps", pktSack16, []impl{{"ours", ours}, {"gopacket", gopacketDecode}, {"pion", pionRoundTrip}}},
	{"10-DATA", pktData10, []impl{{"ours", ours}, {"gopacket", gopacketDecode}}},
	{"10-DATA+CRC", pktData10, []impl{{"ours", oursCRC}, {"pion", pionRoundTrip}}},
}

func BenchmarkParse(b *testing.B) {
	for _, c := range cases {
		for _, im := range c.impls {
			b.Run(c.name+"/"+im.name, func(b *testing.B) {
				b.SetBytes(int64(len(c.pkt)))
				b.ReportAllocs()
				for b.Loop() {
					im.fn(c.pkt)
				}
			})
		}
	}
}

// BenchmarkParseRatio times ours and each baseline over the same b.N
// packets, one after the other in the same run, and reports baseline time /
// our time (nested testing.Benchmark would deadlock on the benchmark lock).
func BenchmarkParseRatio(b *testing.B) {
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			ns := func(fn func([]byte)) float64 {
				start := time.Now()
				for range b.N {
					fn(c.pkt)
				}
				return float64(time.Since(start).Nanoseconds()) / float64(b.N)
			}
			base := ns(c.impls[0].fn)
			b.ReportMetric(base, "ours-ns/op")
			for _, im := range c.impls[1:] {
				b.ReportMetric(ns(im.fn)/base, im.name+"/ours")
			}
		})
	}
}

// Builders.

func buildOurs1(buf []byte) []byte {
	var w wire.Builder
	w.Start(buf[:0], 5001, 5001, 0xdeadbeef)
	w.Data(wire.FlagBeginning|wire.FlagEnd, 1000, 1, 0, 51, payload100)
	out, _ := w.Finish()
	return out
}

func buildOurs10(buf []byte) []byte {
	var w wire.Builder
	w.Start(buf[:0], 5001, 5001, 0xdeadbeef)
	for i := range 10 {
		w.Data(wire.FlagBeginning|wire.FlagEnd, uint32(1000+i), 1, uint16(i), 51, payload100)
	}
	out, _ := w.Finish()
	return out
}

func buildOursSack(buf []byte) []byte {
	var w wire.Builder
	w.Start(buf[:0], 5001, 5001, 0xdeadbeef)
	w.Sack(1000, 1<<20, gaps16, nil)
	out, _ := w.Finish()
	return out
}

// gopacket serialization of the 1-DATA packet (it does not compute SCTP's
// CRC32c: the comparison favours gopacket).
func buildGopacket1(buf gopacket.SerializeBuffer) {
	_ = buf.Clear()
	err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true},
		&layers.SCTP{SrcPort: 5001, DstPort: 5001, VerificationTag: 0xdeadbeef},
		&layers.SCTPData{SCTPChunk: layers.SCTPChunk{Type: layers.SCTPChunkTypeData, Flags: 3},
			TSN: 1000, StreamId: 1, PayloadProtocol: 51, BeginFragment: true, EndFragment: true},
		gopacket.Payload(payload100))
	if err != nil {
		panic(err)
	}
}

func BenchmarkBuild(b *testing.B) {
	buf := make([]byte, 0, 2048)
	for _, c := range []struct {
		name string
		fn   func([]byte) []byte
	}{{"1-DATA", buildOurs1}, {"10-DATA", buildOurs10}, {"SACK-16gaps", buildOursSack}} {
		b.Run(c.name+"/ours", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf = c.fn(buf)
			}
		})
	}
	b.Run("1-DATA/gopacket-noCRC", func(b *testing.B) {
		sb := gopacket.NewSerializeBuffer()
		b.ReportAllocs()
		for b.Loop() {
			buildGopacket1(sb)
		}
	})
}

// TestInputs checks the benchmark inputs are what they claim, and that the
// baselines accept them (so the ratios compare like with like).
func TestInputs(t *testing.T) {
	for _, c := range cases {
		for _, im := range c.impls {
			im.fn(c.pkt)
		}
	}
	if b := buildOurs1(nil); string(b) != string(pktData1) {
		t.Error("1-DATA builder differs from input")
	}
	if n := testing.AllocsPerRun(100, func() { ours(pktData10); oursCRC(pktSack16) }); n != 0 {
		t.Errorf("%v allocs", n)
	}
	buf := make([]byte, 0, 2048)
	if n := testing.AllocsPerRun(100, func() { buf = buildOurs10(buf) }); n != 0 {
		t.Errorf("%v allocs building", n)
	}
}

package assoc

import (
	"strconv"
	"testing"

	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
	"github.com/sctp-xdp/sctp-xdp/wire"
)

// DATA (fragments, ordered and unordered, several streams), SACK with gap
// blocks and duplicate TSNs, and the PLPMTUD probe (HEARTBEAT + PAD) as the
// engine emits them are dissected by tshark: no malformed packet, a Good
// checksum, and every DATA and SACK field equal to what the engine meant.
func TestTsharkDissectsData(t *testing.T) {
	p, a, b := establishedPair(t, 110)
	a.cfg.NoDelay = true
	var frames [][]byte
	var sent []wire.SCTP
	dropped := false
	p.drop = func(from *Endpoint, pkt []byte) bool {
		src, dst := addrA, addrB
		if from == p.b {
			src, dst = addrB, addrA
		}
		frames = append(frames, frame(src, dst, pkt))
		s, _ := wire.ParseSCTP(pkt)
		sent = append(sent, s)
		if from == p.a && !dropped && describe(pkt) == "DATA" {
			dropped = true // a gap at the receiver
			return true
		}
		return false
	}
	// PPIDs without a Wireshark sub-dissector: the payload stays opaque.
	a.Send(0, 1, 0x7F000001, 0, make([]byte, 3000))
	a.Send(0, 0, 0x7F000002, SendUnordered, []byte("unordered"))
	a.Send(0, 2, 0x7F000003, 0, make([]byte, 100))
	p.flush()
	// A duplicate for the dup TSN list.
	dup := build(portA, portB, b.LocalTag(), func(w *wire.Builder) { w.Data(3, b.peerTSN+1, 1, 0, 0x7F000001, []byte("x")) })
	p.b.Receive(0, PacketInfo{Src: addrA, Dst: addrB}, dup)
	p.flush()
	p.run(p.now + 5e9) // T3 repairs the hole
	a.cfg.PMTUProbe = true
	a.plStart(p.now)
	p.flush()
	a.cfg.PMTUProbe = false
	if _, _, ok := b.Recv(make([]byte, 4000)); !ok {
		t.Fatal("nothing delivered")
	}
	pc := testbed.WritePcap(t, frames)
	pkts := testbed.Dissect(t, pc, "sctp.chunk_type", "sctp.data_tsn_raw", "sctp.data_sid",
		"sctp.data_ssn", "sctp.data_payload_proto_id", "sctp.data_b_bit", "sctp.data_e_bit", "sctp.data_u_bit",
		"sctp.sack_cumulative_tsn_ack_raw", "sctp.sack_a_rwnd", "sctp.sack_gap_block_start", "sctp.sack_gap_block_end",
		"sctp.sack_duplicate_tsn")
	if len(pkts) != len(frames) {
		t.Fatalf("tshark saw %d packets of %d", len(pkts), len(frames))
	}
	var nData, nGaps, nDups, nPad int
	for i, s := range sent {
		f := pkts[i]
		var want = map[string][]string{}
		add := func(k string, v uint64) { want[k] = append(want[k], strconv.FormatUint(v, 10)) }
		bit := func(k string, v bool) {
			if v {
				add(k, 1)
			} else {
				add(k, 0)
			}
		}
		for it := s.Chunks(); ; {
			c, ok := it.Next()
			if !ok {
				break
			}
			switch c.Type() {
			case wire.ChunkData:
				d := wire.DataChunk(c)
				add("sctp.data_tsn_raw", uint64(d.TSN()))
				add("sctp.data_sid", uint64(d.StreamID()))
				add("sctp.data_ssn", uint64(d.SSN()))
				add("sctp.data_payload_proto_id", uint64(d.PPID()))
				bit("sctp.data_b_bit", d.B())
				bit("sctp.data_e_bit", d.E())
				bit("sctp.data_u_bit", d.U())
				nData++
			case wire.ChunkSack:
				k := wire.SackChunk(c)
				add("sctp.sack_cumulative_tsn_ack_raw", uint64(k.CumTSNAck()))
				add("sctp.sack_a_rwnd", uint64(k.ARwnd()))
				for g := 0; g < k.NumGapBlocks(); g++ {
					add("sctp.sack_gap_block_start", uint64(k.GapBlock(g).Start))
					add("sctp.sack_gap_block_end", uint64(k.GapBlock(g).End))
					nGaps++
				}
				for d := 0; d < k.NumDupTSNs(); d++ {
					add("sctp.sack_duplicate_tsn", uint64(k.DupTSN(d)))
					nDups++
				}
			case wire.ChunkPad:
				nPad++
			}
		}
		for k, v := range want {
			got := f[k]
			if len(got) != len(v) {
				t.Fatalf("packet %d %s: tshark %v, engine %v", i, k, got, v)
			}
			for j := range v {
				if n, err := strconv.ParseUint(got[j], 0, 64); err != nil || strconv.FormatUint(n, 10) != v[j] {
					t.Fatalf("packet %d %s: tshark %v, engine %v", i, k, got, v)
				}
			}
		}
	}
	if nData < 5 || nGaps == 0 || nDups == 0 || nPad != 1 {
		t.Fatalf("coverage: %d DATA, %d gap blocks, %d dups, %d PAD", nData, nGaps, nDups, nPad)
	}
	t.Logf("%d packets: %d DATA, %d gap blocks, %d duplicate TSNs, %d PAD", len(frames), nData, nGaps, nDups, nPad)
}

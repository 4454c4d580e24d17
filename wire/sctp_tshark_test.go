package wire_test

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
	"github.com/sctp-xdp/sctp-xdp/wire"
)

// requireTshark fails under SCTPXDP_REQUIRE_PRIV=1 (CI) and skips
// elsewhere when tshark is missing.
func requireTshark(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tshark"); err != nil {
		if os.Getenv("SCTPXDP_REQUIRE_PRIV") == "1" {
			t.Fatal("tshark not installed")
		}
		t.Skip("tshark not installed")
	}
}

var (
	srcMAC = [6]byte{0x02, 0, 0, 0, 0, 1}
	dstMAC = [6]byte{0x02, 0, 0, 0, 0, 2}
	srcIP  = netip.MustParseAddr("198.18.0.1")
	dstIP  = netip.MustParseAddr("198.18.0.2")
)

// frameIPv4 wraps an SCTP packet in Ethernet and IPv4 (DF, TTL 64).
func frameIPv4(t *testing.T, sctp []byte) []byte {
	b := wire.AppendEthernet(nil, &wire.EthernetHeader{Destination: dstMAC, Source: srcMAC, EtherType: 0x0800})
	b, off, err := wire.AppendIPv4Header(b, &wire.IPv4Fields{TTL: 64, Protocol: 132, Source: srcIP.As4(), Destination: dstIP.As4()})
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, sctp...)
	if err := wire.FinishIPv4(b, off); err != nil {
		t.Fatal(err)
	}
	return b
}

// compareTshark checks every field of expect against tshark's decoding of
// the same packet; it returns one line per difference.
func compareTshark(want expect, got testbed.Fields) []string {
	var diffs []string
	for _, f := range expectedFieldNames {
		var g []string
		for _, v := range got[f] {
			g = append(g, normalize(f, v))
		}
		w := want[f]
		if strings.Join(g, ",") != strings.Join(w, ",") {
			diffs = append(diffs, fmt.Sprintf("%s: tshark %v, ours %v", f, g, w))
		}
	}
	return diffs
}

// TestTsharkAgrees writes every test packet (every chunk type, parameter
// and cause, from our builders) into a pcap and checks that tshark decodes
// each field as our parser reads it, with every checksum Good.
func TestTsharkAgrees(t *testing.T) {
	requireTshark(t)
	names, pkts := wire.SCTPTestPackets()
	var frames [][]byte
	for _, p := range pkts {
		frames = append(frames, frameIPv4(t, p))
	}
	got := testbed.Dissect(t, testbed.WritePcap(t, frames), expectedFieldNames...)
	if len(got) != len(pkts) {
		t.Fatalf("tshark decoded %d packets, want %d", len(got), len(pkts))
	}
	seen := map[uint64]bool{}
	for i, p := range pkts {
		s, err := wire.ParseSCTP(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range compareTshark(expectSCTP(s), got[i]) {
			t.Errorf("%s: %s", names[i], d)
		}
		// Dissect fails on a Bad checksum; also insist both were verified.
		if got[i].Get("sctp.checksum.status") != "1" || got[i].Get("ip.checksum.status") != "1" {
			t.Errorf("%s: checksums not verified Good: sctp %q ip %q", names[i],
				got[i].Get("sctp.checksum.status"), got[i].Get("ip.checksum.status"))
		}
		types, _ := got[i].Ints("sctp.chunk_type")
		for _, ct := range types {
			seen[ct] = true
		}
	}
	for ct := range 256 {
		if wire.ChunkType(ct).Known() && !seen[uint64(ct)] {
			t.Errorf("chunk type %s never decoded by tshark", wire.ChunkType(ct))
		}
	}
}

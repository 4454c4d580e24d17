package wire_test

import (
	"encoding/binary"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/crc32c"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
	"github.com/sctp-xdp/sctp-xdp/wire"
)

// readPcap returns the frames of a classic little-endian pcap file.
func readPcap(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 {
		t.Fatalf("%s: not a little-endian pcap", path)
	}
	var frames [][]byte
	for off := 24; off < len(b); {
		if len(b)-off < 16 {
			t.Fatalf("%s: truncated record header", path)
		}
		n := int(binary.LittleEndian.Uint32(b[off+8:]))
		off += 16
		if n > len(b)-off {
			t.Fatalf("%s: truncated record", path)
		}
		frames = append(frames, b[off:off+n])
		off += n
	}
	return frames
}

// TestUsrsctpCaptureAgrees captures real usrsctp traffic (handshake, DATA,
// SACK, HEARTBEAT for path confirmation, SHUTDOWN) and checks that our
// parser accepts every packet and reads every field as tshark decodes it.
func TestUsrsctpCaptureAgrees(t *testing.T) {
	testbed.RequirePriv(t)
	requireTshark(t)
	a, b := testbed.NewVeth(t, testbed.NewNetns(t), testbed.NewNetns(t), testbed.VethConfig{})
	// A second server address makes the INIT ACK list it, and the client
	// confirms it with a HEARTBEAT at once (RFC 9260 5.4) instead of after
	// the 30 s heartbeat interval.
	second := b.IPv4.As4()
	second[3] = 200
	b.NS.Run(t, "ip", "addr", "add", netip.AddrFrom4(second).String()+"/24", "dev", b.Name)
	capture := testbed.StartCapture(t, a.NS, a.Name, "sctp")
	srv := b.NS.Start(t, testbed.USRSCTP("tsctp"), "-E", "0")
	time.Sleep(300 * time.Millisecond)
	a.NS.Run(t, testbed.USRSCTP("tsctp"), "-E", "0", "-n", "300", "-l", "1200", b.IPv4.String())
	if !srv.WaitOutput("1200, 300, ", 10*time.Second) {
		t.Errorf("tsctp server did not report 300 messages:\n%s", srv.Output())
	}
	time.Sleep(200 * time.Millisecond) // let the shutdown finish
	pcap := filepath.Join(t.TempDir(), "capture.pcap")
	pcapng := capture.Stop(t)
	if st, err := os.Stat(pcapng); err == nil {
		t.Logf("%s: %d bytes", pcapng, st.Size())
	}
	if out, err := exec.Command("tshark", "-r", pcapng, "-F", "pcap", "-w", pcap).CombinedOutput(); err != nil {
		t.Fatalf("tshark conversion: %v\n%s", err, out)
	}
	frames := readPcap(t, pcap)
	got := testbed.Dissect(t, pcap, expectedFieldNames...)
	if len(got) != len(frames) || len(frames) == 0 {
		t.Fatalf("%d frames, tshark decoded %d", len(frames), len(got))
	}
	seen := map[wire.ChunkType]int{}
	for i, fr := range frames {
		f, err := wire.ParseFrame(fr)
		if err != nil {
			t.Fatalf("frame %d: %v", i+1, err)
		}
		s, err := wire.ParseSCTP(f.L4)
		if err != nil {
			t.Errorf("frame %d: %v\n% x", i+1, err, f.L4)
			continue
		}
		if !crc32c.Verify(f.L4) {
			t.Errorf("frame %d: checksum", i+1)
		}
		for _, d := range compareTshark(expectSCTP(s), got[i]) {
			t.Errorf("frame %d: %s", i+1, d)
		}
		it := s.Chunks()
		for c, ok := it.Next(); ok; c, ok = it.Next() {
			seen[c.Type()]++
		}
	}
	for _, ct := range []wire.ChunkType{wire.ChunkInit, wire.ChunkInitAck, wire.ChunkCookieEcho,
		wire.ChunkCookieAck, wire.ChunkData, wire.ChunkSack, wire.ChunkHeartbeat, wire.ChunkHeartbeatAck,
		wire.ChunkShutdown, wire.ChunkShutdownAck, wire.ChunkShutdownComplete} {
		if seen[ct] == 0 {
			t.Errorf("no %s captured", ct)
		}
	}
	t.Logf("chunks captured: %v", seen)
}

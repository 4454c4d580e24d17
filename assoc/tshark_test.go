package assoc

import (
	"encoding/binary"
	"hash/crc32"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
	"github.com/sctp-xdp/sctp-xdp/wire"
)

// frame wraps an SCTP packet in Ethernet and IPv4 headers, built here
// independently of wire, with the IPv4 header checksum of RFC 791.
func frame(src, dst netip.Addr, sctp []byte) []byte {
	b := make([]byte, 14+20, 14+20+len(sctp))
	copy(b[0:6], []byte{2, 0, 0, 0, 0, 2})
	copy(b[6:12], []byte{2, 0, 0, 0, 0, 1})
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 132
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(sctp)))
	binary.BigEndian.PutUint16(ip[6:], 0x4000) // DF
	s, d := src.As4(), dst.As4()
	copy(ip[12:], s[:])
	copy(ip[16:], d[:])
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xFFFF {
		sum = sum&0xFFFF + sum>>16
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	return append(b, sctp...)
}

// Every packet the engine emits in a life cycle (handshake with adaptation
// and reports, heartbeat answer, ERROR, restart, shutdown, OOTB answers,
// stale cookie) is checked against independent tools: the CRC32c with
// hash/crc32 (Castagnoli), the dissection with tshark, which must find
// the same chunk types, no malformed packet and a Good checksum.
func TestTsharkDissectsOutput(t *testing.T) {
	ca, cb := testConfig(portA, 50), testConfig(portB, 51)
	ca.HasAdaptation, ca.Adaptation = true, 7
	ea, _ := NewEndpoint(ca, testKeys("a"), 0)
	eb, _ := NewEndpoint(cb, testKeys("b"), 0)
	p := &pair{t: t, a: ea, b: eb}
	var frames [][]byte
	var want []string
	record := func(e *Endpoint, pkts ...[]byte) {
		src, dst := addrA, addrB
		if e == p.b {
			src, dst = addrB, addrA
		}
		for _, pkt := range pkts {
			frames = append(frames, frame(src, dst, pkt))
			want = append(want, describe(pkt))
		}
	}
	p.drop = func(from *Endpoint, pkt []byte) bool { record(from, pkt); return false }

	a, _ := ea.Connect(0, []netip.Addr{addrB}, portB)
	p.flush()
	b := eb.Assocs()[0]
	eb.Receive(0, PacketInfo{Src: addrA, Dst: addrB}, build(portA, portB, b.LocalTag(), func(w *wire.Builder) {
		w.Chunk(0xFF, 0, []byte{1, 2, 3})
		w.Heartbeat([]byte("hb-info!"))
	}))
	record(eb, take(eb)...)
	a.SendError(wire.CauseInvalidStreamID, []byte{0, 3, 0, 0})
	p.flush()
	eb.Receive(0, PacketInfo{Src: addrA, Dst: addrB}, initPacket(0x77777777, nil)) // 5.2.2 INIT ACK
	record(eb, take(eb)...)
	eb.Receive(0, PacketInfo{Src: addrA, Dst: addrB}, build(portA+2, portB, 5, func(w *wire.Builder) { w.Shutdown(1) })) // OOTB
	ea.Receive(0, PacketInfo{Src: addrB, Dst: addrA}, build(portB, portA+1, 6, func(w *wire.Builder) { w.ShutdownAck() }))
	record(eb, take(eb)...)
	record(ea, take(ea)...)
	a.Shutdown(0)
	p.flush()
	if len(frames) != 12 {
		t.Fatalf("only %d packets", len(frames))
	}
	castagnoli := crc32.MakeTable(crc32.Castagnoli)
	for i, f := range frames {
		s := append([]byte(nil), f[34:]...)
		got := binary.LittleEndian.Uint32(s[8:])
		clear(s[8:12])
		if crc32.Checksum(s, castagnoli) != got {
			t.Fatalf("packet %d (%s): CRC32c disagrees with hash/crc32", i, want[i])
		}
	}
	pkts := testbed.Dissect(t, testbed.WritePcap(t, frames), "sctp.chunk_type",
		"sctp.abort_t_bit", "sctp.shutdown_complete_t_bit")
	// RFC 9260 8.4 steps 5 and 8: the OOTB answers carry the T bit; the
	// association's own SHUTDOWN COMPLETE does not.
	if len(pkts) == 12 && (pkts[7].Get("sctp.abort_t_bit") != "1" || pkts[8].Get("sctp.shutdown_complete_t_bit") != "1" ||
		pkts[11].Get("sctp.shutdown_complete_t_bit") != "0") {
		t.Errorf("T bits: %v %v %v", pkts[7], pkts[8], pkts[11])
	}
	if len(pkts) != len(frames) {
		t.Fatalf("tshark saw %d packets of %d", len(pkts), len(frames))
	}
	for i, f := range pkts {
		types, err := f.Ints("sctp.chunk_type")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, ty := range types {
			if ty == 0xFF { // tshark also lists the chunk quoted in an Unrecognized Chunk Type cause
				continue
			}
			names = append(names, wire.ChunkType(ty).String())
		}
		if got := strings.Join(names, ","); got != want[i] {
			t.Errorf("packet %d: tshark %q, engine %q (types %v)", i, got, want[i], types)
		}
	}
	t.Logf("%d packets dissected: %s", len(frames), strconv.Quote(strings.Join(want, " | ")))
}

// Multi-homing on the wire, checked with tshark: INIT and INIT ACK list
// both addresses as IPv4 Address parameters (RFC 9260 3.3.2.1); the
// HEARTBEATs to the unconfirmed and then failed addresses carry one
// Heartbeat Info parameter of 44 bytes (3.3.5) that the HEARTBEAT ACK
// echoes unchanged (8.3), each to the address it probes.
func TestTsharkMultihome(t *testing.T) {
	m, a, _ := newMH(t, 2, 2, nil)
	m.run(sec)
	sendSome(m, a, 5)
	m.cut(0, true)
	runSending(m, a, 8*sec)
	var frames [][]byte
	var want []string
	for _, p := range m.log {
		frames = append(frames, frame(p.src, p.dst, p.pkt))
		want = append(want, p.chunks)
	}
	pkts := testbed.Dissect(t, testbed.WritePcap(t, frames), "ip.dst", "sctp.chunk_type",
		"sctp.parameter_ipv4_address", "sctp.parameter_heartbeat_information")
	if len(pkts) != len(frames) {
		t.Fatalf("tshark saw %d packets of %d", len(pkts), len(frames))
	}
	hbTo := map[string]int{}
	seen := map[string]bool{}
	for i, f := range pkts {
		types, err := f.Ints("sctp.chunk_type")
		if err != nil {
			t.Fatal(err)
		}
		if want[i] == "INIT" || want[i] == "INIT ACK" {
			if got := f["sctp.parameter_ipv4_address"]; len(got) != 2 {
				t.Errorf("packet %d %s: addresses %v", i, want[i], got)
			}
		}
		infos := f["sctp.parameter_heartbeat_information"]
		for _, h := range infos {
			if len(strings.ReplaceAll(h, ":", "")) != 2*hbInfoLen {
				t.Errorf("packet %d: heartbeat info %q", i, h)
			}
		}
		if slices.Contains(types, uint64(wire.ChunkHeartbeat)) {
			hbTo[f.Get("ip.dst")]++
		}
		if slices.Contains(types, uint64(wire.ChunkHeartbeatAck)) &&
			!slices.ContainsFunc(infos, func(h string) bool { return seen[h] }) {
			t.Errorf("packet %d (%s): HEARTBEAT ACK echoes no HEARTBEAT: %v", i, want[i], infos)
		}
		for _, h := range infos {
			seen[h] = true
		}
	}
	if hbTo[mhB[0].String()] < 2 || hbTo[mhB[1].String()] < 1 || hbTo[mhA[1].String()] < 1 {
		t.Logf("%v", want)
		t.Fatalf("heartbeats per address %v", hbTo)
	}
}

package sctpxdp_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// Chunk types as tshark prints sctp.chunk_type (RFC 9260 3.2).
const (
	chunkData             = "0"
	chunkInit             = "1"
	chunkAbort            = "6"
	chunkShutdown         = "7"
	chunkShutdownAck      = "8"
	chunkShutdownComplete = "14"
)

// captureExpect is what a run's capture must show (issue 11, design.md
// 8.4), besides what testbed.Dissect checks in every packet (no malformed
// packet, every checksum Good) and Capture.Stop (no capture drops).
type captureExpect struct {
	// Messages: distinct DATA chunks (association, TSN) carrying the E bit,
	// both directions together; each message ends in exactly one.
	Messages int
	// Shutdowns: complete SHUTDOWN, SHUTDOWN ACK, SHUTDOWN COMPLETE
	// sequences (RFC 9260 9.2), one per association closed gracefully.
	Shutdowns int
	// Aborts: ABORT chunks expected; anyAborts skips the count.
	Aborts int
	// Relayed: the pcap is the relay's record of what it forwarded, so the
	// last SHUTDOWN COMPLETE may be missing (dropped by the impairment,
	// never answered again once the association is gone): SHUTDOWN and
	// SHUTDOWN ACK at the end of the capture count as a shutdown.
	Relayed bool
}

const anyAborts = -1

// captureSummary is what checkCapture counted.
type captureSummary struct {
	Packets, Messages, Shutdowns, Aborts int
	OOTBAborts                           int    // ABORTs (T bit) answering late packets after the shutdown
	AbortFrom                            string // sender of the last ABORT
	// Repeats counts the DATA chunks sent again (retransmissions, as the
	// capture point saw them; duplicates too when a relay made them), by
	// sender address.
	Repeats map[string]int
	// DataTo counts DATA chunks by destination address (multi-homing).
	DataTo map[string]int
}

// repeatsFrom is the number of DATA chunks addr sent more than once.
func (s captureSummary) repeatsFrom(addr fmt.Stringer) int { return s.Repeats[addr.String()] }

func (s captureSummary) String() string {
	return fmt.Sprintf("%d packets, %d messages, %d shutdowns, %d ABORTs (+%d answering late packets), DATA repeated by sender %v, DATA by destination %v",
		s.Packets, s.Messages, s.Shutdowns, s.Aborts, s.OOTBAborts, s.Repeats, s.DataTo)
}

// checkCapture dissects pcap with tshark and checks it against want; t
// fails on any difference. ICMP errors are counted as packets but their
// quoted SCTP headers are not taken for chunks.
func checkCapture(t *testing.T, pcap string, want captureExpect) captureSummary {
	t.Helper()
	pkts := testbed.Dissect(t, pcap, "ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "icmp.type", "icmpv6.type",
		"sctp.verification_tag", "sctp.chunk_type", "sctp.data_tsn_raw", "sctp.data_e_bit", "sctp.abort_t_bit")
	type key struct{ vtag, tsn string }
	seen := map[key]bool{}
	ends := map[key]bool{}
	s := captureSummary{Packets: len(pkts), Repeats: map[string]int{}, DataTo: map[string]int{}}
	// 0 none, 1 SHUTDOWN seen, 2 SHUTDOWN ACK seen after it, 3 SHUTDOWN
	// COMPLETE seen after that.
	shutdownStep := 0
	// firstBad is the frame number of the first unexpected packet: the
	// frames around it are printed when the check fails.
	firstBad := 0
	bad := func(frame string) {
		if n, err := strconv.Atoi(frame); err == nil && firstBad == 0 {
			firstBad = n
		}
	}
	defer func() {
		if t.Failed() {
			from := max(firstBad-12, 1)
			if firstBad == 0 {
				from = max(len(pkts)-12, 1)
			}
			t.Logf("capture, frames %d-%d:\n%s", from, from+16, testbed.Summary(pcap, from, from+16))
		}
	}()
	for _, p := range pkts {
		if p.Get("icmp.type") != "" || p.Get("icmpv6.type") != "" {
			continue
		}
		src := p.Get("ip.src")
		if src == "" {
			src = p.Get("ipv6.src")
		}
		dst := p.Get("ip.dst")
		if dst == "" {
			dst = p.Get("ipv6.dst")
		}
		vtag := p.Get("sctp.verification_tag")
		tsns, ebits := p["sctp.data_tsn_raw"], p["sctp.data_e_bit"]
		if len(tsns) != len(ebits) {
			t.Fatalf("capture, packet %s: %d TSNs, %d E bits", p.Get("frame.number"), len(tsns), len(ebits))
		}
		if len(tsns) > 0 {
			s.DataTo[dst] += len(tsns)
		}
		for j, tsn := range tsns {
			k := key{vtag, tsn}
			if seen[k] {
				s.Repeats[src]++
			}
			seen[k] = true
			if ebits[j] == "1" || ebits[j] == "True" {
				ends[k] = true
			}
		}
		for _, c := range p["sctp.chunk_type"] {
			switch c {
			case chunkAbort:
				if shutdownStep == 3 && (p.Get("sctp.abort_t_bit") == "1" || p.Get("sctp.abort_t_bit") == "True") {
					// After a complete shutdown, a late packet of the
					// association (a SACK sent before the SHUTDOWN
					// COMPLETE arrived) is out of the blue: RFC 9260 8.4
					// item 8 answers it with an ABORT with the T bit,
					// which ends nothing.
					s.OOTBAborts++
					continue
				}
				s.Aborts++
				s.AbortFrom = src
				if want.Aborts != anyAborts && s.Aborts > want.Aborts {
					t.Errorf("capture, packet %s from %s: unexpected ABORT", p.Get("frame.number"), src)
					bad(p.Get("frame.number"))
				}
			case chunkShutdown:
				if shutdownStep != 1 && shutdownStep != 2 {
					shutdownStep = 1
				}
			case chunkShutdownAck:
				if shutdownStep == 1 {
					shutdownStep = 2
				}
			case chunkShutdownComplete:
				switch shutdownStep {
				case 2:
					s.Shutdowns++
					shutdownStep = 3
				case 3:
					// Again: a SHUTDOWN ACK sent again (its SHUTDOWN
					// COMPLETE was lost) is answered with another (RFC
					// 9260 8.4 item 5), or the relay duplicated it.
				default:
					t.Errorf("capture, packet %s: SHUTDOWN COMPLETE without SHUTDOWN and SHUTDOWN ACK before it", p.Get("frame.number"))
					bad(p.Get("frame.number"))
				}
			}
		}
	}
	if shutdownStep == 2 && want.Relayed {
		s.Shutdowns++
		t.Logf("capture: the relay did not forward the last SHUTDOWN COMPLETE")
	}
	s.Messages = len(ends)
	if s.Messages != want.Messages {
		t.Errorf("capture: %d distinct TSNs with the E bit, want %d messages", s.Messages, want.Messages)
	}
	if s.Shutdowns != want.Shutdowns {
		t.Errorf("capture: %d complete SHUTDOWN sequences, want %d", s.Shutdowns, want.Shutdowns)
	}
	if want.Aborts != anyAborts && s.Aborts != want.Aborts {
		t.Errorf("capture: %d ABORTs, want %d", s.Aborts, want.Aborts)
	}
	t.Logf("capture: %v", s)
	return s
}

// logCase prints the line the note collects for each case:
// messages delivered, seconds, and retransmissions (ours from Assoc.Stats,
// the peer's counted in the capture).
func logCase(t *testing.T, name string, messages int, d time.Duration, ours, peer int) {
	t.Helper()
	name = strings.ReplaceAll(name, " ", "-")
	t.Logf("CASE %s messages=%d seconds=%.2f retransmissions=%d (ours %d, peer %d)",
		name, messages, d.Seconds(), ours+peer, ours, peer)
}

package metrics

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	sctpxdp "github.com/sctp-xdp/sctp-xdp"
)

// fake is a Source with fixed counters.
type fake struct {
	es     sctpxdp.EndpointStats
	as     []sctpxdp.AssocInfo
	is     sctpxdp.InterfaceStats
	failEP bool
}

func (f *fake) Stats() (sctpxdp.EndpointStats, error) {
	if f.failEP {
		return sctpxdp.EndpointStats{}, errors.New("closed")
	}
	return f.es, nil
}
func (f *fake) AssocStats() ([]sctpxdp.AssocInfo, error)        { return f.as, nil }
func (f *fake) InterfaceStats() (sctpxdp.InterfaceStats, error) { return f.is, nil }

func newFake(port uint16) *fake {
	return &fake{
		es: sctpxdp.EndpointStats{Port: port, MaxRTO: 1500 * time.Millisecond,
			Totals: sctpxdp.Stats{RtxChunks: 3, GapAcksReceived: 2, OutOfSeqTSNs: 4, SacksSent: 500, SacksReceived: 400,
				CtrlChunksSent: 510, CtrlChunksReceived: 410, DataSentOrdered: 1000, DataSentUnordered: 7,
				DataRecvOrdered: 900, DataRecvUnordered: 9, DupChunksReceived: 1},
			States:   []sctpxdp.StateCount{{State: "CLOSED"}, {State: "ESTABLISHED", N: 2}},
			Opened:   sctpxdp.Opened{Active: 1, Passive: 5},
			Failures: sctpxdp.Failures{Timeout: 1, AbortReceived: 2, AbortSent: 3, Restart: 4}},
		as: []sctpxdp.AssocInfo{
			{ID: 1, Peer: netip.MustParseAddr("198.18.0.2"), Stats: sctpxdp.Stats{DataSentOrdered: 10, MaxRTO: 2e9}},
			{ID: 2, Peer: netip.MustParseAddr("198.18.0.3"), Stats: sctpxdp.Stats{DataRecvOrdered: 990, MaxRTO: 1e9}},
			{ID: 3, Peer: netip.MustParseAddr("2001:2::3"), Stats: sctpxdp.Stats{DataSentUnordered: 5}},
		},
		is: sctpxdp.InterfaceStats{Interface: "veth0", PacketsReceived: 1200, PacketsSent: 1300,
			Drops:    []sctpxdp.Count{{Name: "checksum", Value: 2}, {Name: "no_buffer"}},
			Program:  []sctpxdp.Count{{Name: "steered", Value: 1200}, {Name: "not_sctp", Value: 8}},
			SlowPath: []sctpxdp.Count{{Name: "init_acks", Value: 40}, {Name: "cookies_accepted", Value: 39}},
			Queues: []sctpxdp.QueueStats{{Queue: 1, Events: []sctpxdp.Count{{Name: "rx_dropped", Value: 6},
				{Name: "rx_ring_full", Value: 5}}}}},
	}
}

// TestCollectEndpoint: endpoint series carry port (and empty assoc, peer),
// the values are the source's, MaxRTO in seconds.
func TestCollectEndpoint(t *testing.T) {
	c := NewCollector(Options{}, newFake(5001))
	want := `
# HELP sctp_data_chunks_sent_total DATA chunks sent, first transmissions only (sas_oodchunks, sas_ouodchunks).
# TYPE sctp_data_chunks_sent_total counter
sctp_data_chunks_sent_total{assoc="",order="ordered",peer="",port="5001"} 1000
sctp_data_chunks_sent_total{assoc="",order="unordered",peer="",port="5001"} 7
# HELP sctp_data_chunks_received_total DATA chunks received, duplicates excluded (sas_iodchunks, sas_iuodchunks).
# TYPE sctp_data_chunks_received_total counter
sctp_data_chunks_received_total{assoc="",order="ordered",peer="",port="5001"} 900
sctp_data_chunks_received_total{assoc="",order="unordered",peer="",port="5001"} 9
# HELP sctp_max_rto_seconds Largest current RTO among live associations (sas_maxrto).
# TYPE sctp_max_rto_seconds gauge
sctp_max_rto_seconds{assoc="",peer="",port="5001"} 1.5
# HELP sctp_rtx_chunks_total DATA chunks retransmitted (sas_rtxchunks).
# TYPE sctp_rtx_chunks_total counter
sctp_rtx_chunks_total{assoc="",peer="",port="5001"} 3
# HELP sctp_associations Live associations by RFC 9260 state.
# TYPE sctp_associations gauge
sctp_associations{port="5001",state="CLOSED"} 0
sctp_associations{port="5001",state="ESTABLISHED"} 2
# HELP sctp_associations_opened_total Associations established, by side.
# TYPE sctp_associations_opened_total counter
sctp_associations_opened_total{port="5001",side="active"} 1
sctp_associations_opened_total{port="5001",side="passive"} 5
# HELP sctp_association_failures_total Associations failed or restarted, by reason.
# TYPE sctp_association_failures_total counter
sctp_association_failures_total{port="5001",reason="abort_received"} 2
sctp_association_failures_total{port="5001",reason="abort_sent"} 3
sctp_association_failures_total{port="5001",reason="restart"} 4
sctp_association_failures_total{port="5001",reason="timeout"} 1
# HELP sctp_packets_received_total SCTP packets received.
# TYPE sctp_packets_received_total counter
sctp_packets_received_total{iface="veth0"} 1200
# HELP sctp_packet_drops_total Received packets dropped, by reason.
# TYPE sctp_packet_drops_total counter
sctp_packet_drops_total{iface="veth0",reason="checksum"} 2
sctp_packet_drops_total{iface="veth0",reason="no_buffer"} 0
# HELP sctp_xdp_ring_events_total AF_XDP socket counters (XDP_STATISTICS).
# TYPE sctp_xdp_ring_events_total counter
sctp_xdp_ring_events_total{event="rx_dropped",iface="veth0",queue="1"} 6
sctp_xdp_ring_events_total{event="rx_ring_full",iface="veth0",queue="1"} 5
# HELP sctp_xdp_program_packets_total Frames seen by the XDP program, by verdict.
# TYPE sctp_xdp_program_packets_total counter
sctp_xdp_program_packets_total{iface="veth0",verdict="not_sctp"} 8
sctp_xdp_program_packets_total{iface="veth0",verdict="steered"} 1200
# HELP sctp_slow_path_events_total Handshake work of the slow path (INIT ACKs, cookies, hand-overs), by event.
# TYPE sctp_slow_path_events_total counter
sctp_slow_path_events_total{event="cookies_accepted",iface="veth0"} 39
sctp_slow_path_events_total{event="init_acks",iface="veth0"} 40
`
	names := []string{"sctp_data_chunks_sent_total", "sctp_data_chunks_received_total", "sctp_max_rto_seconds",
		"sctp_rtx_chunks_total", "sctp_associations", "sctp_associations_opened_total",
		"sctp_association_failures_total", "sctp_packets_received_total", "sctp_packet_drops_total",
		"sctp_xdp_ring_events_total", "sctp_xdp_program_packets_total", "sctp_slow_path_events_total"}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
	if probs, err := testutil.CollectAndLint(c); err != nil || len(probs) > 0 {
		t.Fatal(err, probs)
	}
}

// TestEveryDesignName: each name of design.md 7 is emitted, and nothing
// else.
func TestEveryDesignName(t *testing.T) {
	design := []string{"sctp_rtx_chunks_total", "sctp_gap_acks_received_total", "sctp_max_rto_seconds",
		"sctp_out_of_seq_tsns_total", "sctp_sacks_sent_total", "sctp_sacks_received_total",
		"sctp_control_chunks_sent_total", "sctp_control_chunks_received_total", "sctp_data_chunks_sent_total",
		"sctp_data_chunks_received_total", "sctp_dup_chunks_received_total", "sctp_associations",
		"sctp_associations_opened_total", "sctp_association_failures_total", "sctp_packets_received_total",
		"sctp_packets_sent_total", "sctp_packet_drops_total", "sctp_xdp_ring_events_total",
		"sctp_xdp_program_packets_total",
		"sctp_slow_path_events_total"} // beyond design.md 7: the slow path's work
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector(Options{PerAssoc: 2}, newFake(5001)))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, mf := range mfs {
		got[mf.GetName()] = true
	}
	for _, n := range design {
		if !got[n] {
			t.Errorf("%s missing", n)
		}
		delete(got, n)
	}
	for n := range got {
		t.Errorf("unexpected series %s", n)
	}
}

// TestPerAssocBusiest: with PerAssoc 2 only the two busiest associations
// get series, labelled with their id and primary peer.
func TestPerAssocBusiest(t *testing.T) {
	c := NewCollector(Options{PerAssoc: 2}, newFake(5001))
	want := `
# HELP sctp_max_rto_seconds Largest current RTO among live associations (sas_maxrto).
# TYPE sctp_max_rto_seconds gauge
sctp_max_rto_seconds{assoc="",peer="",port="5001"} 1.5
sctp_max_rto_seconds{assoc="1",peer="198.18.0.2",port="5001"} 2
sctp_max_rto_seconds{assoc="2",peer="198.18.0.3",port="5001"} 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "sctp_max_rto_seconds"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(c, "sctp_data_chunks_sent_total"); n != 6 {
		t.Errorf("sctp_data_chunks_sent_total: %d series, want 6 (endpoint + 2 associations, 2 orders)", n)
	}
}

// TestTwoEndpointsOneInterface: interface series appear once, endpoint
// series once per port; a failing source reports an error instead of
// stale values.
func TestTwoEndpointsOneInterface(t *testing.T) {
	c := NewCollector(Options{}, newFake(5001), newFake(5002))
	if n := testutil.CollectAndCount(c, "sctp_packets_sent_total"); n != 1 {
		t.Errorf("sctp_packets_sent_total: %d series, want 1", n)
	}
	if n := testutil.CollectAndCount(c, "sctp_associations_opened_total"); n != 4 {
		t.Errorf("sctp_associations_opened_total: %d series, want 4", n)
	}
	bad := newFake(5003)
	bad.failEP = true
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(Options{}, bad))
	if _, err := reg.Gather(); err == nil {
		t.Error("a failing source gathered without error")
	}
}

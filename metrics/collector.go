package metrics

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	sctpxdp "github.com/sctp-xdp/sctp-xdp"
)

// Source is what the Collector reads: *sctpxdp.Endpoint implements it.
type Source interface {
	Stats() (sctpxdp.EndpointStats, error)
	AssocStats() ([]sctpxdp.AssocInfo, error)
	InterfaceStats() (sctpxdp.InterfaceStats, error)
}

// Options configure a Collector.
type Options struct {
	// PerAssoc bounds the per-association series: the PerAssoc busiest
	// associations of each endpoint (0: none).
	PerAssoc int
}

// Collector is a prometheus.Collector over endpoints.
type Collector struct {
	srcs []Source
	opts Options
}

// NewCollector returns a Collector reading srcs at every scrape.
func NewCollector(opts Options, srcs ...Source) *Collector {
	return &Collector{srcs: srcs, opts: opts}
}

var assocLabels = []string{"port", "assoc", "peer"}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

// The thirteen association counters (Solaris sctp_assoc_stats).
var (
	dRtx      = desc("sctp_rtx_chunks_total", "DATA chunks retransmitted (sas_rtxchunks).", assocLabels...)
	dGap      = desc("sctp_gap_acks_received_total", "SACKs received with at least one gap block (sas_gapcnt).", assocLabels...)
	dMaxRTO   = desc("sctp_max_rto_seconds", "Largest current RTO among live associations (sas_maxrto).", assocLabels...)
	dOutSeq   = desc("sctp_out_of_seq_tsns_total", "TSNs received above the next expected (sas_outseqtsns).", assocLabels...)
	dSackOut  = desc("sctp_sacks_sent_total", "SACKs sent (sas_osacks).", assocLabels...)
	dSackIn   = desc("sctp_sacks_received_total", "SACKs received (sas_isacks).", assocLabels...)
	dCtrlOut  = desc("sctp_control_chunks_sent_total", "Control chunks sent (sas_octrlchunks).", assocLabels...)
	dCtrlIn   = desc("sctp_control_chunks_received_total", "Control chunks received, duplicates excluded (sas_ictrlchunks).", assocLabels...)
	dDataOut  = desc("sctp_data_chunks_sent_total", "DATA chunks sent, first transmissions only (sas_oodchunks, sas_ouodchunks).", append(assocLabels, "order")...)
	dDataIn   = desc("sctp_data_chunks_received_total", "DATA chunks received, duplicates excluded (sas_iodchunks, sas_iuodchunks).", append(assocLabels, "order")...)
	dDup      = desc("sctp_dup_chunks_received_total", "Duplicate DATA chunks received (sas_idupchunks).", assocLabels...)
	dAssocs   = desc("sctp_associations", "Live associations by RFC 9260 state.", "port", "state")
	dOpened   = desc("sctp_associations_opened_total", "Associations established, by side.", "port", "side")
	dFailures = desc("sctp_association_failures_total", "Associations failed or restarted, by reason.", "port", "reason")
	dPktIn    = desc("sctp_packets_received_total", "SCTP packets received.", "iface")
	dPktOut   = desc("sctp_packets_sent_total", "SCTP packets sent.", "iface")
	dDrops    = desc("sctp_packet_drops_total", "Received packets dropped, by reason.", "iface", "reason")
	dRing     = desc("sctp_xdp_ring_events_total", "AF_XDP socket counters (XDP_STATISTICS).", "iface", "queue", "event")
	dProg     = desc("sctp_xdp_program_packets_total", "Frames seen by the XDP program, by verdict.", "iface", "verdict")
	dSlow     = desc("sctp_slow_path_events_total", "Handshake work of the slow path (INIT ACKs, cookies, hand-overs), by event.", "iface", "event")
	dErr      = desc("sctp_metrics_scrape_errors_total", "Sources that failed to answer this scrape.", "port")
)

var allDescs = []*prometheus.Desc{dRtx, dGap, dMaxRTO, dOutSeq, dSackOut, dSackIn, dCtrlOut, dCtrlIn,
	dDataOut, dDataIn, dDup, dAssocs, dOpened, dFailures, dPktIn, dPktOut, dDrops, dRing, dProg, dSlow}

// Describe sends every descriptor.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

// Collect reads every source now. A source that fails is skipped (its
// series vanish for this scrape) and counted as an invalid metric.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ifaces := map[string]bool{}
	for _, s := range c.srcs {
		es, err := s.Stats()
		if err != nil {
			ch <- prometheus.NewInvalidMetric(dErr, err)
			continue
		}
		port := strconv.Itoa(int(es.Port))
		assocSeries(ch, es.Totals, es.MaxRTO.Seconds(), port, "", "")
		for _, st := range es.States {
			gauge(ch, dAssocs, float64(st.N), port, st.State)
		}
		counter(ch, dOpened, es.Opened.Active, port, "active")
		counter(ch, dOpened, es.Opened.Passive, port, "passive")
		counter(ch, dFailures, es.Failures.Timeout, port, "timeout")
		counter(ch, dFailures, es.Failures.AbortReceived, port, "abort_received")
		counter(ch, dFailures, es.Failures.AbortSent, port, "abort_sent")
		counter(ch, dFailures, es.Failures.Restart, port, "restart")
		if c.opts.PerAssoc > 0 {
			if as, err := s.AssocStats(); err == nil {
				for _, a := range busiest(as, c.opts.PerAssoc) {
					assocSeries(ch, a.Stats, float64(a.Stats.MaxRTO)/1e9, port,
						strconv.FormatUint(uint64(a.ID), 10), a.Peer.String())
				}
			}
		}
		is, err := s.InterfaceStats()
		if err != nil || ifaces[is.Interface] {
			continue // one set of interface series per interface
		}
		ifaces[is.Interface] = true
		iface := is.Interface
		counter(ch, dPktIn, is.PacketsReceived, iface)
		counter(ch, dPktOut, is.PacketsSent, iface)
		for _, d := range is.Drops {
			counter(ch, dDrops, d.Value, iface, d.Name)
		}
		for _, q := range is.Queues {
			qs := strconv.Itoa(q.Queue)
			for _, e := range q.Events {
				counter(ch, dRing, e.Value, iface, qs, e.Name)
			}
		}
		for _, p := range is.Program {
			counter(ch, dProg, p.Value, iface, p.Name)
		}
		for _, e := range is.SlowPath {
			counter(ch, dSlow, e.Value, iface, e.Name)
		}
	}
}

// busiest keeps the n associations with the most DATA chunks.
func busiest(as []sctpxdp.AssocInfo, n int) []sctpxdp.AssocInfo {
	load := func(a *sctpxdp.AssocInfo) uint64 {
		s := &a.Stats
		return s.DataSentOrdered + s.DataSentUnordered + s.DataRecvOrdered + s.DataRecvUnordered
	}
	slices.SortFunc(as, func(a, b sctpxdp.AssocInfo) int {
		if c := cmp.Compare(load(&b), load(&a)); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return as[:min(n, len(as))]
}

// assocSeries emits the thirteen counters of one association or of an
// endpoint's totals (assoc and peer empty).
func assocSeries(ch chan<- prometheus.Metric, s sctpxdp.Stats, maxRTO float64, port, id, peer string) {
	counter(ch, dRtx, s.RtxChunks, port, id, peer)
	counter(ch, dGap, s.GapAcksReceived, port, id, peer)
	gauge(ch, dMaxRTO, maxRTO, port, id, peer)
	counter(ch, dOutSeq, s.OutOfSeqTSNs, port, id, peer)
	counter(ch, dSackOut, s.SacksSent, port, id, peer)
	counter(ch, dSackIn, s.SacksReceived, port, id, peer)
	counter(ch, dCtrlOut, s.CtrlChunksSent, port, id, peer)
	counter(ch, dCtrlIn, s.CtrlChunksReceived, port, id, peer)
	counter(ch, dDataOut, s.DataSentOrdered, port, id, peer, "ordered")
	counter(ch, dDataOut, s.DataSentUnordered, port, id, peer, "unordered")
	counter(ch, dDataIn, s.DataRecvOrdered, port, id, peer, "ordered")
	counter(ch, dDataIn, s.DataRecvUnordered, port, id, peer, "unordered")
	counter(ch, dDup, s.DupChunksReceived, port, id, peer)
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v uint64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

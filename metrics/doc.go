// Package metrics exports an sctp-xdp endpoint's counters to Prometheus
// (design.md section 7): a custom Collector that reads them at scrape time,
// so the fast path never pays for the exporter.
//
// Endpoint series carry the label port. Per-association series (at most
// PerAssoc, the busiest by DATA chunks) reuse the names of the thirteen
// association counters and add assoc (id) and peer (primary address); the
// endpoint series leave those two labels empty, which Prometheus treats as
// absent, so select {assoc=""} to sum endpoint totals without counting the
// associations twice. Interface series (packets, drops, rings, program)
// carry iface instead of port: the pollers count for every port at once.
package metrics

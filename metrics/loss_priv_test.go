package metrics_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
	"github.com/sctp-xdp/sctp-xdp/internal/relay"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// TestMetricsUnderLoss: through the relay with 5 % of the client's frames
// lost and 3 % duplicated (seeded), 1 000 messages still arrive exactly
// once each; the retransmission, gap-ack, out-of-sequence and duplicate
// counters move, and the scrape reports the engine's values.
func TestMetricsUnderLoss(t *testing.T) {
	testbed.RequirePriv(t)
	p := testbed.NewRelayedPath(t, testbed.NewNetns(t), testbed.NewNetns(t), testbed.NewNetns(t), testbed.VethConfig{})
	r, _ := p.StartRelay(t, relay.Config{Seed: 12, BtoA: relay.Impairment{Loss: 0.05, Duplicate: 0.03}})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	scfg := sctpxdp.Config{Interface: p.A.Name, NetNS: p.A.NS.Path(), Port: 5001}
	ccfg := sctpxdp.Config{Interface: p.B.Name, NetNS: p.B.NS.Path()}
	scfg.Assoc.NoDelay, ccfg.Assoc.NoDelay = true, true // a packet per message: more to lose
	srv, err := sctpxdp.Listen(scfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cli, err := sctpxdp.Listen(ccfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	const n = 1000
	got := make(chan int, 1)
	go func() {
		sa, err := srv.Accept(ctx)
		if err != nil {
			got <- -1
			return
		}
		buf, k := make([]byte, 2048), 0
		for k < n {
			m, _, err := sa.RecvMsg(ctx, buf)
			if err != nil || m != 100 || buf[0] != byte(k) {
				break
			}
			k++
		}
		got <- k
	}()
	ca, err := cli.Dial(ctx, 5001, p.A.IPv4)
	if err != nil {
		t.Fatal(err)
	}
	msg := make([]byte, 100)
	for i := range n {
		msg[0] = byte(i)
		if err := ca.SendMsg(ctx, sctpxdp.SndInfo{}, msg); err != nil {
			t.Fatal(err)
		}
	}
	if k := <-got; k != n {
		t.Fatalf("server read %d messages in order, want %d", k, n)
	}
	_, lost := r.Stats()
	ss, _ := srv.Stats()
	eventually(t, "everything acknowledged", func() bool {
		s, _ := cli.Stats()
		return s.Totals.DataSentOrdered == n && ca.Stats().RtxChunks > 0
	})
	cs, _ := cli.Stats()
	t.Logf("relay B→A: %+v; client %+v; server %+v", lost, cs.Totals, ss.Totals)
	if lost.Lost == 0 || lost.Duplicated == 0 {
		t.Fatalf("relay impaired nothing: %+v", lost)
	}
	if ss.Totals.DataRecvOrdered != n {
		t.Errorf("server: %d DATA received (duplicates excluded), want %d", ss.Totals.DataRecvOrdered, n)
	}
	if cs.Totals.RtxChunks == 0 || cs.Totals.GapAcksReceived == 0 || ss.Totals.OutOfSeqTSNs == 0 {
		t.Errorf("loss left no trace: rtx %d, gap acks %d, out of sequence %d", cs.Totals.RtxChunks,
			cs.Totals.GapAcksReceived, ss.Totals.OutOfSeqTSNs)
	}
	if ss.Totals.DupChunksReceived == 0 {
		t.Error("duplicated frames left no duplicate DATA count")
	}
	ca.Close()
	cs, _ = cli.Stats() // closed: the totals stay
	body := scrape(t, cli)
	wantLine(t, body, fmt.Sprintf(`sctp_rtx_chunks_total{assoc="",peer="",port="%d"} %d`, cli.Port(), cs.Totals.RtxChunks))
	wantLine(t, body, fmt.Sprintf(`sctp_gap_acks_received_total{assoc="",peer="",port="%d"} %d`, cli.Port(), cs.Totals.GapAcksReceived))
}

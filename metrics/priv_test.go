package metrics_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
	"github.com/sctp-xdp/sctp-xdp/metrics"
)

// scrape fetches the handler's exposition text.
func scrape(t *testing.T, srcs ...metrics.Source) string {
	t.Helper()
	srv := httptest.NewServer(metrics.Handler(metrics.Options{PerAssoc: 4}, srcs...))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("scrape: %d %v", resp.StatusCode, err)
	}
	return string(b)
}

func wantLine(t *testing.T, body, line string) {
	t.Helper()
	for _, l := range strings.Split(body, "\n") {
		if l == line {
			return
		}
	}
	t.Errorf("scrape lacks %q", line)
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%s: not within 5 s", what)
}

// TestMetricsAfterTraffic: ours to ours over a veth, 1 000 messages of one
// DATA chunk each: the data-chunk counters say 1 000 on both sides (sent
// on one, received on the other), SACKs flowed, GatherAndReset gives the
// period once, the scrape shows the same values, and after the
// associations closed (one gracefully, one aborted) the endpoint totals
// still count them with the failure reasons on each side.
func TestMetricsAfterTraffic(t *testing.T) {
	testbed.RequirePriv(t)
	a, b := testbed.NewNetns(t), testbed.NewNetns(t)
	srvLink, cliLink := testbed.NewVeth(t, a, b, testbed.VethConfig{Queues: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	srv, err := sctpxdp.Listen(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: 5001})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cli, err := sctpxdp.Listen(sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()

	const n = 1000
	received := make(chan int, 1)
	accepted := make(chan *sctpxdp.Assoc, 2)
	go func() {
		for {
			sa, err := srv.Accept(ctx)
			if err != nil {
				return
			}
			accepted <- sa
			go func() {
				buf := make([]byte, 2048)
				got := 0
				for {
					_, info, err := sa.RecvMsg(ctx, buf)
					if err != nil {
						received <- got
						return
					}
					if info.EOR {
						got++
					}
				}
			}()
		}
	}()

	ca, err := cli.Dial(ctx, 5001, srvLink.IPv4)
	if err != nil {
		t.Fatal(err)
	}
	sa := <-accepted
	msg := make([]byte, 100)
	for i := range n {
		msg[0] = byte(i)
		if err := ca.SendMsg(ctx, sctpxdp.SndInfo{PPID: 7}, msg); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "1 000 DATA chunks received", func() bool { return sa.Stats().DataRecvOrdered == n })
	eventually(t, "1 000 DATA chunks acknowledged", func() bool {
		s, _ := cli.Stats()
		return s.Totals.DataSentOrdered == n && s.Totals.SacksReceived > 0
	})

	cs, ss := ca.Stats(), sa.Stats()
	t.Logf("client: %+v", cs)
	t.Logf("server: %+v", ss)
	if cs.DataSentOrdered != n || cs.DataSentUnordered != 0 || ss.DataRecvOrdered != n || ss.DupChunksReceived != 0 {
		t.Errorf("DATA chunks: sent %d+%d, received %d (dups %d), want %d", cs.DataSentOrdered,
			cs.DataSentUnordered, ss.DataRecvOrdered, ss.DupChunksReceived, n)
	}
	if cs.SacksReceived == 0 || ss.SacksSent == 0 || cs.SacksReceived > ss.SacksSent {
		t.Errorf("SACKs: client received %d, server sent %d", cs.SacksReceived, ss.SacksSent)
	}
	if cs.MaxRTO <= 0 {
		t.Errorf("MaxRTO %d", cs.MaxRTO)
	}
	if g := ca.GatherAndReset(); g.DataSentOrdered != n || g.MaxRTO <= 0 {
		t.Errorf("first GatherAndReset: %d DATA, MaxRTO %d; want %d and > 0", g.DataSentOrdered, g.MaxRTO, n)
	}
	if g := ca.GatherAndReset(); g.DataSentOrdered != 0 || g.SacksReceived != 0 {
		t.Errorf("second GatherAndReset: %d DATA, %d SACKs; want 0", g.DataSentOrdered, g.SacksReceived)
	}
	if ca.Stats().DataSentOrdered != n {
		t.Error("GatherAndReset reset Stats")
	}

	as, err := srv.AssocStats()
	if err != nil || len(as) != 1 || as[0].ID != sa.ID() || as[0].Peer != cliLink.IPv4 || as[0].State != "ESTABLISHED" {
		t.Fatalf("server AssocStats: %+v, %v; want id %d peer %v", as, err, sa.ID(), cliLink.IPv4)
	}
	if sa.PeerAddr() != cliLink.IPv4 || ca.PeerAddr() != srvLink.IPv4 {
		t.Errorf("PeerAddr: %v, %v", sa.PeerAddr(), ca.PeerAddr())
	}

	body := scrape(t, srv)
	wantLine(t, body, `sctp_data_chunks_received_total{assoc="",order="ordered",peer="",port="5001"} 1000`)
	wantLine(t, body, fmt.Sprintf(`sctp_data_chunks_received_total{assoc="%d",order="ordered",peer="%v",port="5001"} 1000`, sa.ID(), cliLink.IPv4))
	wantLine(t, body, `sctp_associations{port="5001",state="ESTABLISHED"} 1`)
	wantLine(t, body, `sctp_associations_opened_total{port="5001",side="passive"} 1`)
	wantLine(t, body, `sctp_data_chunks_sent_total{assoc="",order="ordered",peer="",port="5001"} 0`)
	for _, name := range []string{"sctp_packets_received_total{iface=", "sctp_xdp_ring_events_total{event=\"rx_ring_full\"",
		"sctp_xdp_program_packets_total{iface=\"" + srvLink.Name + "\",verdict=\"steered\"}", "sctp_packet_drops_total{iface="} {
		if !strings.Contains(body, name) {
			t.Errorf("scrape lacks %s", name)
		}
	}
	is, err := srv.InterfaceStats()
	if err != nil || is.PacketsReceived == 0 || is.PacketsSent == 0 || is.Program[0].Value < is.PacketsReceived {
		t.Errorf("interface: %+v %v", is, err)
	}

	// Graceful close: closed associations still count.
	if err := ca.Close(); err != nil {
		t.Fatal(err)
	}
	if got := <-received; got != n {
		t.Errorf("server read %d messages, want %d", got, n)
	}
	if st := ca.Stats(); st.DataSentOrdered != n {
		t.Errorf("Stats after close: %d DATA, want %d", st.DataSentOrdered, n)
	}
	if g := ca.GatherAndReset(); g.CtrlChunksSent == 0 || g.DataSentOrdered != 0 {
		t.Errorf("GatherAndReset after close: %+v; want the SHUTDOWN period (control chunks, no DATA)", g)
	}
	if g := ca.GatherAndReset(); g != (sctpxdp.Stats{}) {
		t.Errorf("second GatherAndReset after close: %+v, want zeros", g)
	}
	eventually(t, "server association gone", func() bool {
		s, _ := srv.Stats()
		return s.States[3].N == 0
	})
	// A second association, aborted by the client.
	ca2, err := cli.Dial(ctx, 5001, srvLink.IPv4)
	if err != nil {
		t.Fatal(err)
	}
	<-accepted
	ca2.Abort()
	eventually(t, "abort received", func() bool { s, _ := srv.Stats(); return s.Failures.AbortReceived == 1 })

	ssum, err := srv.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if ssum.Totals.DataRecvOrdered != n || ssum.Opened.Passive != 2 || ssum.Failures.Timeout != 0 ||
		ssum.Failures.AbortSent != 0 {
		t.Errorf("server totals after close: %+v", ssum)
	}
	body = scrape(t, srv)
	wantLine(t, body, `sctp_data_chunks_received_total{assoc="",order="ordered",peer="",port="5001"} 1000`)
	wantLine(t, body, `sctp_association_failures_total{port="5001",reason="abort_received"} 1`)
	wantLine(t, body, `sctp_associations_opened_total{port="5001",side="passive"} 2`)

	if err := cli.Close(); err != nil {
		t.Fatal(err)
	}
	csum, err := cli.Stats() // after Close: the totals handed back by the pollers
	if err != nil || csum.Totals.DataSentOrdered != n || csum.Opened.Active != 2 || csum.Failures.AbortSent != 1 {
		t.Errorf("client totals after Close: %+v %v", csum, err)
	}
}

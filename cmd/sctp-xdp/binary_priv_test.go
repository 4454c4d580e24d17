package main

import (
	"fmt"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// TestServeDiscardFromTsctp: `sctp-xdp serve --mode discard` receives
// 5 000 messages of 100 B from usrsctp's tsctp (the reference stack, native
// SCTP over raw IP); /metrics then counts exactly 5 000 ordered DATA chunks,
// one passive association, now closed, that did not fail; SIGTERM ends
// serve with exit 0 and detaches XDP.
func TestServeDiscardFromTsctp(t *testing.T) {
	testbed.RequirePriv(t)
	na, nb := testbed.NewNetns(t), testbed.NewNetns(t)
	srv, cli := testbed.NewVeth(t, na, nb, testbed.VethConfig{})
	p, maddr := startServe(t, srv, "--mode", "discard", "--port", "5001")
	const n = 5000
	out := nb.Run(t, testbed.USRSCTP("tsctp"), "-E", "0", "-n", fmt.Sprint(n), "-l", "100", "-p", "5001", srv.IPv4.String())
	if !strings.Contains(out, fmt.Sprintf("Sending of %d messages", n)) {
		t.Fatalf("tsctp:\n%s", out)
	}
	body := waitScrape(t, na, maddr, func(b string) bool {
		return series(b, "sctp_data_chunks_received_total", `assoc=""`, `port="5001"`) == n &&
			series(b, "sctp_associations", `port="5001"`) == 0
	})
	data := `assoc="",order="ordered",peer="",port="5001"`
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"sctp_data_chunks_received_total", []string{data}, n},
		{"sctp_data_chunks_received_total", []string{`order="unordered"`, `port="5001"`}, 0},
		{"sctp_dup_chunks_received_total", []string{`assoc=""`, `port="5001"`}, 0},
		{"sctp_associations_opened_total", []string{`side="passive"`}, 1},
		{"sctp_associations_opened_total", []string{`side="active"`}, 0},
		{"sctp_associations", []string{`port="5001"`}, 0}, // closed by tsctp
		{"sctp_association_failures_total", []string{`port="5001"`}, 0},
	} {
		if got := series(body, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
	if sacks := series(body, "sctp_sacks_sent_total", `assoc=""`, `port="5001"`); sacks == 0 {
		t.Error("no SACK counted as sent")
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(10 * time.Second); err != nil {
		t.Errorf("serve after SIGTERM: %v\n%s", err, p.Output())
	}
	if xdpOn(t, srv) {
		t.Error("XDP still attached after serve exited")
	}
	_ = cli
}

// TestBenchToUsrsctpDiscard: `sctp-xdp bench --json` over two associations
// to usrsctp's discard_server (port 9): the JSON adds up and has no RTT.
func TestBenchToUsrsctpDiscard(t *testing.T) {
	testbed.RequirePriv(t)
	na, nb := testbed.NewNetns(t), testbed.NewNetns(t)
	srv, cli := testbed.NewVeth(t, na, nb, testbed.VethConfig{})
	na.Start(t, testbed.USRSCTP("discard_server"))
	testbed.WaitUsrsctp(t, na)
	out := nb.Run(t, sctpXDP(t), "bench", "--iface", cli.Name, "--peer", netip.AddrPortFrom(srv.IPv4, 9).String(),
		"--count", "4000", "--size", "300", "--assocs", "2", "--json")
	r := parseBenchJSON(t, out, 300, 2, "discard")
	if r.Messages != 4000 {
		t.Errorf("messages %d, want 4000", r.Messages)
	}
	if xdpOn(t, cli) {
		t.Error("XDP still attached after bench exited")
	}
}

// TestBenchToServeEcho: `sctp-xdp bench --mode echo --json` against
// `sctp-xdp serve --mode echo`: the JSON adds up with both RTT fields, and
// serve's metrics count every message in and out.
func TestBenchToServeEcho(t *testing.T) {
	testbed.RequirePriv(t)
	na, nb := testbed.NewNetns(t), testbed.NewNetns(t)
	srv, cli := testbed.NewVeth(t, na, nb, testbed.VethConfig{})
	_, maddr := startServe(t, srv, "--mode", "echo", "--port", "7007")
	out := nb.Run(t, sctpXDP(t), "bench", "--iface", cli.Name, "--peer", netip.AddrPortFrom(srv.IPv4, 7007).String(),
		"--mode", "echo", "--count", "500", "--size", "1000", "--json")
	r := parseBenchJSON(t, out, 1000, 1, "echo")
	if r.Messages != 500 {
		t.Errorf("messages %d, want 500", r.Messages)
	}
	body := waitScrape(t, na, maddr, func(b string) bool {
		return series(b, "sctp_data_chunks_sent_total", `assoc=""`, `port="7007"`) == 500
	})
	in := series(body, "sctp_data_chunks_received_total", `assoc=""`, `port="7007"`)
	outc := series(body, "sctp_data_chunks_sent_total", `assoc=""`, `port="7007"`)
	if in != 500 || outc != 500 {
		t.Errorf("serve counted %v DATA chunks in and %v out, want 500 each", in, outc)
	}
	// A discard bench against the echo server reads and drops the echoes:
	// 20 MB of them would otherwise close both windows and hang it.
	out = nb.Run(t, sctpXDP(t), "bench", "--iface", cli.Name, "--peer", netip.AddrPortFrom(srv.IPv4, 7007).String(),
		"--mode", "discard", "--count", "20000", "--size", "1000", "--json")
	if r := parseBenchJSON(t, out, 1000, 1, "discard"); r.Messages != 20000 {
		t.Errorf("discard bench against echo: %d messages, want 20000", r.Messages)
	}
}

// TestBenchSIGTERM: SIGTERM to `sctp-xdp bench` in the middle of a load
// over three associations: it exits 0 with its report, every association
// was shut down gracefully (serve counts no failure, none left open), serve
// received exactly the messages bench counts as accepted by SendMsg, and no
// XDP program of bench's is left on its interface or loaded.
func TestBenchSIGTERM(t *testing.T) {
	testbed.RequirePriv(t)
	na, nb := testbed.NewNetns(t), testbed.NewNetns(t)
	srv, cli := testbed.NewVeth(t, na, nb, testbed.VethConfig{})
	_, maddr := startServe(t, srv, "--mode", "discard", "--port", "5001")
	progs := ourPrograms(t) // serve's
	b := nb.Start(t, sctpXDP(t), "bench", "--iface", cli.Name, "--peer", netip.AddrPortFrom(srv.IPv4, 5001).String(),
		"--assocs", "3", "--size", "100", "--duration", "60s", "--json")
	// Under load once serve counts DATA from all three.
	body := waitScrape(t, na, maddr, func(b string) bool {
		return series(b, "sctp_associations", `state="ESTABLISHED"`) == 3 &&
			series(b, "sctp_data_chunks_received_total", `assoc=""`) > 2000
	})
	if series(body, "sctp_associations", `state="ESTABLISHED"`) != 3 {
		t.Fatalf("no load over three associations:\n%s\nbench:\n%s", body, b.Output())
	}
	time.Sleep(time.Second) // well into the load
	if err := b.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := b.Wait(40 * time.Second); err != nil {
		t.Fatalf("bench after SIGTERM: %v\n%s", err, b.Output())
	}
	r := parseBenchJSON(t, b.Output(), 100, 3, "discard")
	body = waitScrape(t, na, maddr, func(b string) bool {
		return series(b, "sctp_associations", `port="5001"`) == 0 &&
			uint64(series(b, "sctp_data_chunks_received_total", `assoc=""`)) == r.Messages
	})
	if got := uint64(series(body, "sctp_data_chunks_received_total", `assoc=""`)); got != r.Messages {
		t.Errorf("serve received %d DATA chunks, bench reports %d messages accepted", got, r.Messages)
	}
	if open := series(body, "sctp_associations", `port="5001"`); open != 0 {
		var states []string
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, "sctp_associations{") && !strings.HasSuffix(l, " 0") {
				states = append(states, l)
			}
		}
		t.Errorf("%v associations still open on serve: %q", open, states)
	}
	for _, reason := range []string{"abort_received", "abort_sent", "timeout", "restart"} {
		if f := series(body, "sctp_association_failures_total", `reason="`+reason+`"`); f != 0 {
			t.Errorf("serve counts %v association failures (%s)", f, reason)
		}
	}
	if o := series(body, "sctp_associations_opened_total", `side="passive"`); o != 3 {
		t.Errorf("serve counts %v associations opened, want 3", o)
	}
	if xdpOn(t, cli) {
		t.Error("XDP still attached to bench's interface")
	}
	if n := ourPrograms(t); n > progs {
		t.Errorf("%d xdp_steer programs loaded, %d before bench (serve's)", n, progs)
	}
	t.Logf("bench stopped after %.1f s: %d messages, %.0f messages/s", r.Seconds, r.Messages, r.MessagesPerSecond)
}

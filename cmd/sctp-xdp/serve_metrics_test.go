package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

func TestMetricsFlagErrors(t *testing.T) {
	_, err := parseServe([]string{"--iface", "x", "--metrics-per-assoc", "-1"})
	if err == nil || !strings.Contains(err.Error(), "--metrics-per-assoc") {
		t.Errorf("negative --metrics-per-assoc: %v", err)
	}
	if _, err := serveMetrics("256.0.0.1:1", 0, nil, quiet); err == nil || !strings.Contains(err.Error(), "--metrics") {
		t.Errorf("bad --metrics address: %v", err)
	}
}

// freeTCPAddr returns a loopback address with a port nobody listens on.
func freeTCPAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeMetrics: `serve --mode discard --metrics ADDR` over a veth
// receives 1 000 messages from our client; /metrics then says 1 000 DATA
// chunks received on the port (endpoint and association series), and the
// HTTP server is gone once serve returned.
func TestServeMetrics(t *testing.T) {
	testbed.RequirePriv(t)
	a, b := testbed.NewNetns(t), testbed.NewNetns(t)
	srvLink, cliLink := testbed.NewVeth(t, a, b, testbed.VethConfig{})
	addr := freeTCPAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() {
		served <- runServe(sctx, []string{"--iface", srvLink.Name, "--netns", srvLink.NS.Path(), "--mode", "discard",
			"--port", "5001", "--metrics", addr, "--metrics-per-assoc", "2"}, quiet)
	}()
	var ca *sctpxdp.Assoc
	var err error
	for i := 0; i < 50; i++ { // until serve listens
		ca, err = sctpxdp.Dial(ctx, sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path()},
			netip.AddrPortFrom(srvLink.IPv4, 5001))
		if err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		stop()
		t.Fatal(err)
	}
	msg := make([]byte, 200)
	for range 1000 {
		if err := ca.SendMsg(ctx, sctpxdp.SndInfo{}, msg); err != nil {
			t.Fatal(err)
		}
	}
	want := `sctp_data_chunks_received_total{assoc="",order="ordered",peer="",port="5001"} 1000`
	peer := fmt.Sprintf(`order="ordered",peer="%v",port="5001"} 1000`, cliLink.IPv4)
	var body string
	for i := 0; i < 100 && !(strings.Contains(body, want) && strings.Contains(body, peer)); i++ {
		time.Sleep(50 * time.Millisecond)
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			continue
		}
		bb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(bb)
	}
	if !strings.Contains(body, want) || !strings.Contains(body, peer) {
		t.Errorf("/metrics lacks %q or %q:\n%s", want, peer, body)
	}
	if !strings.Contains(body, `sctp_associations_opened_total{port="5001",side="passive"} 1`) {
		t.Error("/metrics: no passive open counted")
	}
	ca.Close()
	stop()
	if err := <-served; err != nil {
		t.Errorf("serve: %v", err)
	}
	if resp, err := http.Get("http://" + addr + "/metrics"); err == nil {
		resp.Body.Close()
		t.Error("metrics server still answering after serve returned")
	}
}

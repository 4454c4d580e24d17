package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// runOurs measures sctp-xdp ↔ sctp-xdp with the CLI as a user runs it:
// `serve --mode discard` on srv, `bench --json` from cli for cfg.Duration
// per size; bench's report gives messages and seconds (until the graceful
// shutdown, so everything was delivered), /proc serve's CPU.
func runOurs(bin string, srv, cli *testbed.Link, cfg Config) []Row {
	rows := make([]Row, 0, len(cfg.Sizes))
	fail := func(err error) []Row {
		for _, s := range cfg.Sizes[len(rows):] {
			rows = append(rows, Row{Stack: stackOurs, Size: s, Err: err})
		}
		return rows
	}
	p, err := srv.NS.StartProc(bin, "serve", "--iface", srv.Name, "--mode", "discard", "--port", "5001")
	if err != nil {
		return fail(err)
	}
	defer p.Stop()
	if !p.WaitOutput("msg=serving", 15*time.Second) {
		return fail(fmt.Errorf("serve did not start: %s", p.Output()))
	}
	peer := netip.AddrPortFrom(srv.IPv4, 5001).String()
	for _, size := range cfg.Sizes {
		cpu0, err := procCPU(p.Pid())
		if err != nil {
			return fail(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), cfg.Duration+60*time.Second)
		out, err := cli.NS.Command(ctx, bin, "bench", "--iface", cli.Name, "--peer", peer, "--size", fmt.Sprint(size),
			"--duration", cfg.Duration.String(), "--json").Output()
		cancel()
		if err != nil {
			return fail(fmt.Errorf("bench: %v: %.300s", err, out))
		}
		cpu1, err := procCPU(p.Pid())
		if err != nil {
			return fail(err)
		}
		var r struct {
			Messages uint64  `json:"messages"`
			Seconds  float64 `json:"seconds"`
		}
		if err := json.Unmarshal([]byte(strings.TrimSpace(string(out))), &r); err != nil {
			return fail(fmt.Errorf("bench JSON %q: %v", out, err))
		}
		rows = append(rows, Row{Stack: stackOurs, Size: size, Messages: r.Messages, Seconds: r.Seconds, CPU: cpu1 - cpu0, Frames: 1})
	}
	return rows
}

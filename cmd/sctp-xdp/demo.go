package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// runDemo builds two namespaces joined by a veth pair, serves on one end
// and benchmarks from the other over AF_XDP (discard for throughput, then
// echo for round trips), prints the report and removes everything, also
// on Ctrl-C.
func runDemo(ctx context.Context, args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	duration := fs.Duration("duration", 10*time.Second, "how long to benchmark (split between discard and echo)")
	size := fs.Int("size", 100, "message size in bytes")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *size < 1 || *size > 256<<10 || *duration <= 0 {
		return fmt.Errorf("--size must be 1 to %d and --duration positive", 256<<10)
	}
	if err := testbed.CheckHost(); err != nil {
		return fmt.Errorf("%w (run as root)", err)
	}
	testbed.Sweep() // what a killed demo left
	srvNS, err := testbed.CreateNetns()
	if err != nil {
		return err
	}
	defer srvNS.Delete()
	cliNS, err := testbed.CreateNetns()
	if err != nil {
		return err
	}
	defer cliNS.Delete()
	srv, cli, err := testbed.CreateVeth(srvNS, cliNS, testbed.VethConfig{})
	if err != nil {
		return err
	}
	fmt.Printf("server %s on %s in %s; client %s on %s in %s\n",
		srv.IPv4, srv.Name, srvNS.Name(), cli.IPv4, cli.Name, cliNS.Name())

	cfg := sctpxdp.Config{Interface: srv.Name, NetNS: srvNS.Path(), Port: 5001}
	cfg.Assoc.NoDelay = true
	ep, err := sctpxdp.Listen(cfg)
	if err != nil {
		return err
	}
	defer ep.Close()
	sctx, stopServer := context.WithCancel(ctx)
	defer stopServer()
	go serve(sctx, ep, "echo", log)

	peer := netip.AddrPortFrom(srv.IPv4, 5001)
	client := sctpxdp.Config{Interface: cli.Name, NetNS: cliNS.Path()}
	for _, mode := range []string{"discard", "echo"} {
		f := &benchFlags{mode: mode, size: *size, duration: *duration / 2}
		fmt.Printf("\nbench --mode %s --size %d --duration %v\n", mode, *size, f.duration)
		r, err := bench(ctx, client, peer, f, os.Stdout)
		if err != nil {
			return err
		}
		if err := printResult(r, false); err != nil {
			return err
		}
		if ctx.Err() != nil {
			break
		}
	}
	stopServer()
	if err := ep.Close(); err != nil {
		return err
	}
	fmt.Println("\ndone: namespaces, veth pair and XDP program removed")
	return nil
}

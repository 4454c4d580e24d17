package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"runtime"
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
	// Both hosts live in this process: give each the Ps a process of its
	// own would have, or their pollers and applications queue for two.
	if n := 2 * runtime.NumCPU(); runtime.GOMAXPROCS(0) < n {
		runtime.GOMAXPROCS(n)
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

	// An echo server on port 7 and a discard server on port 9 (RFC 862,
	// RFC 863, as usrsctp's examples), sharing the interface's runtime.
	sctx, stopServer := context.WithCancel(ctx)
	defer stopServer()
	ports := map[string]uint16{"echo": 7, "discard": 9}
	var eps []*sctpxdp.Endpoint
	for _, mode := range []string{"echo", "discard"} {
		cfg := sctpxdp.Config{Interface: srv.Name, NetNS: srvNS.Path(), Port: ports[mode]}
		cfg.Assoc.NoDelay = true
		ep, err := sctpxdp.Listen(cfg)
		if err != nil {
			return err
		}
		defer ep.Close()
		eps = append(eps, ep)
		go serve(sctx, ep, mode, log)
	}

	client := sctpxdp.Config{Interface: cli.Name, NetNS: cliNS.Path()}
	for _, mode := range []string{"discard", "echo"} {
		peer := netip.AddrPortFrom(srv.IPv4, ports[mode])
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
	for _, ep := range eps {
		if err := ep.Close(); err != nil {
			return err
		}
	}
	fmt.Println("\ndone: namespaces, veth pair and XDP program removed")
	return nil
}

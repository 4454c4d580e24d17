package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
	"github.com/sctp-xdp/sctp-xdp/metrics"
)

type serveFlags struct {
	iface, netns, addrs, mode string
	port                      uint
	queues                    int
	metrics                   string // HTTP address of /metrics ("" for none)
	perAssoc                  int
}

func parseServe(args []string) (*serveFlags, error) {
	f := &serveFlags{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&f.iface, "iface", "", "network interface (required)")
	fs.StringVar(&f.netns, "netns", "", "network namespace of the interface (an `ip netns` name or a path)")
	fs.StringVar(&f.addrs, "addr", "", "local addresses, comma-separated (default: every address of the interface)")
	fs.UintVar(&f.port, "port", 5001, "SCTP port")
	fs.StringVar(&f.mode, "mode", "echo", "echo or discard")
	fs.IntVar(&f.queues, "queues", 0, "queues to use (default: all)")
	fs.StringVar(&f.metrics, "metrics", "", "serve Prometheus metrics at http://`ADDR`/metrics (host:port)")
	fs.IntVar(&f.perAssoc, "metrics-per-assoc", 0, "per-association series for the `N` busiest associations")
	if err := fs.Parse(args); err != nil {
		return nil, errUsage
	}
	if f.iface == "" {
		return nil, fmt.Errorf("--iface is required")
	}
	if f.mode != "echo" && f.mode != "discard" {
		return nil, fmt.Errorf("--mode must be echo or discard, not %q", f.mode)
	}
	if f.port == 0 || f.port > 65535 {
		return nil, fmt.Errorf("--port must be 1 to 65535")
	}
	if f.perAssoc < 0 {
		return nil, fmt.Errorf("--metrics-per-assoc must be 0 or more")
	}
	return f, nil
}

func (f *serveFlags) config() (sctpxdp.Config, error) {
	cfg := sctpxdp.Config{Interface: f.iface, NetNS: f.netns, Port: uint16(f.port), Queues: f.queues}
	cfg.Assoc.NoDelay = true
	for _, s := range strings.Split(f.addrs, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return cfg, fmt.Errorf("--addr: %w", err)
		}
		cfg.Addrs = append(cfg.Addrs, a)
	}
	return cfg, nil
}

func runServe(ctx context.Context, args []string, log *slog.Logger) error {
	f, err := parseServe(args)
	if err != nil {
		return err
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	if err := preflight(f.iface, f.netns, cfg.Addrs); err != nil {
		return err
	}
	ep, err := sctpxdp.Listen(cfg)
	if err != nil {
		return explain(err, f.iface, f.port)
	}
	stopMetrics := func() {}
	if f.metrics != "" {
		if stopMetrics, err = serveMetrics(f.metrics, f.perAssoc, ep, log); err != nil {
			ep.Close()
			return err
		}
	}
	log.Info("serving", "iface", f.iface, "port", ep.Port(), "mode", f.mode)
	wctx, stopWatch := context.WithCancel(ctx)
	go watchDrops(wctx, func() ([]sctpxdp.Count, error) {
		st, err := ep.InterfaceStats()
		return st.Drops, err
	}, dropLogPeriod, log)
	serve(ctx, ep, f.mode, log)
	stopWatch()
	log.Info("shutting down: graceful shutdown of every association, then ABORT")
	err = ep.Close()
	stopMetrics()
	return err
}

// serveMetrics serves ep's counters at http://addr/metrics (design.md 7)
// until the returned function is called.
func serveMetrics(addr string, perAssoc int, ep metrics.Source, log *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics %s: %w (choose a free host:port)", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics.Handler(metrics.Options{PerAssoc: perAssoc}, ep))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	log.Info("metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

// dropLogPeriod is how often serve logs the packets dropped, at most.
var dropLogPeriod = 10 * time.Second

// serve accepts associations and echoes or discards their messages until
// ctx ends. Associations that end badly are logged, at most 10 a second.
func serve(ctx context.Context, ep *sctpxdp.Endpoint, mode string, log *slog.Logger) {
	lim := newLimiter(time.Second, 10)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		a, err := ep.Accept(ctx)
		if err != nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 256<<10)
			for {
				n, info, err := a.RecvMsg(ctx, buf)
				if err != nil {
					if !errors.Is(err, io.EOF) && !errors.Is(err, context.Canceled) {
						if ok, suppressed := lim.allow(); ok {
							log.Warn("association ended", "err", err, "suppressed", suppressed)
						}
					}
					return
				}
				if mode == "echo" {
					if err := a.SendMsg(ctx, sctpxdp.SndInfo{Stream: info.Stream, PPID: info.PPID, Unordered: info.Unordered}, buf[:n]); err != nil {
						return
					}
				}
			}
		}()
	}
}

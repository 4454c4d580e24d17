package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
)

type benchFlags struct {
	iface, netns, peer, mode, addr string
	size, count, streams, assocs   int
	duration                       time.Duration
	json, unordered                bool
}

func parseBench(args []string) (*benchFlags, error) {
	f := &benchFlags{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&f.iface, "iface", "", "network interface (required)")
	fs.StringVar(&f.netns, "netns", "", "network namespace of the interface")
	fs.StringVar(&f.peer, "peer", "", "server address and port, IP:PORT (required)")
	fs.StringVar(&f.mode, "mode", "discard", "discard (throughput) or echo (round trips, RTT)")
	fs.IntVar(&f.size, "size", 100, "message size in bytes")
	fs.IntVar(&f.count, "count", 0, "messages to send (instead of --duration)")
	fs.DurationVar(&f.duration, "duration", 10*time.Second, "how long to send")
	fs.BoolVar(&f.json, "json", false, "print the result as one JSON object")
	fs.StringVar(&f.addr, "addr", "", "local address (default: the interface's, as routing picks)")
	fs.IntVar(&f.streams, "streams", 1, "streams to spread the messages over")
	fs.BoolVar(&f.unordered, "unordered", false, "send unordered messages")
	fs.IntVar(&f.assocs, "assocs", 1, "associations, each from its own ephemeral port")
	if err := fs.Parse(args); err != nil {
		return nil, errUsage
	}
	switch {
	case f.iface == "" || f.peer == "":
		return nil, fmt.Errorf("--iface and --peer are required")
	case f.mode != "discard" && f.mode != "echo":
		return nil, fmt.Errorf("--mode must be discard or echo, not %q", f.mode)
	case f.size < 1 || f.size > 256<<10:
		return nil, fmt.Errorf("--size must be 1 to %d", 256<<10)
	case f.count < 0 || f.duration <= 0:
		return nil, fmt.Errorf("--count must be >= 0 and --duration > 0")
	case f.streams < 1 || f.streams > 65535:
		return nil, fmt.Errorf("--streams must be 1 to 65535")
	case f.assocs < 1 || f.assocs > 1000:
		return nil, fmt.Errorf("--assocs must be 1 to 1000")
	}
	return f, nil
}

// result is the JSON object of design.md section 6.
type result struct {
	Messages          uint64   `json:"messages"`
	Bytes             uint64   `json:"bytes"`
	Seconds           float64  `json:"seconds"`
	MessagesPerSecond float64  `json:"messages_per_second"`
	MbitPerSecond     float64  `json:"mbit_per_second"`
	RTTP50us          *float64 `json:"rtt_p50_us"`
	RTTP99us          *float64 `json:"rtt_p99_us"`
	Retransmissions   uint64   `json:"retransmissions"`
	Associations      int      `json:"associations"`
	Size              int      `json:"size"`
	Streams           int      `json:"streams"`
	Unordered         bool     `json:"unordered"`
	Mode              string   `json:"mode"`
}

func runBench(ctx context.Context, args []string, log *slog.Logger) error {
	f, err := parseBench(args)
	if err != nil {
		return err
	}
	peer, err := netip.ParseAddrPort(f.peer)
	if err != nil {
		return fmt.Errorf("--peer: %w", err)
	}
	cfg := sctpxdp.Config{Interface: f.iface, NetNS: f.netns}
	if f.addr != "" {
		a, err := netip.ParseAddr(f.addr)
		if err != nil {
			return fmt.Errorf("--addr: %w", err)
		}
		cfg.Addrs = []netip.Addr{a}
	}
	if err := preflight(f.iface, f.netns, cfg.Addrs); err != nil {
		return err
	}
	r, err := bench(ctx, cfg, peer, f, os.Stderr)
	if err != nil {
		return explain(err, f.iface, 0)
	}
	return printResult(r, f.json)
}

// bench runs f.assocs associations against peer (each from its own
// ephemeral port), sending on f.streams streams, and measures them; progress
// goes to progress once a second when it is a terminal.
func bench(ctx context.Context, cfg sctpxdp.Config, peer netip.AddrPort, f *benchFlags, progress *os.File) (*result, error) {
	streams, assocs := max(f.streams, 1), max(f.assocs, 1)
	cfg.Assoc.NoDelay = f.mode == "echo"
	if cfg.Assoc.OutStreams < uint16(streams) {
		cfg.Assoc.OutStreams = uint16(streams)
	}
	as := make([]*sctpxdp.Assoc, 0, assocs)
	for i := 0; i < assocs; i++ {
		a, err := sctpxdp.Dial(ctx, cfg, peer)
		if err != nil {
			for _, a := range as {
				a.Abort()
			}
			return nil, fmt.Errorf("association %d: %w", i+1, err)
		}
		as = append(as, a)
	}
	var sent atomic.Uint64
	var mu sync.Mutex
	var rtts []time.Duration
	var firstErr error
	start := time.Now()
	end := start.Add(f.duration)
	stop := make(chan struct{})
	if isTerminal(progress) {
		go func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-stop:
					fmt.Fprintln(progress)
					return
				case <-t.C:
					secs := time.Since(start).Seconds()
					n := float64(sent.Load())
					fmt.Fprintf(progress, "\r%10.0f messages/s %10.1f Mbit/s", n/secs, n*float64(f.size)*8/secs/1e6)
				}
			}
		}()
	}
	var wg sync.WaitGroup
	for i, a := range as {
		quota := 0 // messages for this association with --count
		if f.count > 0 {
			quota = f.count / assocs
			if i < f.count%assocs {
				quota++
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat, err := runAssoc(ctx, a, f, streams, quota, end, &sent)
			mu.Lock()
			defer mu.Unlock()
			rtts = append(rtts, lat...)
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}()
	}
	wg.Wait()
	// A graceful shutdown returns once the peer has everything: the
	// elapsed time covers delivery, not just queueing.
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var rtx uint64
	for _, a := range as {
		if err := a.Shutdown(sctx); err != nil {
			a.Abort()
			if firstErr == nil {
				firstErr = fmt.Errorf("shutdown: %w", err)
			}
		}
		rtx += a.Stats().RtxChunks
	}
	secs := time.Since(start).Seconds()
	close(stop)
	if firstErr != nil && ctx.Err() == nil {
		return nil, firstErr
	}
	n := sent.Load()
	r := &result{Messages: n, Bytes: n * uint64(f.size), Seconds: secs,
		MessagesPerSecond: float64(n) / secs, MbitPerSecond: float64(n) * float64(f.size) * 8 / secs / 1e6,
		Retransmissions: rtx, Associations: assocs, Size: f.size, Streams: streams, Unordered: f.unordered, Mode: f.mode}
	if len(rtts) > 0 {
		slices.Sort(rtts)
		p50 := float64(rtts[len(rtts)/2].Microseconds())
		p99 := float64(rtts[len(rtts)*99/100].Microseconds())
		r.RTTP50us, r.RTTP99us = &p50, &p99
	}
	return r, nil
}

// runAssoc sends on one association until its quota (with --count) or the
// end time, waiting for each echo in echo mode; it returns the round trips.
func runAssoc(ctx context.Context, a *sctpxdp.Assoc, f *benchFlags, streams, quota int, end time.Time, sent *atomic.Uint64) ([]time.Duration, error) {
	msg := make([]byte, f.size)
	for i := range msg {
		msg[i] = byte(i)
	}
	buf := make([]byte, f.size+1024)
	var rtts []time.Duration
	if f.mode != "echo" {
		// Whatever the peer sends back (an echo server) is read and
		// dropped: unread, it would close our window and then the peer's.
		go func() {
			b := make([]byte, 64<<10)
			for {
				if _, _, err := a.RecvMsg(context.Background(), b); err != nil {
					return // the association ended
				}
			}
		}()
	}
	for i := 0; ctx.Err() == nil; i++ {
		if quota > 0 && i >= quota || quota == 0 && f.count > 0 || f.count == 0 && time.Now().After(end) {
			break
		}
		t0 := time.Now()
		info := sctpxdp.SndInfo{Stream: uint16(i % streams), Unordered: f.unordered}
		if err := a.SendMsg(ctx, info, msg); err != nil {
			return rtts, err
		}
		sent.Add(1)
		if f.mode == "echo" {
			if _, _, err := a.RecvMsg(ctx, buf); err != nil {
				return rtts, err
			}
			rtts = append(rtts, time.Since(t0))
		}
	}
	return rtts, nil
}

func printResult(r *result, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(os.Stdout).Encode(r)
	}
	b, _ := json.Marshal(r)
	var m map[string]any
	json.Unmarshal(b, &m)
	keys := []string{"mode", "size", "streams", "unordered", "associations", "messages", "bytes", "seconds",
		"messages_per_second", "mbit_per_second", "rtt_p50_us", "rtt_p99_us", "retransmissions"}
	var sb strings.Builder
	for _, k := range keys {
		v := m[k]
		switch x := v.(type) {
		case nil:
			v = "-"
		case float64:
			if x != float64(int64(x)) {
				v = fmt.Sprintf("%.2f", x)
			} else {
				v = fmt.Sprintf("%.0f", x)
			}
		}
		fmt.Fprintf(&sb, "%-20s %v\n", k, v)
	}
	_, err := os.Stdout.WriteString(sb.String())
	return err
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

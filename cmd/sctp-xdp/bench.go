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
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
)

type benchFlags struct {
	iface, netns, peer, mode string
	size, count              int
	duration                 time.Duration
	json                     bool
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
	r, err := bench(ctx, sctpxdp.Config{Interface: f.iface, NetNS: f.netns}, peer, f, os.Stderr)
	if err != nil {
		return err
	}
	return printResult(r, f.json)
}

// bench runs one association against peer and measures it; progress goes
// to progress once a second when it is a terminal.
func bench(ctx context.Context, cfg sctpxdp.Config, peer netip.AddrPort, f *benchFlags, progress *os.File) (*result, error) {
	cfg.Assoc.NoDelay = f.mode == "echo"
	a, err := sctpxdp.Dial(ctx, cfg, peer)
	if err != nil {
		return nil, err
	}
	msg := make([]byte, f.size)
	for i := range msg {
		msg[i] = byte(i)
	}
	buf := make([]byte, f.size+1024)
	var rtts []time.Duration
	var sent uint64
	start := time.Now()
	end := start.Add(f.duration)
	lastReport := start
	tty := isTerminal(progress)
	for ctx.Err() == nil {
		if f.count > 0 && sent >= uint64(f.count) || f.count == 0 && time.Now().After(end) {
			break
		}
		t0 := time.Now()
		if err := a.SendMsg(ctx, sctpxdp.SndInfo{}, msg); err != nil {
			break
		}
		sent++
		if f.mode == "echo" {
			if _, _, err := a.RecvMsg(ctx, buf); err != nil {
				break
			}
			rtts = append(rtts, time.Since(t0))
		}
		if tty && time.Since(lastReport) >= time.Second {
			lastReport = time.Now()
			secs := time.Since(start).Seconds()
			fmt.Fprintf(progress, "\r%10.0f messages/s %10.1f Mbit/s", float64(sent)/secs, float64(sent)*float64(f.size)*8/secs/1e6)
		}
	}
	// A graceful shutdown returns once the peer has everything: the
	// elapsed time covers delivery, not just queueing.
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err = a.Shutdown(sctx)
	cancel()
	secs := time.Since(start).Seconds()
	if tty {
		fmt.Fprintln(progress)
	}
	if err != nil {
		return nil, fmt.Errorf("shutdown: %w", err)
	}
	st := a.Stats()
	r := &result{Messages: sent, Bytes: sent * uint64(f.size), Seconds: secs,
		MessagesPerSecond: float64(sent) / secs, MbitPerSecond: float64(sent) * float64(f.size) * 8 / secs / 1e6,
		Retransmissions: st.RtxChunks, Associations: 1, Size: f.size, Streams: 1, Mode: f.mode}
	if len(rtts) > 0 {
		slices.Sort(rtts)
		p50 := float64(rtts[len(rtts)/2].Microseconds())
		p99 := float64(rtts[len(rtts)*99/100].Microseconds())
		r.RTTP50us, r.RTTP99us = &p50, &p99
	}
	return r, nil
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

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestFlagErrors(t *testing.T) {
	for _, c := range []struct {
		cmd  string
		args []string
		want string
	}{
		{"serve", nil, "--iface is required"},
		{"serve", []string{"--iface", "x", "--mode", "mirror"}, "--mode must be echo or discard"},
		{"serve", []string{"--iface", "x", "--port", "70000"}, "--port must be 1 to 65535"},
		{"bench", []string{"--iface", "x"}, "--iface and --peer are required"},
		{"bench", []string{"--iface", "x", "--peer", "198.18.0.1:5001", "--size", "0"}, "--size must be"},
		{"bench", []string{"--iface", "x", "--peer", "198.18.0.1:5001", "--mode", "flood"}, "--mode must be discard or echo"},
		{"bench", []string{"--iface", "x", "--peer", "198.18.0.1:5001", "--streams", "0"}, "--streams must be 1 to 65535"},
		{"bench", []string{"--iface", "x", "--peer", "198.18.0.1:5001", "--assocs", "0"}, "--assocs must be 1 to 1000"},
	} {
		var err error
		if c.cmd == "serve" {
			_, err = parseServe(c.args)
		} else {
			_, err = parseBench(c.args)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: %v, want %q", c.cmd, c.args, err, c.want)
		}
	}
	if err := runBench(context.Background(), []string{"--iface", "x", "--peer", "not-an-address"}, quiet); err == nil {
		t.Error("bad --peer accepted")
	}
	if _, err := parseServe([]string{"--no-such-flag"}); !errors.Is(err, errUsage) {
		t.Errorf("unknown flag: %v", err)
	}
}

// TestDemo: `demo --duration 2s` finishes, reports both modes, and leaves
// no namespace, veth or XDP program of ours behind.
func TestDemo(t *testing.T) {
	testbed.RequirePriv(t)
	progs := ourPrograms(t) // other tests' runtimes in this process may have one loaded
	ctx, cancel := context.WithTimeout(context.Background(), 18*time.Second)
	defer cancel()
	out := captureStdout(t, func() {
		if err := runDemo(ctx, []string{"--duration", "3s"}, quiet); err != nil {
			t.Errorf("demo: %v", err)
		}
	})
	for _, want := range []string{"mode                 discard", "mode                 echo", "rtt_p50_us", "done:"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if ctx.Err() != nil {
		t.Error("demo took more than 18 s")
	}
	entries, _ := os.ReadDir("/run/netns")
	prefix := fmt.Sprintf("%s%d-", testbed.Prefix, os.Getpid())
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			t.Errorf("namespace %s left behind", e.Name())
		}
	}
	if n := ourPrograms(t); n > progs {
		t.Errorf("%d XDP programs of ours loaded after the demo, %d before", n, progs)
	}
}

func captureStdout(t *testing.T, fn func()) string {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	fn()
	os.Stdout = old
	w.Close()
	return <-done
}

// TestBenchAssocsStreams: --assocs 3 --streams 4 --unordered --count 3000
// against our discard server: the JSON adds up and the server counted
// every message, over three associations.
func TestBenchAssocsStreams(t *testing.T) {
	testbed.RequirePriv(t)
	na, nb := testbed.NewNetns(t), testbed.NewNetns(t)
	srv, cli := testbed.NewVeth(t, na, nb, testbed.VethConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ep, err := sctpxdp.Listen(sctpxdp.Config{Interface: srv.Name, NetNS: na.Path(), Port: 9})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	go serve(sctx, ep, "discard", quiet)
	f, err := parseBench([]string{"--iface", cli.Name, "--peer", netip.AddrPortFrom(srv.IPv4, 9).String(),
		"--assocs", "3", "--streams", "4", "--unordered", "--count", "3000", "--size", "200"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := bench(ctx, sctpxdp.Config{Interface: cli.Name, NetNS: nb.Path()}, netip.AddrPortFrom(srv.IPv4, 9), f, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if r.Messages != 3000 || r.Bytes != 600000 || r.Associations != 3 || r.Streams != 4 || !r.Unordered || r.RTTP50us != nil {
		t.Errorf("result %+v", *r)
	}
	st, err := ep.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Totals.DataRecvUnordered; got != 3000 || st.Opened.Passive != 3 {
		t.Errorf("server saw %d unordered DATA chunks over %d associations, want 3000 over 3", got, st.Opened.Passive)
	}
}

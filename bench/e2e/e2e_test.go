package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

func TestMain(m *testing.M) {
	if port := os.Getenv(pionRecvEnv); port != "" { // the pion receiver process
		os.Exit(pionRecvMain(port))
	}
	os.Exit(m.Run())
}

// TestE2ESmoke runs the benchmark's measurement code briefly at one size:
// every stack measures something, and the table and the plot have every
// row.
func TestE2ESmoke(t *testing.T) {
	testbed.RequirePriv(t)
	start := time.Now()
	res, err := Run(Config{Sizes: []int{100}, Duration: 500 * time.Millisecond})
	t.Logf("measured in %v", time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stacks {
		r, ok := res.row(st, 100)
		switch {
		case !ok:
			t.Errorf("%s: no row", st)
		case r.Err != nil:
			t.Errorf("%s: %v", st, r.Err)
		case r.Messages == 0 || r.Seconds <= 0 || r.CPU < 0:
			t.Errorf("%s: nothing measured: %+v", st, r)
		}
	}
	md := res.Markdown("e2e.png")
	for _, st := range stacks {
		if !strings.Contains(md, "| "+st+" | 100 B | ") {
			t.Errorf("table lacks the row of %s:\n%s", st, md)
		}
	}
	if !strings.Contains(md, "Linux "+res.Kernel) || !strings.Contains(md, "![") || strings.Contains(md, "failed") {
		t.Errorf("table:\n%s", md)
	}
	png := filepath.Join(t.TempDir(), "e2e.png")
	if err := res.Plot(png); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(png); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("plot: %v, %d bytes", err, len(b))
	}
	t.Logf("\n%s", md)
}

// TestMarkdownRatios: the ratios are against usrsctp at the same size, and
// a failed case says so in its row.
func TestMarkdownRatios(t *testing.T) {
	res := &Result{Date: time.Unix(0, 0).UTC(), Kernel: "6.18", CPU: "cpu", Cores: 2, Duration: time.Second, Rows: []Row{
		{Stack: stackOurs, Size: 100, Messages: 4000, Seconds: 1, CPU: 4 * time.Millisecond},
		{Stack: stackUsrsctp, Size: 100, Messages: 1000, Seconds: 2, CPU: 4 * time.Millisecond},
		{Stack: stackPion, Size: 100, Err: os.ErrDeadlineExceeded},
	}}
	md := res.Markdown("")
	for _, want := range []string{
		"| " + stackOurs + " | 100 B | 4000 | 3.2 | 1.00 µs | 8.00 | 0.25 |",
		"| " + stackUsrsctp + " | 100 B | 500 | 0.4 | 4.00 µs | 1 | 1 |",
		"| " + stackPion + " | 100 B | failed: ",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("table lacks %q:\n%s", want, md)
		}
	}
}

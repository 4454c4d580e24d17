package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// Config shapes a run.
type Config struct {
	Sizes    []int         // message sizes, bytes
	Duration time.Duration // how long each case sends
	Log      io.Writer     // progress lines
}

// The stacks, in the table's order.
const (
	stackOurs    = "sctp-xdp ↔ sctp-xdp (AF_XDP)"
	stackUsrsctp = "usrsctp tsctp ↔ tsctp (raw IP)"
	stackPion    = "pion/sctp ↔ pion/sctp (UDP, loopback)"
	stackAFXDP   = "raw AF_XDP receive ceiling"
)

var stacks = []string{stackOurs, stackUsrsctp, stackPion, stackAFXDP}

// Row is one stack at one message size, measured on the receiving side.
type Row struct {
	Stack    string
	Size     int
	Messages uint64
	Seconds  float64
	CPU      time.Duration // receiving process (or thread) CPU over the run
	Frames   int           // frames per message (the AF_XDP ceiling's unit)
	Err      error         // the case failed: no figures
}

func (r Row) MessagesPerSecond() float64 {
	if r.Seconds <= 0 {
		return 0
	}
	return float64(r.Messages) / r.Seconds
}

func (r Row) MbitPerSecond() float64 { return r.MessagesPerSecond() * float64(r.Size) * 8 / 1e6 }

// CPUPerMessage is the receiver's CPU time per message.
func (r Row) CPUPerMessage() time.Duration {
	if r.Messages == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Messages)
}

// Result is one run: the machine and every row.
type Result struct {
	Date                   time.Time
	Kernel, CPU, GoVersion string
	Cores                  int
	Duration               time.Duration
	Rows                   []Row
}

// Run measures every stack at every size on one veth pair (the pion case on
// loopback), one case at a time.
func Run(cfg Config) (*Result, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if err := testbed.Check(); err != nil {
		return nil, fmt.Errorf("%w (run as root; scripts/deps.sh installs the peers)", err)
	}
	testbed.Sweep()
	res := machine()
	res.Duration = cfg.Duration
	tmp, err := os.MkdirTemp("", "sctp-xdp-e2e-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "sctp-xdp")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/sctp-xdp/sctp-xdp/cmd/sctp-xdp").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/sctp-xdp: %v\n%s", err, out)
	}
	na, err := testbed.CreateNetns()
	if err != nil {
		return nil, err
	}
	defer na.Delete()
	nb, err := testbed.CreateNetns()
	if err != nil {
		return nil, err
	}
	defer nb.Delete()
	srv, cli, err := testbed.CreateVeth(na, nb, testbed.VethConfig{})
	if err != nil {
		return nil, err
	}
	add := func(r Row) {
		if r.Err != nil {
			fmt.Fprintf(cfg.Log, "%-40s %6d B: %v\n", r.Stack, r.Size, r.Err)
		} else {
			fmt.Fprintf(cfg.Log, "%-40s %6d B: %10.0f messages/s %9.1f Mbit/s %8v CPU/message\n",
				r.Stack, r.Size, r.MessagesPerSecond(), r.MbitPerSecond(), r.CPUPerMessage())
		}
		res.Rows = append(res.Rows, r)
	}
	// usrsctp first: the veth has no XDP program yet.
	for _, r := range runTsctp(srv, cli, cfg) {
		add(r)
	}
	for _, r := range runOurs(bin, srv, cli, cfg) {
		add(r)
	}
	for _, size := range cfg.Sizes {
		add(runPion(size, cfg.Duration))
	}
	for _, r := range runAFXDP(srv, cli, cfg) {
		add(r)
	}
	return res, nil
}

func machine() *Result {
	r := &Result{Date: time.Now().UTC(), Cores: numCPU(), GoVersion: goVersion()}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		r.Kernel = trim(string(b))
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		r.CPU = cpuModel(string(b))
	}
	return r
}

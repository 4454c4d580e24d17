package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// The tests in this file run the built binary inside namespaces, as a user
// would: built once per test run, into a directory TestMain removes.
var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// envFetch makes the test binary fetch a URL, print the body and exit: the
// tests scrape serve's metrics inside its namespace this way (`ip netns
// exec`), because a thread switched into a namespace by Netns.Do ends with
// its goroutine, and its end SIGKILLs the children it forked (Pdeathsig).
const envFetch = "SCTPXDP_TEST_FETCH"

func TestMain(m *testing.M) {
	if url := os.Getenv(envFetch); url != "" {
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		io.Copy(os.Stdout, resp.Body)
		os.Exit(0)
	}
	code := m.Run()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// sctpXDP builds the command (once) and returns the binary's path.
func sctpXDP(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		if binary.dir, binary.err = os.MkdirTemp("", "sctp-xdp-bin-"); binary.err != nil {
			return
		}
		os.Chmod(binary.dir, 0o755) // an unprivileged user runs it too
		binary.path = filepath.Join(binary.dir, "sctp-xdp")
		out, err := exec.Command("go", "build", "-o", binary.path, ".").CombinedOutput()
		if err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// scrape fetches http://addr/metrics from inside ns (serve's metrics
// listener lives in its namespace).
func scrape(ns *testbed.Netns, addr string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := ns.Command(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envFetch+"=http://"+addr+"/metrics")
	out, err := cmd.Output()
	return string(out), err
}

// series sums the samples of metric name whose labels contain every one of
// labels (`key="value"` strings).
func series(body, name string, labels ...string) float64 {
	var sum float64
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || (rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		match := true
		for _, l := range labels {
			match = match && strings.Contains(rest, l)
		}
		if i := strings.LastIndexByte(rest, ' '); match && i >= 0 {
			v, err := strconv.ParseFloat(rest[i+1:], 64)
			if err == nil {
				sum += v
			}
		}
	}
	return sum
}

// waitScrape scrapes until ok accepts the body or 30 s have passed (a
// loaded 2-core machine is slow), and
// returns the last body.
func waitScrape(t *testing.T, ns *testbed.Netns, addr string, ok func(string) bool) string {
	t.Helper()
	var body string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		b, err := scrape(ns, addr)
		if err != nil {
			continue
		}
		if body = b; ok(body) {
			break
		}
	}
	return body
}

// startServe runs `sctp-xdp serve` on l with metrics on the namespace's
// loopback, and returns once it serves.
func startServe(t *testing.T, l *testbed.Link, args ...string) (*testbed.Proc, string) {
	t.Helper()
	const metricsAddr = "127.0.0.1:9464"
	args = append([]string{"serve", "--iface", l.Name, "--metrics", metricsAddr}, args...)
	p := l.NS.Start(t, sctpXDP(t), args...)
	if !p.WaitOutput("msg=serving", 15*time.Second) {
		t.Fatalf("serve did not start:\n%s", p.Output())
	}
	return p, metricsAddr
}

// benchJSON is design.md 6's object, with the null fields as pointers.
type benchJSON struct {
	Messages          uint64   `json:"messages"`
	Bytes             uint64   `json:"bytes"`
	Seconds           float64  `json:"seconds"`
	MessagesPerSecond float64  `json:"messages_per_second"`
	MbitPerSecond     float64  `json:"mbit_per_second"`
	RTTP50us          *float64 `json:"rtt_p50_us"`
	RTTP99us          *float64 `json:"rtt_p99_us"`
	Retransmissions   *uint64  `json:"retransmissions"`
	Associations      int      `json:"associations"`
	Size              int      `json:"size"`
	Streams           int      `json:"streams"`
	Unordered         *bool    `json:"unordered"`
	Mode              string   `json:"mode"`
}

// parseBenchJSON finds the JSON object in bench's output (stderr may hold
// log lines) and checks that it adds up.
func parseBenchJSON(t *testing.T, out string, size, assocs int, mode string) benchJSON {
	t.Helper()
	var r benchJSON
	found := false
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "{") {
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("bench JSON %q: %v", line, err)
			}
			found = true
		}
	}
	if !found {
		t.Fatalf("bench printed no JSON:\n%s", out)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(math.Abs(a), math.Abs(b)) }
	switch {
	case r.Messages == 0 || r.Seconds <= 0:
		t.Errorf("nothing measured: %+v", r)
	case r.Bytes != r.Messages*uint64(size) || r.Size != size:
		t.Errorf("bytes %d, want messages %d × size %d (size field %d)", r.Bytes, r.Messages, size, r.Size)
	case !near(r.MessagesPerSecond, float64(r.Messages)/r.Seconds):
		t.Errorf("messages_per_second %v, want messages/seconds = %v", r.MessagesPerSecond, float64(r.Messages)/r.Seconds)
	case !near(r.MbitPerSecond, float64(r.Bytes)*8/r.Seconds/1e6):
		t.Errorf("mbit_per_second %v, want %v", r.MbitPerSecond, float64(r.Bytes)*8/r.Seconds/1e6)
	case r.Associations != assocs || r.Mode != mode || r.Streams != 1 || r.Unordered == nil || r.Retransmissions == nil:
		t.Errorf("associations %d mode %q streams %d unordered %v retransmissions %v, want %d %q 1 and both present",
			r.Associations, r.Mode, r.Streams, r.Unordered, r.Retransmissions, assocs, mode)
	}
	if mode == "discard" && (r.RTTP50us != nil || r.RTTP99us != nil) {
		t.Errorf("discard mode reports RTTs %v %v, want null", r.RTTP50us, r.RTTP99us)
	}
	if mode == "echo" && (r.RTTP50us == nil || r.RTTP99us == nil || *r.RTTP50us <= 0 || *r.RTTP99us < *r.RTTP50us) {
		t.Errorf("echo mode RTTs p50 %v p99 %v: want both, 0 < p50 <= p99", r.RTTP50us, r.RTTP99us)
	}
	return r
}

// xdpOn reports whether an XDP program is attached to l.
func xdpOn(t *testing.T, l *testbed.Link) bool {
	t.Helper()
	return strings.Contains(l.NS.Run(t, "ip", "-d", "link", "show", "dev", l.Name), "prog/xdp")
}

// ourPrograms counts the loaded BPF programs named as ours (bpf/'s
// xdp_steer), machine-wide.
func ourPrograms(t *testing.T) int {
	t.Helper()
	out, err := exec.Command("bpftool", "prog", "show").CombinedOutput()
	if err != nil {
		t.Fatalf("bpftool prog show: %v\n%s", err, out)
	}
	return strings.Count(string(out), "name xdp_steer")
}

// Command e2e is the end-to-end benchmark of design.md 8.6: in one run, on
// one veth pair between two namespaces, it measures sctp-xdp ↔ sctp-xdp
// (the serve and bench commands over AF_XDP), usrsctp's tsctp ↔ tsctp
// (native SCTP over raw IP, the reference stack), pion/sctp over UDP on
// loopback, and the raw AF_XDP receive ceiling of the veth, for 100 B,
// 1 KiB and 64 KiB messages: messages/s, Mbit/s and the receiving side's
// CPU time per message. It writes a markdown table (with ratios against
// usrsctp measured in the same run) and a PNG plot.
//
//	go run ./bench/e2e [-duration 3s] [-out bench/results]
//
// It needs root (namespaces, XDP, AF_XDP) and the usrsctp examples.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

func main() {
	if port := os.Getenv(pionRecvEnv); port != "" {
		os.Exit(pionRecvMain(port))
	}
	duration := flag.Duration("duration", 3*time.Second, "how long each case sends")
	out := flag.String("out", "bench/results", "directory for e2e.md and e2e.png")
	flag.Parse()
	cfg := Config{Sizes: []int{100, 1024, 64 << 10}, Duration: *duration, Log: os.Stderr}
	res, err := Run(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	md := filepath.Join(*out, "e2e.md")
	if err := os.WriteFile(md, []byte(res.Markdown("e2e.png")), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	if err := res.Plot(filepath.Join(*out, "e2e.png")); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	fmt.Print(res.Markdown("e2e.png"))
	fmt.Fprintf(os.Stderr, "wrote %s and %s\n", md, filepath.Join(*out, "e2e.png"))
}

// Command sctp-xdp runs the kernel-bypass SCTP endpoint: a self-contained
// demo, an echo or discard server, and a benchmark client.
//
//	sctp-xdp demo   [--duration 10s] [--size 100]
//	sctp-xdp serve  --iface IF [--netns NS] [--addr IP[,IP]] [--port 5001] [--mode echo|discard] [--queues N]
//	                [--metrics ADDR] [--metrics-per-assoc N]
//	sctp-xdp bench  --iface IF [--netns NS] [--addr IP] --peer IP:PORT [--mode discard|echo] [--size 100]
//	                [--streams 1] [--unordered] [--duration 10s | --count N] [--assocs 1] [--json]
//
// Before attaching, serve and bench check what would otherwise fail deep in
// the stack and say what to do: capabilities, the interface (present,
// Ethernet, MTU within what XDP takes), the local addresses; a port taken by
// another process is reported as such. Logs are log/slog lines on stderr;
// conditions met per packet or per association are rate-limited.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func usage() {
	fmt.Fprint(os.Stderr, `usage: sctp-xdp COMMAND [flags]

commands:
  demo    two namespaces joined by a veth: a server in one, a benchmark in the
          other, over AF_XDP; prints the report and removes everything
  serve   an echo or discard server on an interface
  bench   a benchmark client against a server

'sctp-xdp COMMAND -h' lists a command's flags. Needs root (or CAP_NET_ADMIN,
CAP_NET_RAW, CAP_BPF, CAP_SYS_ADMIN, CAP_IPC_LOCK).
`)
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	var err error
	switch os.Args[1] {
	case "demo":
		err = runDemo(ctx, os.Args[2:], log)
	case "serve":
		err = runServe(ctx, os.Args[2:], log)
	case "bench":
		err = runBench(ctx, os.Args[2:], log)
	case "-h", "--help", "help":
		usage()
		return
	default:
		fmt.Fprintf(os.Stderr, "sctp-xdp: unknown command %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if errors.Is(err, errUsage) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "sctp-xdp %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"time"

	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// tsctpReport is the line tsctp's server prints per association: message
// length, messages, receive calls, bytes, seconds, ...
var tsctpReport = regexp.MustCompile(`(?m)^(\d+), (\d+), (\d+), (\d+), ([0-9.]+), .*$`)

// runTsctp measures usrsctp ↔ usrsctp: tsctp's server in srv's namespace,
// its client in cli's sending for cfg.Duration per size, one association
// each; the server's report gives messages and seconds, /proc its CPU.
func runTsctp(srv, cli *testbed.Link, cfg Config) []Row {
	const port = "5202"
	rows := make([]Row, 0, len(cfg.Sizes))
	fail := func(err error) []Row {
		for _, s := range cfg.Sizes[len(rows):] {
			rows = append(rows, Row{Stack: stackUsrsctp, Size: s, Err: err})
		}
		return rows
	}
	// Debian's usrsctp prints a debug line per event on stdout (about a
	// dozen per message): only the report lines are kept.
	srvCtx, stopSrv := context.WithCancel(context.Background())
	defer stopSrv()
	p := srv.NS.Command(srvCtx, testbed.USRSCTP("tsctp"), "-E", "0", "-p", port)
	stdout, err := p.StdoutPipe()
	if err != nil {
		return fail(err)
	}
	if err := p.Start(); err != nil {
		return fail(err)
	}
	defer func() { stopSrv(); p.Wait() }()
	reports := make(chan []string, len(cfg.Sizes))
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := tsctpReport.FindStringSubmatch(sc.Text()); m != nil {
				reports <- m
			}
		}
	}()
	pid := p.Process.Pid
	time.Sleep(500 * time.Millisecond) // it binds
	for _, size := range cfg.Sizes {
		cpu0, err := procCPU(pid)
		if err != nil {
			return fail(err)
		}
		secs := fmt.Sprintf("%d", max(1, int(cfg.Duration.Round(time.Second)/time.Second)))
		// A second try: once in a few dozen runs on a busy machine the
		// client (usrsctp, not ours) never ended, and the run lost
		// usrsctp's every row. A killed attempt's association is
		// reported (if ever) when the server gives it up, minutes later;
		// reports are matched by size below.
		for attempt := 1; ; attempt++ {
			ctx, cancel := context.WithTimeout(context.Background(), cfg.Duration+15*time.Second)
			c := cli.NS.Command(ctx, testbed.USRSCTP("tsctp"), "-E", "0", "-T", secs, "-l", fmt.Sprint(size),
				"-p", port, srv.IPv4.String())
			err = c.Run() // output discarded: debug lines
			cancel()
			if err == nil {
				break
			}
			if attempt == 2 {
				return fail(fmt.Errorf("tsctp client, twice: %v", err))
			}
			fmt.Fprintf(os.Stderr, "e2e: tsctp client (%d B): %v; trying again\n", size, err)
			cpu0, _ = procCPU(pid)
		}
		var m []string
		timeout := time.After(10 * time.Second)
		for m == nil || m[1] != fmt.Sprint(size) { // not one of a killed attempt
			select {
			case m = <-reports:
			case <-timeout:
				return fail(fmt.Errorf("no report from tsctp's server"))
			}
		}
		cpu1, err := procCPU(pid)
		if err != nil {
			return fail(err)
		}
		n, _ := strconv.ParseUint(m[2], 10, 64)
		s, _ := strconv.ParseFloat(m[5], 64)
		rows = append(rows, Row{Stack: stackUsrsctp, Size: size, Messages: n, Seconds: s, CPU: cpu1 - cpu0, Frames: 1})
	}
	return rows
}

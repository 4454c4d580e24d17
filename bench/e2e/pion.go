package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/pion/logging"
	"github.com/pion/sctp"
)

// pionRecvEnv makes this program (or its test binary) the pion/sctp
// receiver: a separate process, so that its CPU time is the receiving
// side's alone. The value is the sender's UDP port on 127.0.0.1.
const pionRecvEnv = "SCTPXDP_E2E_PION_RECV"

// endMarker is the one-byte message that ends a pion run (every measured
// message is larger).
const endMarker = 1

// runPion measures pion/sctp ↔ pion/sctp over UDP on 127.0.0.1: this
// process sends on one ordered stream for d, then a one-byte end marker;
// the receiver process reports the messages before it, the time from the
// first to the marker and its own CPU time over that span.
func runPion(size int, d time.Duration) Row {
	row := Row{Stack: stackPion, Size: size, Frames: 1}
	if size <= endMarker {
		row.Err = fmt.Errorf("size %d too small", size)
		return row
	}
	// The sender's port first: both ends use connected UDP sockets.
	probe, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		row.Err = err
		return row
	}
	sendAddr := probe.LocalAddr().(*net.UDPAddr)
	probe.Close()
	self, err := os.Executable()
	if err != nil {
		row.Err = err
		return row
	}
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), pionRecvEnv+"="+strconv.Itoa(sendAddr.Port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		row.Err = err
		return row
	}
	if err := cmd.Start(); err != nil {
		row.Err = err
		return row
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	lines := bufio.NewScanner(stdout)
	var recvPort int
	if !lines.Scan() {
		row.Err = fmt.Errorf("pion receiver printed nothing")
		return row
	}
	if _, err := fmt.Sscanf(lines.Text(), "port %d", &recvPort); err != nil {
		row.Err = fmt.Errorf("pion receiver: %q", lines.Text())
		return row
	}
	conn, err := net.DialUDP("udp4", sendAddr, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: recvPort})
	if err != nil {
		row.Err = err
		return row
	}
	defer conn.Close()
	a, err := sctp.Client(sctp.Config{NetConn: conn, LoggerFactory: logging.NewDefaultLoggerFactory(), BlockWrite: true})
	if err != nil {
		row.Err = fmt.Errorf("pion client: %w", err)
		return row
	}
	defer a.Close()
	s, err := a.OpenStream(0, sctp.PayloadTypeWebRTCBinary)
	if err != nil {
		row.Err = err
		return row
	}
	msg := make([]byte, size)
	for end := time.Now().Add(d); time.Now().Before(end); {
		if _, err := s.Write(msg); err != nil {
			row.Err = fmt.Errorf("pion write: %w", err)
			return row
		}
	}
	if _, err := s.Write(msg[:endMarker]); err != nil {
		row.Err = err
		return row
	}
	got := make(chan string, 1)
	go func() {
		if lines.Scan() {
			got <- lines.Text()
		}
		close(got)
	}()
	select {
	case line := <-got:
		var cpuNs int64
		if _, err := fmt.Sscanf(line, "result %d %g %d", &row.Messages, &row.Seconds, &cpuNs); err != nil {
			row.Err = fmt.Errorf("pion receiver: %q", line)
		}
		row.CPU = time.Duration(cpuNs)
	case <-time.After(d + 30*time.Second):
		row.Err = fmt.Errorf("pion receiver did not report")
	}
	return row
}

// pionRecvMain is the receiver process: it prints its UDP port, accepts
// the association and one stream, counts messages until the end marker,
// and prints "result MESSAGES SECONDS CPU_NS" (from the first message).
func pionRecvMain(senderPort string) int {
	port, err := strconv.Atoi(senderPort)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pion receiver: sender port:", err)
		return 2
	}
	conn, err := net.DialUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pion receiver:", err)
		return 1
	}
	fmt.Printf("port %d\n", conn.LocalAddr().(*net.UDPAddr).Port)
	a, err := sctp.Server(sctp.Config{NetConn: conn, LoggerFactory: logging.NewDefaultLoggerFactory()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pion receiver:", err)
		return 1
	}
	defer a.Close()
	s, err := a.AcceptStream()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pion receiver:", err)
		return 1
	}
	buf := make([]byte, 256<<10)
	var n uint64
	var start time.Time
	var cpu0 time.Duration
	for {
		m, err := s.Read(buf)
		if err != nil {
			fmt.Fprintln(os.Stderr, "pion receiver:", err)
			return 1
		}
		if n == 0 && start.IsZero() {
			start, cpu0 = time.Now(), selfCPU()
		}
		if m == endMarker {
			fmt.Printf("result %d %g %d\n", n, time.Since(start).Seconds(), int64(selfCPU()-cpu0))
			return 0
		}
		n++
	}
}

// selfCPU is this process's user plus system time (getrusage(2)).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

package sctpxdp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// tsctpReport matches the line tsctp's server prints per association:
// message length, messages, receive calls, bytes, seconds, rate, ...
var tsctpReport = regexp.MustCompile(`(?m)^(\d+), (\d+), (\d+), (\d+), .*$`)

// rawDrops sums the drop counters of the raw sockets open in n (usrsctp
// receives native SCTP through raw sockets; /proc/net/raw's last column).
func rawDrops(t *testing.T, n *testbed.Netns) uint64 {
	socks, err := testbed.RawSockets(n)
	if err != nil {
		t.Fatal(err)
	}
	var sum uint64
	for _, fs := range socks {
		if d, err := strconv.ParseUint(fs[len(fs)-1], 10, 64); err == nil {
			sum += d
		}
	}
	return sum
}

// interopLoads are issue 11's loads, each on its own association.
var interopLoads = []struct {
	name    string
	n, size int
}{
	{"100000x100B", 100000, 100},
	{"1000x64KiB", 1000, 64 << 10},
}

// TestUsrsctpToOurServer: usrsctp's tsctp (the reference stack) sends each
// load to our endpoint, which reads every message whole, then io.EOF: tsctp
// closes as soon as the last message is queued, so usrsctp starts the
// shutdown with data in flight (RFC 9260 9.2). The capture on the peer's end
// dissects cleanly, counts the messages and shows the SHUTDOWN sequence.
func TestUsrsctpToOurServer(t *testing.T) {
	srvLink, cliLink := pair(t)
	ep, err := sctpxdp.Listen(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: 5001})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	for _, load := range interopLoads {
		t.Run(load.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			type result struct {
				count int
				err   error
				a     *sctpxdp.Assoc
			}
			got := make(chan result, 1)
			go func() {
				a, err := ep.Accept(ctx)
				if err != nil {
					got <- result{err: err}
					return
				}
				buf := make([]byte, 128<<10)
				count := 0
				for {
					m, info, err := a.RecvMsg(ctx, buf)
					if err != nil {
						got <- result{count, err, a}
						return
					}
					if m != load.size || !info.EOR {
						got <- result{count, fmt.Errorf("message %d: %d bytes, EOR %v", count, m, info.EOR), a}
						return
					}
					count++
				}
			}()
			capture := testbed.StartCapture(t, cliLink.NS, cliLink.Name, "sctp")
			start := time.Now()
			out := cliLink.NS.Run(t, testbed.USRSCTP("tsctp"), "-E", "0", "-n", fmt.Sprint(load.n),
				"-l", fmt.Sprint(load.size), "-p", "5001", srvLink.IPv4.String())
			if !strings.Contains(out, fmt.Sprintf("Sending of %d messages", load.n)) {
				t.Fatalf("tsctp:\n%s", out)
			}
			var r result
			select {
			case r = <-got:
			case <-ctx.Done():
				t.Fatal("server did not see the association end")
			}
			elapsed := time.Since(start)
			if r.count != load.n || !errors.Is(r.err, io.EOF) {
				t.Errorf("received %d messages then %v, want %d then io.EOF", r.count, r.err, load.n)
			}
			s := checkCapture(t, capture.Stop(t), captureExpect{Messages: load.n, Shutdowns: 1})
			var ours uint64
			if r.a != nil {
				ours = r.a.Stats().RtxChunks
			}
			logCase(t, "tsctp-to-ours-"+load.name, r.count, elapsed, int(ours), s.repeatsFrom(cliLink.IPv4))
		})
	}
}

// TestOurClientToUsrsctpTsctp: our client sends each load to usrsctp's
// tsctp server (a discard server that counts), on its own association,
// and shuts it down as soon as the last message is queued (a shutdown with
// data in flight, RFC 9260 9.2); tsctp's report of each association counts
// them, and the capture on its end agrees.
func TestOurClientToUsrsctpTsctp(t *testing.T) {
	srvLink, cliLink := pair(t)
	srv := srvLink.NS.Start(t, testbed.USRSCTP("tsctp"), "-E", "0", "-p", "5202")
	testbed.WaitUsrsctp(t, srvLink.NS)
	for k, load := range interopLoads {
		t.Run(load.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			capture := testbed.StartCapture(t, srvLink.NS, srvLink.Name, "sctp")
			start := time.Now()
			a, err := sctpxdp.Dial(ctx, sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path()},
				netip.AddrPortFrom(srvLink.IPv4, 5202))
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			msg := bytes.Repeat([]byte{0xA5}, load.size)
			for i := 0; i < load.n; i++ {
				if err := a.SendMsg(ctx, sctpxdp.SndInfo{PPID: ppid(i)}, msg); err != nil {
					a.Abort()
					t.Fatalf("send %d: %v", i, err)
				}
			}
			if err := a.Shutdown(ctx); err != nil {
				t.Fatalf("shutdown: %v", err)
			}
			elapsed := time.Since(start)
			st := a.Stats()
			var m []string
			waitFor(10*time.Second, func() bool {
				all := tsctpReport.FindAllStringSubmatch(srv.Output(), -1)
				if len(all) > k {
					m = all[k]
				}
				return m != nil
			})
			if m == nil {
				t.Fatalf("no report from tsctp:\n%s", srv.Output())
			}
			if m[1] != fmt.Sprint(load.size) || m[2] != fmt.Sprint(load.n) {
				t.Errorf("tsctp reports %s messages of %s bytes: %q", m[2], m[1], m[0])
			}
			checkCapture(t, capture.Stop(t), captureExpect{Messages: load.n, Shutdowns: 1})
			// Every TSN we sent again was captured on the peer's end the
			// first time (checkCapture counts a repeat only after the
			// original): what was lost, was lost inside the peer, in its
			// raw socket's queue (the kernel's drop count, /proc/net/raw).
			t.Logf("%.0f Mbit/s, %d retransmissions (%d fast, %d T3 expiries); usrsctp's raw sockets dropped %d packets so far; tsctp: %s",
				float64(load.n*load.size*8)/elapsed.Seconds()/1e6, st.RtxChunks, st.FastRetransmits, st.T3Expiries,
				rawDrops(t, srvLink.NS), m[0])
			logCase(t, "ours-to-tsctp-"+load.name, load.n, elapsed, int(st.RtxChunks), 0)
		})
	}
}

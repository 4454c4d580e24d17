package sctpxdp_test

// Acceptance tests of issue 10 under load: ours ↔ ours over a veth, IPv4
// and IPv6. Every message's content is a function of (stream, sequence):
// the sequence travels in the PPID, so even a 1-byte message is checkable,
// and the reader detects corruption, loss, duplication and misordering on
// ordered streams (RFC 9260 6.5), exactly-once on unordered ones (6.6).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
	"github.com/sctp-xdp/sctp-xdp/assoc"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// loadSizes are the sizes every load carries, ordered and unordered: the
// edges of one DATA chunk at MTU 1500 (1432 and 1452 bytes of user data
// over IPv6 and IPv4, RFC 9260 3.3.1), of 16-bit lengths, and the largest
// message SendMsg takes.
var loadSizes = []int{1, 2, 100, 1000, 1432, 1433, 1452, 1453, 4096, 65535, 65536, 100000, 262144}

type loadMsg struct {
	size      int
	unordered bool
}

// loadPlan is what each stream carries, in sending order; message seq of
// stream s is sent with PPID seq.
type loadPlan [][]loadMsg

// newLoadPlan: every loadSizes size on every stream (ordered on half the
// streams, unordered on the others), then random messages of log-uniform
// size 1 B .. 256 KiB, one in three unordered, shuffled within the stream.
func newLoadPlan(seed uint64, streams, random int) loadPlan {
	rng := rand.New(rand.NewPCG(seed, 10))
	p := make(loadPlan, streams)
	for s := range p {
		for k, size := range loadSizes {
			p[s] = append(p[s], loadMsg{size: size, unordered: (k+s)%2 == 1})
		}
		for i := 0; i < random; i++ {
			size := int(math.Exp(rng.Float64() * math.Log(256<<10)))
			p[s] = append(p[s], loadMsg{size: max(1, min(size, 256<<10)), unordered: rng.IntN(3) == 0})
		}
		rng.Shuffle(len(p[s]), func(i, j int) { p[s][i], p[s][j] = p[s][j], p[s][i] })
	}
	return p
}

func (p loadPlan) totals() (msgs int, bytes int64) {
	for _, st := range p {
		for _, m := range st {
			msgs++
			bytes += int64(m.size)
		}
	}
	return msgs, bytes
}

// loadByte is byte j of message seq on stream s: a multiplicative hash of
// the offset and the message's identity, so that a byte moved, lost or
// taken from another message shows.
func loadByte(s uint16, seq uint32, j int) byte {
	h := uint32(s)*0x9E3779B1 ^ seq*0x85EBCA77
	return byte((uint32(j) + h) * 0xC2B2AE3D >> 24)
}

func fillLoad(b []byte, s uint16, seq uint32) {
	for j := range b {
		b[j] = loadByte(s, seq, j)
	}
}

// sendLoad sends the plan over a, one goroutine per stream (several
// senders on one association at once), and returns the first error.
func sendLoad(ctx context.Context, a *sctpxdp.Assoc, p loadPlan) error {
	errs := make(chan error, len(p))
	for s := range p {
		go func() {
			buf := make([]byte, 256<<10)
			for seq, m := range p[s] {
				b := buf[:m.size]
				fillLoad(b, uint16(s), uint32(seq))
				info := sctpxdp.SndInfo{Stream: uint16(s), PPID: uint32(seq), Unordered: m.unordered}
				if err := a.SendMsg(ctx, info, b); err != nil {
					errs <- fmt.Errorf("stream %d: send %d (%d bytes): %w", s, seq, m.size, err)
					return
				}
			}
			errs <- nil
		}()
	}
	var first error
	for range p {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// loadReader checks a plan's messages as they arrive, reassembling those
// that come in parts (a buffer shorter than the message, or the engine's
// partial delivery: RcvInfo.EOR marks the last part).
type loadReader struct {
	p       loadPlan
	seen    [][]bool
	ordered [][]uint32 // each stream's ordered seqs, in sending order
	nextOrd []int      // index in ordered of the next one due
	left    int
	bytes   int64
	parts   int // reads that were not a whole message
	cur     []byte
	curInfo sctpxdp.RcvInfo
	inMsg   bool
}

func newLoadReader(p loadPlan) *loadReader {
	r := &loadReader{p: p, seen: make([][]bool, len(p)), ordered: make([][]uint32, len(p)), nextOrd: make([]int, len(p))}
	for s, st := range p {
		r.seen[s] = make([]bool, len(st))
		for seq, m := range st {
			if !m.unordered {
				r.ordered[s] = append(r.ordered[s], uint32(seq))
			}
		}
		r.left += len(st)
	}
	return r
}

// part takes one read; a whole message is checked.
func (r *loadReader) part(b []byte, info sctpxdp.RcvInfo) error {
	if info.Notification != nil {
		return fmt.Errorf("unexpected notification %v", info.Notification)
	}
	if r.inMsg {
		// One-to-one: no other message interleaves with a partial
		// delivery (RFC 6458 8.1.20).
		if info.Stream != r.curInfo.Stream || info.PPID != r.curInfo.PPID || info.Unordered != r.curInfo.Unordered {
			return fmt.Errorf("part of stream %d seq %d (unordered %v) inside message stream %d seq %d",
				info.Stream, info.PPID, info.Unordered, r.curInfo.Stream, r.curInfo.PPID)
		}
	} else {
		r.cur, r.curInfo, r.inMsg = r.cur[:0], info, true
	}
	r.cur = append(r.cur, b...)
	if !info.EOR {
		r.parts++
		return nil
	}
	r.inMsg = false
	return r.check(r.cur, r.curInfo)
}

func (r *loadReader) check(b []byte, info sctpxdp.RcvInfo) error {
	s, seq := int(info.Stream), info.PPID
	if s >= len(r.p) || int(seq) >= len(r.p[s]) {
		return fmt.Errorf("message of %d bytes on stream %d with seq %d: not sent", len(b), s, seq)
	}
	m := r.p[s][seq]
	if r.seen[s][seq] {
		return fmt.Errorf("stream %d seq %d delivered twice", s, seq)
	}
	r.seen[s][seq] = true
	if len(b) != m.size || info.Unordered != m.unordered {
		return fmt.Errorf("stream %d seq %d: %d bytes unordered %v, sent %d bytes unordered %v", s, seq, len(b), info.Unordered, m.size, m.unordered)
	}
	for j, c := range b {
		if c != loadByte(uint16(s), seq, j) {
			return fmt.Errorf("stream %d seq %d (%d bytes): byte %d is %#x, want %#x", s, seq, m.size, j, c, loadByte(uint16(s), seq, j))
		}
	}
	if !m.unordered {
		due := r.ordered[s][r.nextOrd[s]] // exists: seq is an ordered one not seen
		if seq != due {
			return fmt.Errorf("stream %d: ordered seq %d delivered while seq %d was due", s, seq, due)
		}
		r.nextOrd[s]++
	}
	r.left--
	r.bytes += int64(len(b))
	return nil
}

// readLoad reads from a until the whole plan has arrived.
func (r *loadReader) readLoad(ctx context.Context, a *sctpxdp.Assoc, bufSize int) error {
	buf := make([]byte, bufSize)
	for r.left > 0 || r.inMsg {
		n, info, err := a.RecvMsg(ctx, buf)
		if err != nil {
			return fmt.Errorf("%d messages missing: %w", r.left, err)
		}
		if err := r.part(buf[:n], info); err != nil {
			return err
		}
	}
	return nil
}

// loadCfg: a receive window of 128 KiB, so that messages of more than its
// half (the default partial delivery point) are delivered in parts.
var loadCfg = assoc.Config{ARwnd: 128 << 10, OutStreams: 8, MaxInStreams: 8}

// TestLoadStreamsAllSizes: ours ↔ ours over AF_XDP on a veth, IPv4 and
// IPv6, both directions at once: 8 streams, each with one sender
// goroutine, ordered and unordered messages of every size from 1 B to
// 256 KiB, every byte checked, then a graceful close with io.EOF on both
// sides.
func TestLoadStreamsAllSizes(t *testing.T) {
	srvLink, cliLink := pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	ep, err := sctpxdp.Listen(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: 5201, Assoc: loadCfg})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	for i, dst := range []netip.Addr{srvLink.IPv4, srvLink.IPv6} {
		t.Run(dst.String(), func(t *testing.T) {
			up, down := newLoadPlan(uint64(2*i+1), 8, 24), newLoadPlan(uint64(2*i+2), 8, 24)
			upMsgs, upBytes := up.totals()
			downMsgs, downBytes := down.totals()
			start := time.Now()
			srvDone := make(chan error, 1)
			go func() {
				a, err := ep.Accept(ctx)
				if err != nil {
					srvDone <- err
					return
				}
				sent := make(chan error, 1)
				go func() { sent <- sendLoad(ctx, a, down) }()
				r := newLoadReader(up)
				if err := r.readLoad(ctx, a, 64<<10); err != nil {
					srvDone <- fmt.Errorf("server read: %w", err)
					return
				}
				if err := <-sent; err != nil {
					srvDone <- fmt.Errorf("server: %w", err)
					return
				}
				// The client closes once it has everything: then io.EOF.
				if _, _, err := a.RecvMsg(ctx, make([]byte, 16)); !errors.Is(err, io.EOF) {
					srvDone <- fmt.Errorf("server: RecvMsg after the load: %v, want io.EOF", err)
					return
				}
				t.Logf("server read %d messages in %d parts", upMsgs, r.parts)
				srvDone <- nil
			}()
			a, err := sctpxdp.Dial(ctx, sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path(), Assoc: loadCfg},
				netip.AddrPortFrom(dst, 5201))
			if err != nil {
				t.Fatal(err)
			}
			defer a.Abort()
			sent := make(chan error, 1)
			go func() { sent <- sendLoad(ctx, a, up) }()
			r := newLoadReader(down)
			if err := r.readLoad(ctx, a, 32<<10); err != nil {
				t.Fatalf("client read: %v", err)
			}
			if err := <-sent; err != nil {
				t.Fatalf("client: %v", err)
			}
			if err := a.Close(); err != nil {
				t.Errorf("graceful close: %v", err)
			}
			if err := <-srvDone; err != nil {
				t.Fatal(err)
			}
			if _, _, err := a.RecvMsg(ctx, make([]byte, 16)); !errors.Is(err, io.EOF) {
				t.Errorf("client: RecvMsg after close: %v, want io.EOF", err)
			}
			el := time.Since(start)
			t.Logf("%v: up %d messages %.1f MB, down %d messages %.1f MB, in %.2f s (%.0f MB/s together); client read %d parts",
				dst, upMsgs, float64(upBytes)/1e6, downMsgs, float64(downBytes)/1e6, el.Seconds(),
				float64(upBytes+downBytes)/1e6/el.Seconds(), r.parts)
			if r.parts == 0 {
				t.Error("no message came in parts: partial delivery untested")
			}
		})
	}
}

// TestThousandDials: 1 000 package-level Dials from one process (each from
// its own ephemeral port, IPv4 and IPv6 alternately) to one server, 998
// of them at once (no pacing: the burst outruns Accept), all alive
// together; each then sends one message and reads its echo; all close
// gracefully, the server's endpoint counted 1 000 passive opens and no
// failure, and the last ephemeral endpoint detached the client's XDP
// program. Reports the set-up time, the memory per association, the close
// time, and the round trip of one association alone and beside 999 idle
// ones.
func TestThousandDials(t *testing.T) {
	srvLink, cliLink := pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	const n, batch = 1000, 998
	ep, err := sctpxdp.Listen(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: 5202, Assoc: noDelay})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	// The server echoes every message until the peer's SHUTDOWN (io.EOF).
	var srvWG sync.WaitGroup
	srvErrs := make(chan error, n)
	go func() {
		for {
			a, err := ep.Accept(ctx)
			if err != nil {
				return
			}
			srvWG.Add(1)
			go func() {
				defer srvWG.Done()
				buf := make([]byte, 64)
				echoed := 0
				for {
					m, info, err := a.RecvMsg(ctx, buf)
					if errors.Is(err, io.EOF) && echoed > 0 {
						return
					}
					if err == nil {
						err = a.SendMsg(ctx, sctpxdp.SndInfo{Stream: info.Stream, PPID: info.PPID}, buf[:m])
					}
					if err != nil {
						srvErrs <- fmt.Errorf("server association %d, after %d echoes: %w", a.ID(), echoed, err)
						return
					}
					echoed++
				}
			}()
		}
	}()
	cfg := sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path(), Assoc: noDelay}
	as := make([]*sctpxdp.Assoc, n)
	errs := make([]error, n)
	// The first two alone, IPv4 and IPv6: the neighbours get resolved
	// (a first INIT to an unresolved next hop is dropped and retransmitted
	// a second later), and the round trips of the first are the baseline.
	for i, dst := range []netip.Addr{srvLink.IPv4, srvLink.IPv6} {
		if as[i], err = sctpxdp.Dial(ctx, cfg, netip.AddrPortFrom(dst, 5202)); err != nil {
			t.Fatal(err)
		}
	}
	alone := roundTrips(t, ctx, as[0])
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	took := make([]time.Duration, n) // since start, when each Dial returned
	for lo := 2; lo < n; lo += batch {
		var wg sync.WaitGroup
		for i := lo; i < min(lo+batch, n); i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				dst := srvLink.IPv4
				if i%2 == 1 {
					dst = srvLink.IPv6
				}
				as[i], errs[i] = sctpxdp.Dial(ctx, cfg, netip.AddrPortFrom(dst, 5202))
				took[i] = time.Since(start)
			}()
		}
		wg.Wait()
		for i := lo; i < min(lo+batch, n); i++ {
			if errs[i] != nil {
				for _, a := range as {
					if a != nil {
						a.Abort()
					}
				}
				t.Fatalf("Dial %d: %v", i, errs[i])
			}
		}
	}
	setup := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	crowd := roundTrips(t, ctx, as[0])
	// All alive together: the server holds 1 000 ESTABLISHED ones.
	st, err := ep.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if live := countState(st, "ESTABLISHED"); live != n {
		t.Errorf("server: %d associations ESTABLISHED with all dialled, want %d", live, n)
	}
	// Each sends one message and reads its echo, all at once.
	var wg sync.WaitGroup
	for i, a := range as {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := []byte(fmt.Sprintf("association %d", i))
			if err := a.SendMsg(ctx, sctpxdp.SndInfo{PPID: uint32(i)}, msg); err != nil {
				errs[i] = err
				return
			}
			buf := make([]byte, 64)
			m, info, err := a.RecvMsg(ctx, buf)
			if err == nil && (string(buf[:m]) != string(msg) || info.PPID != uint32(i) || !info.EOR) {
				err = fmt.Errorf("echo %q ppid %d, want %q ppid %d", buf[:m], info.PPID, msg, i)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("association %d: %v", i, err)
		}
	}
	closeStart := time.Now()
	for i, a := range as {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = a.Close()
		}()
	}
	wg.Wait()
	closing := time.Since(closeStart)
	// Each Dial's endpoint closes behind its association; the last one
	// detaches the XDP program.
	for xdpAttached(t, cliLink) {
		if ctx.Err() != nil {
			t.Fatal("the client's XDP program is still attached after every association closed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	released := time.Since(closeStart)
	for i, err := range errs {
		if err != nil {
			t.Errorf("Close %d: %v", i, err)
		}
	}
	srvWG.Wait()
	close(srvErrs)
	for err := range srvErrs {
		t.Error(err)
	}
	st, err = ep.Stats()
	if err != nil {
		t.Fatal(err)
	}
	live := uint64(0)
	for _, sc := range st.States {
		live += sc.N
	}
	if st.Opened.Passive != n || st.Failures != (sctpxdp.Failures{}) || live != 0 {
		t.Errorf("server stats: opened %+v, failures %+v, %d live; want %d passive opens, all ended gracefully", st.Opened, st.Failures, live, n)
	}
	perAssoc := (int64(after.HeapInuse) - int64(before.HeapInuse)) / (n - 2)
	t.Logf("%d associations: %d set up in %v (%.0f/s, %d Dials at a time); heap in use %.1f KiB per association, both ends and the client's endpoint "+
		"(runtime.MemStats.HeapInuse delta / %d); all shut down gracefully in %v, endpoints closed and XDP detached after %v",
		n, n-2, setup.Round(time.Millisecond), (n-2)/setup.Seconds(), batch, float64(perAssoc)/1024, n-2,
		closing.Round(time.Millisecond), released.Round(time.Millisecond))
	slices.Sort(took[2:])
	t.Logf("the burst's Dials returned after %v (median), %v (99th percentile), %v (last)",
		took[2+(n-2)/2].Round(time.Millisecond), took[2+(n-2)*99/100].Round(time.Millisecond), took[n-1].Round(time.Millisecond))
	t.Logf("round trip of one association: %v alone, %v beside %d idle ones (×%.2f)",
		alone, crowd, n-1, float64(crowd)/float64(alone))
}

// roundTrips is the mean round trip of small messages echoed on a.
func roundTrips(t *testing.T, ctx context.Context, a *sctpxdp.Assoc) time.Duration {
	const k = 200
	msg, buf := []byte("ping"), make([]byte, 64)
	start := time.Now()
	for i := 0; i < k; i++ {
		if err := a.SendMsg(ctx, sctpxdp.SndInfo{PPID: uint32(i)}, msg); err != nil {
			t.Fatal(err)
		}
		if n, info, err := a.RecvMsg(ctx, buf); err != nil || string(buf[:n]) != "ping" || info.PPID != uint32(i) {
			t.Fatalf("round trip %d: %q ppid %d, %v", i, buf[:n], info.PPID, err)
		}
	}
	return time.Since(start) / k
}

// xdpAttached reports whether an XDP program is attached to l.
func xdpAttached(t *testing.T, l *testbed.Link) bool {
	out, err := l.NS.Command(context.Background(), "ip", "-j", "link", "show", "dev", l.Name).Output()
	if err != nil {
		t.Fatalf("ip link show %s: %v", l.Name, err)
	}
	var links []struct {
		XDP json.RawMessage `json:"xdp"`
	}
	if err := json.Unmarshal(out, &links); err != nil || len(links) != 1 {
		t.Fatalf("ip -j link show %s: %v: %s", l.Name, err, out)
	}
	return links[0].XDP != nil
}

// countState is how many live associations st has in state.
func countState(st sctpxdp.EndpointStats, state string) uint64 {
	for _, sc := range st.States {
		if sc.State == state {
			return sc.N
		}
	}
	return 0
}

// TestCloseWithDataInFlight: a graceful close started while data is still
// queued delivers everything first (RFC 9260 9.2: SHUTDOWN waits for the
// outstanding DATA), then the reader sees io.EOF; IPv4 and IPv6. The
// client's Assoc.Close right after its last SendMsg, and the server's
// Endpoint.Close right after the last SendMsg on each of four
// associations transferring at once.
func TestCloseWithDataInFlight(t *testing.T) {
	srvLink, cliLink := pair(t)
	for i, dst := range []netip.Addr{srvLink.IPv4, srvLink.IPv6} {
		t.Run(dst.String()+"/Assoc.Close", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			port := uint16(5210 + 2*i)
			ep, err := sctpxdp.Listen(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: port, Assoc: loadCfg})
			if err != nil {
				t.Fatal(err)
			}
			defer ep.Close()
			plan := newLoadPlan(uint64(20+i), 8, 6)
			msgs, bytes := plan.totals()
			got := make(chan error, 1)
			go func() {
				a, err := ep.Accept(ctx)
				if err != nil {
					got <- err
					return
				}
				r := newLoadReader(plan)
				err = r.readLoad(ctx, a, 64<<10)
				if err == nil {
					if _, _, err = a.RecvMsg(ctx, make([]byte, 16)); errors.Is(err, io.EOF) {
						err = nil
					} else {
						err = fmt.Errorf("after the last message: %v, want io.EOF", err)
					}
				}
				got <- err
			}()
			a, err := sctpxdp.Dial(ctx, sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path(), Assoc: loadCfg},
				netip.AddrPortFrom(dst, port))
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if err := sendLoad(ctx, a, plan); err != nil {
				t.Fatal(err)
			}
			queued := time.Now()
			if err := a.Close(); err != nil { // at once: the tail is still queued
				t.Errorf("Close: %v", err)
			}
			if err := <-got; err != nil {
				t.Errorf("server: %v", err)
			}
			t.Logf("%d messages (%.1f MB): SendMsg done after %v, Close returned %v later",
				msgs, float64(bytes)/1e6, queued.Sub(start).Round(time.Millisecond), time.Since(queued).Round(time.Millisecond))
		})
		t.Run(dst.String()+"/Endpoint.Close", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			const clients = 4
			port := uint16(5211 + 2*i)
			ep, err := sctpxdp.Listen(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: port, Assoc: loadCfg})
			if err != nil {
				t.Fatal(err)
			}
			defer ep.Close()
			// Client c reads plan c; the server sends it on its c-th
			// association (the first message names c).
			plans := make([]loadPlan, clients)
			for c := range plans {
				plans[c] = newLoadPlan(uint64(30+10*i+c), 2, 8)
			}
			cliErr := make(chan error, clients)
			for c := 0; c < clients; c++ {
				a, err := sctpxdp.Dial(ctx, sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path(), Assoc: loadCfg},
					netip.AddrPortFrom(dst, port))
				if err != nil {
					t.Fatal(err)
				}
				defer a.Abort()
				if err := a.SendMsg(ctx, sctpxdp.SndInfo{PPID: uint32(c)}, []byte{byte(c)}); err != nil {
					t.Fatal(err)
				}
				go func() {
					r := newLoadReader(plans[c])
					err := r.readLoad(ctx, a, 64<<10)
					if err == nil {
						if _, _, err = a.RecvMsg(ctx, make([]byte, 16)); errors.Is(err, io.EOF) {
							err = a.Err()
						} else {
							err = fmt.Errorf("after the last message: %v, want io.EOF", err)
						}
					}
					if err != nil {
						err = fmt.Errorf("client %d: %w", c, err)
					}
					cliErr <- err
				}()
			}
			srvErr := make(chan error, clients)
			for range clients {
				a, err := ep.Accept(ctx)
				if err != nil {
					t.Fatal(err)
				}
				go func() {
					buf := make([]byte, 16)
					n, _, err := a.RecvMsg(ctx, buf)
					if err != nil || n != 1 || int(buf[0]) >= clients {
						srvErr <- fmt.Errorf("server: first message %d bytes %v", n, err)
						return
					}
					srvErr <- sendLoad(ctx, a, plans[buf[0]])
				}()
			}
			for range clients {
				if err := <-srvErr; err != nil {
					t.Fatal(err)
				}
			}
			start := time.Now()
			if err := ep.Close(); err != nil { // with data queued on every association
				t.Errorf("Endpoint.Close: %v", err)
			}
			closing := time.Since(start)
			for range clients {
				if err := <-cliErr; err != nil {
					t.Error(err)
				}
			}
			st, err := ep.Stats()
			if err != nil {
				t.Fatal(err)
			}
			if st.Opened.Passive != clients || st.Failures != (sctpxdp.Failures{}) {
				t.Errorf("server stats after Close: opened %+v, failures %+v; want %d passive opens ended gracefully", st.Opened, st.Failures, clients)
			}
			t.Logf("Endpoint.Close with %d associations mid-transfer returned after %v", clients, closing.Round(time.Millisecond))
		})
	}
}

// TestBackPressureSlowReader: IPv4 and IPv6, a reader that pauses makes
// the writer block (SendMsg with a short deadline ends with
// context.DeadlineExceeded, having accepted a bounded amount); the reader
// then reads slowly while two writers send more, and every message arrives
// once, byte for byte, in order on the ordered stream.
func TestBackPressureSlowReader(t *testing.T) {
	srvLink, cliLink := pair(t)
	for i, dst := range []netip.Addr{srvLink.IPv4, srvLink.IPv6} {
		t.Run(dst.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			port := uint16(5220 + i)
			ep, err := sctpxdp.Listen(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: port, Assoc: loadCfg})
			if err != nil {
				t.Fatal(err)
			}
			defer ep.Close()
			// Stream 0: ordered messages of 1 B .. 4 KiB, more than the
			// queues hold; stream 1: unordered ones, sent once the
			// reader has started.
			rng := rand.New(rand.NewPCG(uint64(40+i), 1))
			plan := make(loadPlan, 2)
			for k := 0; k < 2000; k++ {
				plan[0] = append(plan[0], loadMsg{size: 1 + rng.IntN(4096)})
			}
			for k := 0; k < 300; k++ {
				plan[1] = append(plan[1], loadMsg{size: 1 + rng.IntN(4096), unordered: true})
			}
			a, err := sctpxdp.Dial(ctx, sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path(), Assoc: loadCfg},
				netip.AddrPortFrom(dst, port))
			if err != nil {
				t.Fatal(err)
			}
			defer a.Abort()
			srv, err := ep.Accept(ctx)
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Now()
			// The reader sleeps: the writer must block.
			send := func(ctx context.Context, s uint16, seq int) error {
				m := plan[s][seq]
				b := make([]byte, m.size)
				fillLoad(b, s, uint32(seq))
				return a.SendMsg(ctx, sctpxdp.SndInfo{Stream: s, PPID: uint32(seq), Unordered: m.unordered}, b)
			}
			sent, accepted := 0, 0
			for ; ; sent++ {
				if sent == len(plan[0]) {
					t.Fatalf("SendMsg accepted all %d messages (%d bytes) with nobody reading: no back pressure", sent, accepted)
				}
				sctx, scancel := context.WithTimeout(ctx, 200*time.Millisecond)
				err := send(sctx, 0, sent)
				scancel()
				if errors.Is(err, context.DeadlineExceeded) {
					break
				}
				if err != nil {
					t.Fatalf("send %d: %v", sent, err)
				}
				accepted += plan[0][sent].size
			}
			t.Logf("SendMsg blocked after %d messages (%d KiB) with the reader asleep", sent, accepted>>10)
			// What may wait between the two: the send ring, the engine's
			// send buffer (1 MiB), the peer's window and its receive ring.
			if accepted > 4<<20 {
				t.Errorf("%d KiB accepted before blocking: more than the queues should hold", accepted>>10)
			}
			// The writers go on (the blocked message again first) while
			// the reader reads slowly.
			werr := make(chan error, 2)
			go func() {
				for seq := sent; seq < len(plan[0]); seq++ {
					if err := send(ctx, 0, seq); err != nil {
						werr <- err
						return
					}
				}
				werr <- nil
			}()
			go func() {
				for seq := range plan[1] {
					if err := send(ctx, 1, seq); err != nil {
						werr <- err
						return
					}
				}
				werr <- nil
			}()
			r := newLoadReader(plan)
			buf := make([]byte, 8<<10)
			for reads := 0; r.left > 0; reads++ {
				if reads%32 == 0 {
					time.Sleep(2 * time.Millisecond)
				}
				n, info, err := srv.RecvMsg(ctx, buf)
				if err != nil {
					t.Fatalf("recv with %d messages missing: %v", r.left, err)
				}
				if err := r.part(buf[:n], info); err != nil {
					t.Fatal(err)
				}
			}
			for range 2 {
				if err := <-werr; err != nil {
					t.Fatalf("writer: %v", err)
				}
			}
			// Lossless veth: the window the reader opens is announced at
			// once by the reader's side (RFC 9260 6.2), so the writer's
			// retransmission timer never expires. (A DATA chunk sent into
			// a closed window, 6.1 rule A, may be dropped and fast
			// retransmitted: that is not a failure.)
			st, rst := a.Stats(), srv.Stats()
			if st.T3Expiries != 0 {
				t.Errorf("writer: %d T3 expiries: the reader's window update did not come", st.T3Expiries)
			}
			t.Logf("everything read %v after the start; %d chunks fast retransmitted, %d dropped by the reader for want of window",
				time.Since(t0).Round(time.Millisecond), st.FastRetransmits, rst.DataDropped)
			if err := a.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
	}
}

// recvLog reads from a until io.EOF and checks what came: notifications
// (RFC 6458 6.1, flagged in RcvInfo) in the order want lists them around
// the data, which p checks; the data must come after the first
// notification and before the second last (SHUTDOWN_EVENT or
// SHUTDOWN_COMP).
func recvLog(ctx context.Context, a *sctpxdp.Assoc, r *loadReader, wantFirst []string, wantLast []string) error {
	buf := make([]byte, 32<<10)
	var first, last []string
	for {
		n, info, err := a.RecvMsg(ctx, buf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("after notifications %v … %v with %d messages missing: %w", first, last, r.left, err)
		}
		if ev := info.Notification; ev != nil {
			if r.left > 0 && len(first) < len(wantFirst) {
				first = append(first, ev.Event.String())
			} else {
				last = append(last, ev.Event.String())
			}
			continue
		}
		if len(first) < len(wantFirst) {
			return fmt.Errorf("data before the notifications %v (got %v)", wantFirst, first)
		}
		if len(last) > 0 {
			return fmt.Errorf("data after %v", last)
		}
		if err := r.part(buf[:n], info); err != nil {
			return err
		}
	}
	if r.left > 0 || fmt.Sprint(first) != fmt.Sprint(wantFirst) || fmt.Sprint(last) != fmt.Sprint(wantLast) {
		return fmt.Errorf("read %v, data (%d messages missing), %v then io.EOF; want %v, data, %v", first, r.left, last, wantFirst, wantLast)
	}
	return nil
}

// TestNotificationsAroundLoad: IPv4 and IPv6, both sides with association
// change and shutdown notifications on: each side reads COMM_UP first,
// then the other's data, every message checked (large ones in parts), in
// order; the server, whose peer closes with data still queued, reads
// SHUTDOWN_EVENT after the last message, then SHUTDOWN_COMP; the client,
// which started the shutdown, reads only SHUTDOWN_COMP (RFC 6458 6.1.1,
// 6.1.5); then io.EOF.
func TestNotificationsAroundLoad(t *testing.T) {
	srvLink, cliLink := pair(t)
	events := sctpxdp.EventAssocChange | sctpxdp.EventShutdown
	for i, dst := range []netip.Addr{srvLink.IPv4, srvLink.IPv6} {
		t.Run(dst.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			port := uint16(5230 + i)
			ep, err := sctpxdp.Listen(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: port, Assoc: loadCfg, Events: events})
			if err != nil {
				t.Fatal(err)
			}
			defer ep.Close()
			up, down := newLoadPlan(uint64(50+i), 4, 4), newLoadPlan(uint64(60+i), 2, 2)
			srvErr := make(chan error, 1)
			go func() {
				a, err := ep.Accept(ctx)
				if err != nil {
					srvErr <- err
					return
				}
				if err := sendLoad(ctx, a, down); err != nil {
					srvErr <- err
					return
				}
				srvErr <- recvLog(ctx, a, newLoadReader(up), []string{"COMM_UP"}, []string{"SHUTDOWN_EVENT", "SHUTDOWN_COMP"})
			}()
			a, err := sctpxdp.Dial(ctx, sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path(), Assoc: loadCfg, Events: events},
				netip.AddrPortFrom(dst, port))
			if err != nil {
				t.Fatal(err)
			}
			defer a.Abort()
			// The client reads the server's data (COMM_UP first), sends
			// its own and closes at once.
			r := newLoadReader(down)
			buf := make([]byte, 32<<10)
			n, info, err := a.RecvMsg(ctx, buf)
			if err != nil || info.Notification == nil || info.Notification.Event.String() != "COMM_UP" {
				t.Fatalf("client's first read: %d bytes, %+v, %v; want COMM_UP", n, info, err)
			}
			for r.left > 0 {
				n, info, err := a.RecvMsg(ctx, buf)
				if err != nil {
					t.Fatal(err)
				}
				if err := r.part(buf[:n], info); err != nil {
					t.Fatalf("client: %v", err)
				}
			}
			if err := sendLoad(ctx, a, up); err != nil {
				t.Fatal(err)
			}
			if err := a.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := recvLog(ctx, a, newLoadReader(nil), nil, []string{"SHUTDOWN_COMP"}); err != nil {
				t.Errorf("client after Close: %v", err)
			}
			if err := <-srvErr; err != nil {
				t.Errorf("server: %v", err)
			}
		})
	}
}

// TestLoadReaderDetects: the load checker itself fails on a corrupted
// byte, a wrong size, a duplicate, an ordered message overtaking another
// one, a message never sent and a part of another message inside a
// partial delivery; and it passes a correct delivery in parts.
func TestLoadReaderDetects(t *testing.T) {
	p := loadPlan{{{size: 3}, {size: 5}, {size: 2, unordered: true}}, {{size: 4}}}
	msg := func(s uint16, seq uint32) ([]byte, sctpxdp.RcvInfo) {
		b := make([]byte, p[s][seq].size)
		fillLoad(b, s, seq)
		return b, sctpxdp.RcvInfo{Stream: s, PPID: seq, Unordered: p[s][seq].unordered, EOR: true}
	}
	// In order, the unordered one early, one message in two parts.
	r := newLoadReader(p)
	for _, id := range [][2]uint32{{0, 2}, {0, 0}, {1, 0}} {
		b, info := msg(uint16(id[0]), id[1])
		if err := r.part(b, info); err != nil {
			t.Fatalf("correct delivery refused: %v", err)
		}
	}
	b, info := msg(0, 1)
	first := info
	first.EOR = false
	if err := r.part(b[:2], first); err != nil {
		t.Fatal(err)
	}
	if err := r.part(b[2:], info); err != nil || r.left != 0 || r.parts != 1 {
		t.Fatalf("delivery in parts: %v, %d left, %d parts", err, r.left, r.parts)
	}
	bad := map[string]func(r *loadReader) error{
		"corrupted byte": func(r *loadReader) error {
			b, info := msg(0, 0)
			b[1] ^= 1
			return r.part(b, info)
		},
		"wrong size": func(r *loadReader) error {
			b, info := msg(0, 1)
			return r.part(b[:4], info)
		},
		"duplicate": func(r *loadReader) error {
			b, info := msg(1, 0)
			r.part(b, info)
			return r.part(b, info)
		},
		"ordered overtaken": func(r *loadReader) error {
			b, info := msg(0, 1)
			return r.part(b, info)
		},
		"never sent": func(r *loadReader) error {
			return r.part([]byte{1}, sctpxdp.RcvInfo{Stream: 1, PPID: 7, EOR: true})
		},
		"unordered flag lost": func(r *loadReader) error {
			b, info := msg(0, 2)
			info.Unordered = false
			return r.part(b, info)
		},
		"interleaved part": func(r *loadReader) error {
			b, info := msg(0, 0)
			info.EOR = false
			r.part(b[:1], info)
			b, info = msg(1, 0)
			return r.part(b, info)
		},
	}
	for name, f := range bad {
		if err := f(newLoadReader(p)); err == nil {
			t.Errorf("%s: not detected", name)
		}
	}
}

package main

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	asavie "github.com/asavie/xdp"

	"github.com/sctp-xdp/sctp-xdp/bench"
	"github.com/sctp-xdp/sctp-xdp/bpf"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
	"github.com/sctp-xdp/sctp-xdp/xdp"
)

// maxPayload is the DATA payload of a full 1500-byte frame: IPv4 (20),
// SCTP common header (12) and DATA chunk header (16) off.
const maxPayload = 1500 - 20 - 12 - 16

const ceilingPort = 5003

// runAFXDP measures the raw AF_XDP receive ceiling of the veth: our XDP
// program steers SCTP to an AF_XDP socket on srv, whose loop receives and
// refills with nothing above it, while an asavie/xdp socket on cli
// transmits prebuilt frames as fast as it can. A message of up to
// maxPayload bytes is one frame; a larger one counts as the full-size
// frames it needs (Row.Frames), so messages/s is frames/s over that.
func runAFXDP(srv, cli *testbed.Link, cfg Config) []Row {
	var rows []Row
	fail := func(err error) []Row {
		for _, s := range cfg.Sizes[len(rows):] {
			rows = append(rows, Row{Stack: stackAFXDP, Size: s, Err: err})
		}
		return rows
	}
	prog, err := bpf.Load(nil)
	if err != nil {
		return fail(err)
	}
	defer prog.Close()
	if err := prog.Attach(bpf.AttachOptions{Ifindex: srv.Index, NetNS: srv.NS.Path(), Mode: bpf.ModeNative}); err != nil {
		return fail(err)
	}
	if err := prog.AddEndpoint(bpf.Endpoint{Addr: srv.IPv4, Port: ceilingPort}); err != nil {
		return fail(err)
	}
	const ring = 8192
	s, err := xdp.NewSocket(xdp.Options{Ifindex: srv.Index, Queue: 0, NetNS: srv.NS.Path(),
		Frames: 2 * ring, FillSize: ring, RXSize: ring})
	if err != nil {
		return fail(err)
	}
	defer s.Close()
	s.Fill(ring)
	if err := prog.RegisterSocket(0, s.FD()); err != nil {
		return fail(err)
	}
	var tx *asavie.Socket
	if err := cli.NS.Do(func() (err error) {
		tx, err = asavie.NewSocket(cli.Index, 0, &asavie.SocketOptions{NumFrames: 4096, FrameSize: 2048,
			FillRingNumDescs: 64, CompletionRingNumDescs: 2048, RxRingNumDescs: 64, TxRingNumDescs: 2048})
		return err
	}); err != nil {
		return fail(fmt.Errorf("asavie/xdp sender: %w", err))
	}
	defer tx.Close()
	for _, size := range cfg.Sizes {
		payload, frames := size, 1
		if size > maxPayload {
			payload, frames = maxPayload, (size+maxPayload-1)/maxPayload
		}
		frame := bench.SCTPFrame(cli.MAC, srv.MAC, cli.IPv4, srv.IPv4, ceilingPort, 1, make([]byte, payload))
		n, secs, cpu := ceiling(s, tx, frame, cfg.Duration)
		if n == 0 {
			return fail(fmt.Errorf("no frame received"))
		}
		rows = append(rows, Row{Stack: stackAFXDP, Size: size, Messages: n / uint64(frames), Seconds: secs,
			CPU: cpu, Frames: frames})
	}
	return rows
}

// ceiling sends frame for d and returns the frames received, the seconds
// from the first to the last, and the receiving thread's CPU time.
func ceiling(s *xdp.Socket, tx *asavie.Socket, frame []byte, d time.Duration) (uint64, float64, time.Duration) {
	var stop atomic.Bool
	type res struct {
		n     uint64
		secs  float64
		cpu   time.Duration
		first time.Time
	}
	done := make(chan res, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		descs := make([]xdp.Desc, 64)
		var r res
		var last time.Time
		cpu0 := bench.ThreadCPU()
		for !stop.Load() {
			k := s.Receive(descs)
			if k == 0 {
				s.Poll(5)
				continue
			}
			if r.n == 0 {
				r.first = time.Now()
			}
			r.n += uint64(k)
			last = time.Now()
			s.Refill(descs[:k])
		}
		r.cpu = bench.ThreadCPU() - cpu0
		if r.n > 0 {
			r.secs = last.Sub(r.first).Seconds()
		}
		done <- r
	}()
	for end := time.Now().Add(d); time.Now().Before(end); {
		if c := tx.NumCompleted(); c > 0 {
			tx.Complete(c)
		}
		descs := tx.GetDescs(min(tx.NumFreeTxSlots(), 64))
		if len(descs) == 0 {
			tx.Poll(1)
			continue
		}
		for i := range descs {
			descs[i].Len = uint32(copy(tx.GetFrame(descs[i]), frame))
		}
		tx.Transmit(descs)
	}
	time.Sleep(100 * time.Millisecond) // the rings drain
	stop.Store(true)
	r := <-done
	for tx.NumTransmitted() > 0 {
		tx.Complete(tx.NumCompleted())
		if tx.NumCompleted() == 0 {
			break
		}
	}
	return r.n, r.secs, r.cpu
}

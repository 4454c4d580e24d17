package main

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net"
	"net/netip"
	"runtime"
	"sync/atomic"
	"time"

	asavie "github.com/asavie/xdp"
	"golang.org/x/sys/unix"

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
		frame := sctpFrame(cli.MAC, srv.MAC, cli.IPv4, srv.IPv4, make([]byte, payload))
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
		cpu0 := threadCPU()
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
		r.cpu = threadCPU() - cpu0
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

func threadCPU() time.Duration {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	return time.Duration(ts.Nano())
}

// sctpFrame is Ethernet, IPv4 (DF) and SCTP with one DATA chunk carrying
// payload, checksums set (RFC 791; RFC 9260 3.1, 3.3.1 and appendix A).
func sctpFrame(srcMAC, dstMAC net.HardwareAddr, src, dst netip.Addr, payload []byte) []byte {
	chunk := 16 + len(payload)
	sctpLen := 12 + (chunk+3)&^3
	b := append(append(make([]byte, 0, 14+20+sctpLen), dstMAC...), srcMAC...)
	b = binary.BigEndian.AppendUint16(b, 0x0800)
	b = append(b, 0x45, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(20+sctpLen))
	b = append(b, 0, 0, 0x40, 0, 64, 132, 0, 0)
	b = append(b, src.AsSlice()...)
	b = append(b, dst.AsSlice()...)
	var sum uint32
	for i := 14; i < 34; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(b[24:], ^uint16(sum))
	b = binary.BigEndian.AppendUint16(b, 40000)
	b = binary.BigEndian.AppendUint16(b, ceilingPort)
	b = append(b, 0, 0, 0, 1, 0, 0, 0, 0) // verification tag, checksum
	b = append(b, 0, 3)                   // DATA, flags B|E
	b = binary.BigEndian.AppendUint16(b, uint16(chunk))
	b = append(b, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0) // TSN, stream, SSN, PPID
	b = append(b, payload...)
	for len(b)-34 < sctpLen {
		b = append(b, 0)
	}
	binary.LittleEndian.PutUint32(b[42:], crc32.Checksum(b[34:], crc32.MakeTable(crc32.Castagnoli)))
	return b
}

//go:build !race

// The race detector's sync.Pool drops buffers at random: allocation counts
// are measured without it.

package sctpxdp

import (
	"context"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/assoc"
)

// TestConnPathAllocs: the per-message work added by the options (RcvInfo
// with the next message, Read through a deadline, Write with the default
// send parameters) allocates nothing in steady state.
func TestConnPathAllocs(t *testing.T) {
	a := newAssoc(&Endpoint{}, &pollerHandler{})
	a.kicked.Store(true) // no poller here: kickPoller returns at once
	a.SetRecvNextInfo(true)
	a.SetReadDeadline(time.Now().Add(time.Hour))
	a.SetWriteDeadline(time.Now().Add(time.Hour))
	msg := []byte("a message of some length")
	push := func() {
		bp := getBuf(len(msg))
		copy(*bp, msg)
		a.rx.Push(rxMsg{buf: bp, n: len(msg), info: assocRecvInfo(true)})
	}
	push()
	buf := make([]byte, 64)
	var info RcvInfo
	allocs := testing.AllocsPerRun(1000, func() {
		push()
		_, info, _ = a.RecvMsg(context.Background(), buf)
		push()
		a.Read(buf)
		a.Write(msg)
		m, _ := a.popTx()
		putBuf(m.buf)
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per round", allocs)
	}
	if !info.HasNext || info.Next.Length != len(msg) || !info.Next.Complete {
		t.Errorf("next info %+v", info.Next)
	}
}

func assocRecvInfo(eor bool) assoc.RecvInfo { return assoc.RecvInfo{EOR: eor, CumTSN: 7} }

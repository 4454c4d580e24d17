package sctpxdp

import (
	"context"
	"testing"
	"time"
)

// TestWakeWriterHysteresis: the poller wakes a writer blocked on a full send
// ring only once the ring has drained to half its slots and half its byte
// budget, not after every message it takes (handler.go drainTx).
func TestWakeWriterHysteresis(t *testing.T) {
	t.Run("slots", func(t *testing.T) {
		a := newAssoc(&Endpoint{}, &pollerHandler{})
		for a.tx.Push(txMsg{buf: getBuf(10), n: 10}) {
			a.txBytes.Add(10)
		}
		half := a.tx.Cap() / 2
		for a.tx.Len() > 0 {
			m, ok := a.popTx()
			if !ok {
				t.Fatal("ring empty too early")
			}
			putBuf(m.buf)
			a.wakeWriter()
			woken := len(a.writable) == 1
			if want := a.tx.Len() <= half; woken != want {
				t.Fatalf("%d messages left: woken %v, want %v", a.tx.Len(), woken, want)
			}
			if woken {
				<-a.writable
			}
		}
	})
	t.Run("bytes", func(t *testing.T) {
		a := newAssoc(&Endpoint{}, &pollerHandler{})
		// Four of the largest messages fill the byte budget in four slots.
		for range txBudget / maxMessage {
			if !a.txRoom(maxMessage) || !a.tx.Push(txMsg{buf: getBuf(maxMessage), n: maxMessage}) {
				t.Fatal("no room")
			}
			a.txBytes.Add(maxMessage)
		}
		if a.txRoom(maxMessage) {
			t.Fatal("room beyond the budget")
		}
		for a.tx.Len() > 0 {
			m, _ := a.popTx()
			putBuf(m.buf)
			a.wakeWriter()
			woken := len(a.writable) == 1
			if want := a.txBytes.Load() <= txBudget/2; woken != want {
				t.Fatalf("%d bytes left: woken %v, want %v", a.txBytes.Load(), woken, want)
			}
			if woken {
				if !a.txRoom(maxMessage) {
					t.Fatal("woken without room for a message")
				}
				<-a.writable
			}
		}
	})
	t.Run("blocked writer", func(t *testing.T) {
		// The test plays the poller: a writer blocked on the full ring
		// returns once the poller has taken half the ring, and every
		// message arrives once, in order.
		a := newAssoc(&Endpoint{}, &pollerHandler{})
		a.kicked.Store(true) // no poller here: kickPoller returns at once
		total := a.tx.Cap() + 10
		done := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for i := range total {
				if err := a.SendMsg(ctx, SndInfo{PPID: uint32(i)}, []byte("x")); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		next := 0
		deadline := time.Now().Add(10 * time.Second)
		for next < total {
			m, ok := a.popTx()
			if !ok {
				if time.Now().After(deadline) {
					t.Fatalf("writer stuck after %d messages", next)
				}
				time.Sleep(time.Millisecond)
				continue
			}
			if m.info.PPID != uint32(next) {
				t.Fatalf("message %d has PPID %d", next, m.info.PPID)
			}
			putBuf(m.buf)
			next++
			a.wakeWriter()
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

package main

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// TestLimiter: at most burst lines a period; the next line let through
// says how many were suppressed.
func TestLimiter(t *testing.T) {
	now := time.Unix(0, 0)
	l := newLimiter(time.Second, 3)
	l.now = func() time.Time { return now }
	allowed := 0
	for range 100 { // a burst within one period
		if ok, s := l.allow(); ok {
			allowed++
			if s != 0 {
				t.Errorf("suppressed %d before anything was", s)
			}
		}
	}
	if allowed != 3 {
		t.Errorf("%d lines let through in one period, want 3", allowed)
	}
	now = now.Add(time.Second)
	if ok, s := l.allow(); !ok || s != 97 {
		t.Errorf("next period: allowed %v, suppressed %d, want true, 97", ok, s)
	}
}

// TestWatchDrops: packets dropped at any rate give one line per period
// with the counts since the last line, and no line while none were.
func TestWatchDrops(t *testing.T) {
	var mu sync.Mutex
	checksum := uint64(0)
	read := func() ([]sctpxdp.Count, error) {
		mu.Lock()
		defer mu.Unlock()
		checksum += 1000 // a thousand bad packets each period
		if checksum > 3000 {
			checksum = 3000 // then none
		}
		return []sctpxdp.Count{{Name: "checksum", Value: checksum}, {Name: "ootb", Value: 7}}, nil
	}
	var buf testbed.LockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		watchDrops(ctx, read, 20*time.Millisecond, slog.New(slog.NewTextHandler(&buf, nil)))
		close(done)
	}()
	time.Sleep(300 * time.Millisecond)
	cancel()
	<-done
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines for 3 periods with drops, want 3:\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[0], "checksum=1000") || !strings.Contains(lines[0], "ootb=7") ||
		!strings.Contains(lines[1], "checksum=1000") || strings.Contains(lines[1], "ootb") {
		t.Errorf("lines:\n%s", buf.String())
	}
}

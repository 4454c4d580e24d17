package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
)

// limiter lets through at most burst log lines per period and counts the
// rest, so a condition that repeats per packet or per association (an INIT
// flood whose associations abort) cannot flood the log.
type limiter struct {
	period time.Duration
	burst  int
	now    func() time.Time

	mu         sync.Mutex
	start      time.Time
	n          int
	suppressed int
}

func newLimiter(period time.Duration, burst int) *limiter {
	return &limiter{period: period, burst: burst, now: time.Now}
}

// allow reports whether a line may be logged now and how many were
// suppressed since the last one that was.
func (l *limiter) allow() (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t := l.now(); t.Sub(l.start) >= l.period {
		l.start, l.n = t, 0
	}
	if l.n >= l.burst {
		l.suppressed++
		return false, 0
	}
	l.n++
	s := l.suppressed
	l.suppressed = 0
	return true, s
}

// dropCounter reads counters by name (Endpoint.InterfaceStats' Drops).
type dropCounter func() ([]sctpxdp.Count, error)

// watchDrops logs the packets the interface dropped (bad checksums, OOTB,
// stale cookies: conditions met per packet) as one line per period with the
// counts by reason since the last line, and nothing while none were.
func watchDrops(ctx context.Context, read dropCounter, period time.Duration, log *slog.Logger) {
	last := map[string]uint64{}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cs, err := read()
		if err != nil {
			return
		}
		var attrs []any
		for _, c := range cs {
			if d := c.Value - last[c.Name]; d > 0 {
				attrs = append(attrs, c.Name, d)
			}
			last[c.Name] = c.Value
		}
		if len(attrs) > 0 {
			log.Warn("packets dropped", append(attrs, "period", period)...)
		}
	}
}

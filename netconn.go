package sctpxdp

import (
	"context"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sctp-xdp/sctp-xdp/assoc"
)

// Assoc as a net.Conn: Write sends each call as one message (split at 256
// KiB) with the default send parameters (SetDefaultSndInfo: stream 0
// unless changed); Read returns the bytes of received messages as a byte
// stream, message boundaries and notifications left out. Deadlines bound
// Read and Write; a passed deadline fails them with an error satisfying
// errors.Is(err, os.ErrDeadlineExceeded) and net.Error's Timeout.
var _ net.Conn = (*Assoc)(nil)

// Read reads bytes of the next received messages (of any stream; mixing
// Read with RecvMsg splits the stream between them). It returns io.EOF
// after a graceful shutdown once everything received was read.
func (a *Assoc) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if a.opt.rd.passed() {
			return 0, a.opError("read", os.ErrDeadlineExceeded)
		}
		n, info, err := a.RecvMsg(a.opt.rd.ctx(), p)
		if err != nil {
			if err == io.EOF {
				return 0, err
			}
			return 0, a.opError("read", err)
		}
		if info.Notification == nil {
			return n, nil
		}
	}
}

// Write sends p as one message, or as several of 256 KiB when larger,
// with the default send parameters. It blocks while the send buffer is
// full, until the write deadline.
func (a *Assoc) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	info := a.DefaultSndInfo()
	n := 0
	for n < len(p) {
		if a.opt.wd.passed() {
			return n, a.opError("write", os.ErrDeadlineExceeded)
		}
		k := min(len(p)-n, maxMessage)
		if err := a.SendMsg(a.opt.wd.ctx(), info, p[n:n+k]); err != nil {
			return n, a.opError("write", err)
		}
		n += k
	}
	return n, nil
}

func (a *Assoc) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "sctp", Source: a.LocalAddr(), Addr: a.RemoteAddr(), Err: err}
}

// SetDeadline sets both the read and the write deadline.
func (a *Assoc) SetDeadline(t time.Time) error {
	a.opt.rd.set(t)
	a.opt.wd.set(t)
	return nil
}

// SetReadDeadline bounds Read (not RecvMsg, which takes a context); the
// zero time removes the bound.
func (a *Assoc) SetReadDeadline(t time.Time) error { a.opt.rd.set(t); return nil }

// SetWriteDeadline bounds Write (not SendMsg).
func (a *Assoc) SetWriteDeadline(t time.Time) error { a.opt.wd.set(t); return nil }

// Addr is an SCTP transport address: one port and the addresses of one
// end (several for a multi-homed end). It implements net.Addr.
type Addr struct {
	Addrs []netip.Addr
	Port  uint16
}

// Network is "sctp".
func (a *Addr) Network() string { return "sctp" }

// String gives the addresses joined by '/' and the port, e.g.
// "198.18.0.1/[2001:2::1]:5001" (IPv6 addresses in brackets).
func (a *Addr) String() string {
	var b strings.Builder
	for i, ad := range a.Addrs {
		if i > 0 {
			b.WriteByte('/')
		}
		if ad.Is6() && !ad.Is4In6() {
			b.WriteString("[" + ad.String() + "]")
		} else {
			b.WriteString(ad.String())
		}
	}
	b.WriteString(":" + strconv.Itoa(int(a.Port)))
	return b.String()
}

// LocalAddr gives the endpoint's addresses (the unspecified ones for the
// wildcard) and port.
func (a *Assoc) LocalAddr() net.Addr {
	addrs := a.ep.cfg.Addrs
	if len(addrs) == 0 {
		addrs = []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified()}
	}
	out := &Addr{Port: a.ep.port}
	for _, ad := range addrs {
		out.Addrs = append(out.Addrs, a.mapAddr(ad))
	}
	return out
}

// RemoteAddr gives the peer's addresses (the primary first) and port; after
// the end, the primary address it had when it came up.
func (a *Assoc) RemoteAddr() net.Addr {
	out := &Addr{}
	err := a.engine(func(eng *assoc.Assoc) error {
		out.Addrs, out.Port = eng.PeerAddrs(nil), eng.PeerPort()
		return nil
	})
	if err != nil || len(out.Addrs) == 0 {
		out.Addrs = []netip.Addr{a.peer}
	}
	for i, ad := range out.Addrs {
		out.Addrs[i] = a.mapAddr(ad)
	}
	return out
}

// deadline is a net.Conn deadline: a channel closed when it passes (a
// timer closes it), replaced when the deadline moves after passing. It is
// also a context.Context, so RecvMsg and SendMsg wait on it without an
// allocation per call.
type deadline struct {
	mu    sync.Mutex
	at    time.Time
	timer *time.Timer
	ch    chan struct{} // closed once at passes; nil: not made yet
}

func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	d.at = t
	closed := d.ch != nil && isDone(d.ch)
	if d.ch == nil || closed {
		d.ch = make(chan struct{})
	}
	if t.IsZero() {
		return
	}
	if dur := time.Until(t); dur <= 0 {
		close(d.ch)
	} else {
		ch := d.ch
		var self *time.Timer
		self = time.AfterFunc(dur, func() {
			d.mu.Lock()
			// A timer stopped too late (its callback already waiting for
			// the lock) is no longer d.timer: it must not end the new
			// deadline's channel.
			if d.timer == self && d.ch == ch && !isDone(ch) {
				close(ch)
			}
			d.mu.Unlock()
		})
		d.timer = self
	}
}

// wait gives the channel closed when the deadline passes (never for none).
func (d *deadline) wait() chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ch == nil {
		d.ch = make(chan struct{})
	}
	return d.ch
}

func (d *deadline) passed() bool { return isDone(d.wait()) }

// ctx is the deadline as a context.
func (d *deadline) ctx() context.Context { return d }

func isDone(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Deadline, Done, Err and Value make a deadline a context.Context.
func (d *deadline) Deadline() (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.at, !d.at.IsZero()
}
func (d *deadline) Done() <-chan struct{} { return d.wait() }

// Err is only asked once Done fired (by SendMsg and RecvMsg): the call it
// ended timed out even if the deadline has moved since (the channel Done
// gives now may be a new one), so it is always the deadline's error.
func (d *deadline) Err() error { return os.ErrDeadlineExceeded }

func (d *deadline) Value(any) any { return nil }

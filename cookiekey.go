package sctpxdp

import (
	"crypto/rand"
	"sync/atomic"
	"time"

	"github.com/sctp-xdp/sctp-xdp/assoc"
	"github.com/sctp-xdp/sctp-xdp/fastpath"
)

// The State Cookie secret of an interface's runtime and its rotation (RFC
// 9260 5.1.3: "the secret key SHOULD be changed reasonably frequently").
// Every holder of the keys (the slow path's responder of each port, each
// poller's engine of each port) is told the same generations
// (assoc.CookieKeys): a cookie sealed by the slow path may come back to a
// poller's engine (RFC 9260 5.2.4) and a port added after N rotations must
// name keys as the others do. The keeper's goroutine rotates every key
// life and tells the holders through their request paths; a holder created
// later reads the keys in force when it is made.

// DefaultCookieKeyLife is Config.CookieKeyLife's default: an hour, the
// secret life of FreeBSD's SCTP.
const DefaultCookieKeyLife = time.Hour

// cookieKeySize is the secret's size: HMAC-SHA256's output length, the
// least RFC 2104 section 3 recommends.
const cookieKeySize = 32

// keyState is the keys in force since at (immutable once published).
type keyState struct {
	keys assoc.CookieKeys
	at   time.Time
}

// cookieKeeper owns an interface runtime's cookie keys.
type cookieKeeper struct {
	state atomic.Pointer[keyState]
	life  atomic.Int64 // ns between rotations
	stop  chan struct{}
	done  chan struct{}
}

// newCookieKeeper makes the first key (generation 0).
func newCookieKeeper(life time.Duration) (*cookieKeeper, error) {
	k := &cookieKeeper{stop: make(chan struct{}), done: make(chan struct{})}
	key, err := newCookieKey()
	if err != nil {
		return nil, err
	}
	k.state.Store(&keyState{keys: assoc.CookieKeys{Cur: assoc.CookieKey{Key: key}}, at: time.Now()})
	k.life.Store(int64(life))
	return k, nil
}

func newCookieKey() ([]byte, error) {
	key := make([]byte, cookieKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return key, nil
}

// keys returns the keys in force, aged as of now: what a holder installs.
func (k *cookieKeeper) keys() assoc.CookieKeys {
	st := k.state.Load()
	ks := st.keys
	ks.Age = time.Since(st.at)
	return ks
}

// cover lengthens the key life to at least span (an endpoint's cookie
// span, Config.cookieSpan): the key before the previous one is dropped at
// a rotation, so a rotation must not come sooner than a cookie's life after
// the previous one.
func (k *cookieKeeper) cover(span time.Duration) {
	for {
		old := k.life.Load()
		if old >= int64(span) || k.life.CompareAndSwap(old, int64(span)) {
			return
		}
	}
}

// rotate installs a fresh key as the next generation.
func (k *cookieKeeper) rotate() error {
	key, err := newCookieKey()
	if err != nil {
		return err
	}
	k.state.Store(&keyState{keys: k.state.Load().keys.Rotate(key), at: time.Now()})
	return nil
}

// rekeyReq tells a poller or the slow path to install the keys in force.
// It carries nothing: the receiver reads the keeper, so a late message
// never installs older keys.
type rekeyReq struct{}

var rekey = new(rekeyReq)

// run rotates every key life until halt, counting in rotations and
// telling the holders with notify (false: halted meanwhile).
func (k *cookieKeeper) run(rotations *atomic.Uint64, notify func() bool) {
	defer close(k.done)
	t := time.NewTimer(time.Duration(k.life.Load()))
	defer t.Stop()
	for {
		select {
		case <-k.stop:
			return
		case <-t.C:
		}
		if k.rotate() == nil { // else crypto/rand failed: try again next time
			rotations.Add(1)
			if !notify() {
				return
			}
		}
		t.Reset(time.Duration(k.life.Load()))
	}
}

// notifyRekey tells every poller and the slow path to install the keys in
// force (the keeper's notify); false once the keeper halts.
func (ir *ifaceRuntime) notifyRekey() bool {
	for _, h := range ir.handlers {
		if !pushUntil(func() bool { return h.poller.Send(rekey) }, ir.keys.stop, time.Millisecond) {
			return false
		}
	}
	return pushUntil(func() bool { return ir.sp.Request(rekey) }, ir.keys.stop, time.Millisecond)
}

// halt stops the goroutine and waits for it (before the pollers stop).
func (k *cookieKeeper) halt() {
	close(k.stop)
	<-k.done
}

// rekey installs the keys in force in every engine of the poller.
func (h *pollerHandler) rekey(c *fastpath.Ctx) {
	ks := h.ir.keys.keys()
	for _, pe := range h.ports {
		pe.eng.Responder().SetKeys(ks, c.Now) // valid keys: no error
	}
}

package sctpxdp

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/assoc"
	"github.com/sctp-xdp/sctp-xdp/fastpath"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
	"github.com/sctp-xdp/sctp-xdp/wire"
)

// TestCookieKeyRotationDials: with a 300 ms key life on both sides, Dials
// keep making associations that echo across several rotations, a port
// added after rotations included; the runtimes count the rotations; and
// on the server every holder of a port's keys (the slow path's responder,
// each poller's engine) opens the cookies the others seal, with the
// current key and, after one more rotation, the previous one (RFC 9260
// 5.1.3, and 5.2.4 where a poller's engine opens a cookie of the slow
// path).
func TestCookieKeyRotationDials(t *testing.T) {
	testbed.RequirePriv(t)
	srvLink, cliLink := testbed.NewVeth(t, testbed.NewNetns(t), testbed.NewNetns(t), testbed.VethConfig{Queues: 2})
	const keyLife = 300 * time.Millisecond
	ac := assoc.Config{NoDelay: true, ValidCookieLife: 200 * time.Millisecond, MaxCookiePreservative: 50 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	listen := func(l *testbed.Link, port uint16) *Endpoint {
		ep, err := Listen(Config{Interface: l.Name, NetNS: l.NS.Path(), Port: port, Assoc: ac, CookieKeyLife: keyLife})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ep.Close() })
		go echoOnce(ctx, ep)
		return ep
	}
	srv := listen(srvLink, 5031)
	anchor := listen(cliLink, 5032) // keeps the client's runtime (and its rotations) across the Dials
	var late *Endpoint
	cfg := Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path(), Assoc: ac, CookieKeyLife: keyLife}
	start := time.Now()
	for i := 0; i < 20; i++ {
		port := uint16(5031)
		if i == 10 {
			late = listen(srvLink, 5033) // after about three rotations
		}
		if i >= 10 && i%2 == 1 {
			port = 5033
		}
		if err := dialEcho(ctx, cfg, netip.AddrPortFrom(srvLink.IPv4, port), i); err != nil {
			t.Fatalf("dial %d (port %d, %v after the start): %v", i, port, time.Since(start), err)
		}
		time.Sleep(time.Until(start.Add(time.Duration(i+1) * 100 * time.Millisecond)))
	}
	for _, ep := range []*Endpoint{srv, anchor} {
		st, err := ep.InterfaceStats()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]uint64{}
		for _, c := range st.SlowPath {
			got[c.Name] = c.Value
		}
		// 2 s of 300 ms keys: six rotations, give or take scheduling.
		if got["key_rotations"] < 4 {
			t.Errorf("%s: %d key rotations in %v", st.Interface, got["key_rotations"], time.Since(start))
		}
		if ep == srv && (got["cookies_refused"] != 0 || got["cookies_accepted"] != 20) {
			t.Errorf("server: %d cookies refused, %d accepted, want 0 and 20", got["cookies_refused"], got["cookies_accepted"])
		}
		t.Logf("%s: %v", st.Interface, got)
	}
	for _, ep := range []*Endpoint{srv, late} {
		checkHoldersAgree(t, ep, srvLink, cliLink)
	}
	// The last endpoint's Close stops the rotations' goroutine.
	keeper := srv.ir.keys
	srv.Close()
	select {
	case <-keeper.done:
		t.Error("the rotations stopped while an endpoint remains")
	case <-time.After(2 * keyLife):
	}
	late.Close()
	select {
	case <-keeper.done:
	default:
		t.Error("the rotations' goroutine outlives the runtime")
	}
}

// echoOnce echoes one message on every association it accepts.
func echoOnce(ctx context.Context, ep *Endpoint) {
	for {
		a, err := ep.Accept(ctx)
		if err != nil {
			return
		}
		go func() {
			buf := make([]byte, 1024)
			if n, info, err := a.RecvMsg(ctx, buf); err == nil {
				a.SendMsg(ctx, SndInfo{Stream: info.Stream, PPID: info.PPID}, buf[:n])
			}
		}()
	}
}

// dialEcho dials peer, checks the echo of one message and closes.
func dialEcho(ctx context.Context, cfg Config, peer netip.AddrPort, i int) error {
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	a, err := Dial(dctx, cfg, peer)
	if err != nil {
		return err
	}
	defer a.Close()
	msg := []byte(fmt.Sprintf("message %d", i))
	if err := a.SendMsg(dctx, SndInfo{PPID: uint32(i)}, msg); err != nil {
		return err
	}
	buf := make([]byte, 1024)
	n, _, err := a.RecvMsg(dctx, buf)
	if err != nil {
		return err
	}
	if !bytes.Equal(buf[:n], msg) {
		return fmt.Errorf("echo %q, want %q", buf[:n], msg)
	}
	return nil
}

// slowRun runs fn on the slow path's goroutine (HandleRequest).
type slowRun struct {
	fn   func(*slowPath)
	done chan struct{}
}

func (r *slowRun) run(s *slowPath) { r.fn(s); close(r.done) }

func onSlowPath(t *testing.T, e *Endpoint, fn func(*slowPath)) {
	t.Helper()
	r := &slowRun{fn: fn, done: make(chan struct{})}
	if !e.slowRequest(r) {
		t.Fatal("runtime closed")
	}
	<-r.done
}

// handshake is a synthetic INIT from the client to the endpoint's port,
// answered by seal; its COOKIE ECHO is then opened by open.
type handshake struct {
	port     uint16
	pi       assoc.PacketInfo
	cookie   []byte
	localTag uint32
}

func (h *handshake) seal(t *testing.T, r *assoc.Responder, now int64) {
	var w wire.Builder
	w.Start(nil, 7300, h.port, 0)
	w.BeginInit(0x7300_0001, 65536, 4, 4, 1)
	w.End()
	init, _ := w.Finish()
	pkt, _ := wire.ParseSCTP(init)
	ack, ok := r.HandleInit(now, &h.pi, pkt, nil)
	if !ok {
		t.Error("no INIT ACK")
		return
	}
	c, _ := wire.SCTP(ack).FirstChunk()
	var o wire.InitOptions
	wire.InitChunk(c).Options(&o)
	h.cookie, h.localTag = append([]byte(nil), o.StateCookie...), wire.InitChunk(c).InitiateTag()
}

func (h *handshake) open(r *assoc.Responder, now int64) error {
	var w wire.Builder
	w.Start(nil, 7300, h.port, h.localTag)
	w.CookieEcho(h.cookie)
	ce, _ := w.Finish()
	pkt, _ := wire.ParseSCTP(ce)
	_, _, err := r.AcceptCookie(now, &h.pi, pkt, nil) // the association is dropped
	return err
}

// checkHoldersAgree: the slow path's and each poller's responders of the
// endpoint's port open each other's cookies, before and after a rotation.
// Times are poller 0's clock (the slow path works in its pollers' clocks).
func checkHoldersAgree(t *testing.T, e *Endpoint, srv, cli *testbed.Link) {
	t.Helper()
	pi := assoc.PacketInfo{Src: cli.IPv4, Dst: srv.IPv4, Size: 100}
	fromSlow := &handshake{port: e.port, pi: pi}
	var now int64
	first := func(c *fastpath.Ctx, h *pollerHandler, pe *portEngine) error {
		if h.q == 0 {
			now = c.Now
		}
		return nil
	}
	if err := e.onPollers(first); err != nil {
		t.Fatal(err)
	}
	fromPollers := make([]*handshake, len(e.ir.handlers))
	onSlowPath(t, e, func(s *slowPath) {
		if s.rekeyed {
			s.installKeys(now)
		}
		fromSlow.seal(t, s.ports[e.port].resp, now)
	})
	if len(fromSlow.cookie) < 2 {
		t.Fatal("no cookie from the slow path")
	}
	gen := fromSlow.cookie[1] // the key id (assoc/cookie.go)
	check := func(what string) {
		var errs []error // the pollers run fn one after the other
		err := e.onPollers(func(c *fastpath.Ctx, h *pollerHandler, pe *portEngine) error {
			r := pe.eng.Responder()
			if err := fromSlow.open(r, now); err != nil {
				errs = append(errs, fmt.Errorf("poller %d refuses the slow path's cookie: %w", h.q, err))
			}
			if fromPollers[h.q] == nil {
				fromPollers[h.q] = &handshake{port: e.port, pi: pi}
				fromPollers[h.q].seal(t, r, now)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range errs {
			t.Errorf("port %d, %s: %v", e.port, what, err)
		}
		onSlowPath(t, e, func(s *slowPath) {
			if s.rekeyed {
				s.installKeys(now)
			}
			for q, hs := range fromPollers {
				if err := hs.open(s.ports[e.port].resp, now); err != nil {
					t.Errorf("port %d, %s: the slow path refuses poller %d's cookie: %v", e.port, what, q, err)
				}
			}
		})
	}
	check(fmt.Sprintf("generation %d", gen))
	// One more rotation, delivered: the cookies now open with the
	// previous key.
	for end := time.Now().Add(5 * time.Second); e.ir.keys.keys().Cur.Gen == gen && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	if e.ir.keys.keys().Cur.Gen != gen+1 {
		t.Fatalf("no rotation after generation %d", gen)
	}
	time.Sleep(20 * time.Millisecond) // the rekey messages reach the pollers and the slow path
	check(fmt.Sprintf("generation %d, cookies of %d", gen+1, gen))
}

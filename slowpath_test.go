package sctpxdp

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sctp-xdp/sctp-xdp/assoc"
	"github.com/sctp-xdp/sctp-xdp/fastpath"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
	"github.com/sctp-xdp/sctp-xdp/wire"
)

// TestSlowPathHandshakes: 200 passive opens over a veth, one after the
// other, each checked with an echo. Every INIT and COOKIE ECHO crosses the
// server's slow path (design.md 3), and the median time to established is
// logged (the handshake figure of issue 10).
func TestSlowPathHandshakes(t *testing.T) {
	testbed.RequirePriv(t)
	srvLink, cliLink := testbed.NewVeth(t, testbed.NewNetns(t), testbed.NewNetns(t), testbed.VethConfig{Queues: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	ac := assoc.Config{NoDelay: true}
	srv, err := Listen(Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: 5010, Assoc: ac})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	// The server's side of each association has ended before the next
	// Dial: the client reuses its port, and an INIT from the tuple of a
	// live association is that association's (RFC 9260 5.2.2), not the
	// slow path's. (The client's ABORT and next INIT may leave from two
	// pollers, so the INIT can overtake the ABORT.)
	ended := make(chan struct{}, 1)
	go func() {
		for {
			a, err := srv.Accept(ctx)
			if err != nil {
				return
			}
			go func() {
				buf := make([]byte, 2048)
				for {
					n, info, err := a.RecvMsg(ctx, buf)
					if err != nil {
						select { // the loop takes one per association
						case ended <- struct{}{}:
						default:
						}
						return
					}
					if a.SendMsg(ctx, SndInfo{Stream: info.Stream}, buf[:n]) != nil {
						return
					}
				}
			}()
		}
	}()
	cli, err := Listen(Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path(), Assoc: ac})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	slow := srv.ir.rt.Group().Slow()
	before := slow.Handled()
	const n = 200
	var took []time.Duration
	buf := make([]byte, 2048)
	for i := range n {
		start := time.Now()
		a, err := cli.Dial(ctx, 5010, srvLink.IPv4)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		took = append(took, time.Since(start))
		msg := []byte{byte(i), byte(i >> 8), 7}
		if err := a.SendMsg(ctx, SndInfo{}, msg); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		m, _, err := a.RecvMsg(ctx, buf)
		if err != nil || !bytes.Equal(buf[:m], msg) {
			t.Fatalf("echo %d: %q, %v", i, buf[:m], err)
		}
		if err := a.Abort(); err != nil {
			t.Fatalf("abort %d: %v", i, err)
		}
		select {
		case <-ended:
		case <-ctx.Done():
			t.Fatalf("the server never saw association %d end", i)
		}
	}
	slices.Sort(took)
	st := &srv.ir.slow.stats
	t.Logf("%d handshakes: median %v, p90 %v, max %v; slow path handled %d (INIT ACKs %d, associations %d)",
		n, took[n/2], took[n*9/10], took[n-1], slow.Handled()-before, st.initAcks.Load(), st.accepted.Load())
	// Every handshake's INIT and COOKIE ECHO crossed the slow path (more
	// with retransmissions); none was answered inline.
	if h := slow.Handled() - before; h < 2*n {
		t.Errorf("slow path handled %d packets for %d handshakes", h, n)
	}
	if st.initAcks.Load() < n || st.accepted.Load() < n {
		t.Errorf("slow path: %d INIT ACKs, %d associations for %d handshakes", st.initAcks.Load(), st.accepted.Load(), n)
	}
	// The same counts reach InterfaceStats (and the exporter).
	is, err := srv.InterfaceStats()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]uint64{}
	for _, c := range is.SlowPath {
		exported[c.Name] = c.Value
	}
	if exported["init_acks"] != st.initAcks.Load() || exported["cookies_accepted"] != st.accepted.Load() {
		t.Errorf("InterfaceStats.SlowPath %v, want init_acks %d, cookies_accepted %d", is.SlowPath, st.initAcks.Load(), st.accepted.Load())
	}
	// The client's passive side is empty: its handshakes were active opens,
	// handled by their engines.
	if cs := &cli.ir.slow.stats; cs.initAcks.Load() != 0 || cs.accepted.Load() != 0 {
		t.Errorf("client's slow path answered: %d INIT ACKs, %d associations", cs.initAcks.Load(), cs.accepted.Load())
	}
}

// rawPeer is a raw SCTP socket in the client's namespace: a peer whose
// packets the test writes by hand (the kernel has no SCTP here, and with a
// raw socket open it sends no ICMP for the replies either).
type rawPeer struct {
	t   *testing.T
	fd  int
	dst *unix.SockaddrInet4
	buf []byte
}

func newRawPeer(t *testing.T, cli *testbed.Link, srv netip.Addr) *rawPeer {
	var fd int
	if err := cli.NS.Do(func() (err error) {
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(wire.IPProtocolSCTP))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	tv := unix.Timeval{Usec: 100_000}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	return &rawPeer{t: t, fd: fd, dst: &unix.SockaddrInet4{Addr: srv.As4()}, buf: make([]byte, 4096)}
}

func (r *rawPeer) send(pkt []byte) {
	if err := unix.Sendto(r.fd, pkt, 0, r.dst); err != nil {
		r.t.Fatal(err)
	}
}

// recv returns the next SCTP packet to port with a first chunk of type
// want, or nil after a while.
func (r *rawPeer) recv(port uint16, want wire.ChunkType, within time.Duration) wire.SCTP {
	for deadline := time.Now().Add(within); time.Now().Before(deadline); {
		n, _, err := unix.Recvfrom(r.fd, r.buf, 0)
		if err != nil || n < 20 {
			continue
		}
		s, err := wire.ParseSCTP(r.buf[20:n]) // IPv4 raw sockets deliver the IP header
		if err != nil || s.DstPort() != port {
			continue
		}
		if c, _ := s.FirstChunk(); c.Type() == want {
			return s
		}
	}
	return nil
}

// handshakeToCookie sends an INIT from port and returns the COOKIE ECHO
// answering the INIT ACK.
func (r *rawPeer) handshakeToCookie(port, srvPort uint16, tag uint32) []byte {
	var w wire.Builder
	w.Start(nil, port, srvPort, 0)
	w.BeginInit(tag, 1<<16, 1, 1, 100)
	w.End()
	init, _ := w.Finish()
	var ack wire.SCTP
	for i := 0; i < 20 && ack == nil; i++ { // the first may wait for ARP
		r.send(init)
		ack = r.recv(port, wire.ChunkInitAck, 500*time.Millisecond)
	}
	if ack == nil {
		r.t.Fatal("no INIT ACK")
	}
	c, _ := ack.FirstChunk()
	var cookie []byte
	for it := wire.InitChunk(c).Params(); ; {
		p, ok := it.Next()
		if !ok {
			break
		}
		if p.Type() == wire.ParamStateCookie {
			cookie = p.Value()
		}
	}
	w.Start(nil, port, srvPort, wire.InitChunk(c).InitiateTag())
	w.CookieEcho(cookie)
	ce, _ := w.Finish()
	return ce
}

// TestSlowPathDuplicateCookieEcho: a peer sends its COOKIE ECHO twice back
// to back, so the second reaches the poller while the first is on the slow
// path or being handed over (or just after). Either way the server ends
// with one association per peer, answers each COOKIE ECHO with a COOKIE
// ACK (RFC 9260 5.2.4 D for the second), and offers Accept one Assoc.
func TestSlowPathDuplicateCookieEcho(t *testing.T) {
	testbed.RequirePriv(t)
	srvLink, cliLink := testbed.NewVeth(t, testbed.NewNetns(t), testbed.NewNetns(t), testbed.VethConfig{Queues: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv, err := Listen(Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: 5011})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	peer := newRawPeer(t, cliLink, srvLink.IPv4)
	const n = 20
	for i := range n {
		port := uint16(7000 + i)
		ce := peer.handshakeToCookie(port, 5011, 0xC0FFEE00+uint32(i))
		peer.send(ce)
		peer.send(ce)
		acks := 0
		for peer.recv(port, wire.ChunkCookieAck, 300*time.Millisecond) != nil {
			acks++
		}
		if acks == 0 {
			t.Fatalf("peer %d: no COOKIE ACK", i)
		}
		a, err := srv.Accept(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Abort()
	}
	actx, acancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer acancel()
	if a, err := srv.Accept(actx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a second association for one peer: %v, %v", a, err)
	}
	list, err := srv.AssocStats()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != n {
		t.Errorf("%d associations for %d peers", len(list), n)
	}
	st := &srv.ir.slow.stats
	t.Logf("cookies accepted on the slow path %d, duplicates dropped at adoption %d (the rest answered by the engine)",
		st.accepted.Load(), st.adoptExisting.Load())
	if st.adoptRefused.Load() != 0 || st.accepted.Load()-st.adoptExisting.Load() != n {
		t.Errorf("slow path accepted %d, adoption dropped %d as duplicates and refused %d: want %d associations",
			st.accepted.Load(), st.adoptExisting.Load(), st.adoptRefused.Load(), n)
	}
}

// TestSlowPathHandOverOrphan: an association handed over for an endpoint
// that closed meanwhile (or whose port was reopened by another endpoint)
// is not adopted: the peer gets an ABORT with its own tag, the shared
// table forgets the tuple, nothing is offered to Accept.
func TestSlowPathHandOverOrphan(t *testing.T) {
	testbed.RequirePriv(t)
	srvLink, cliLink := testbed.NewVeth(t, testbed.NewNetns(t), testbed.NewNetns(t), testbed.VethConfig{})
	srv, err := Listen(Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: 5012})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	// An association as the slow path makes one, for a peer at the client.
	cl, err := assoc.NewEndpoint(assoc.Config{LocalPort: 7100}, assoc.CookieKeys{Cur: assoc.CookieKey{Key: []byte("client")}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	rc := assoc.Config{LocalPort: 5012}
	resp, err := assoc.NewResponder(&rc, srv.ir.keys.keys(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Connect(0, []netip.Addr{srvLink.IPv4}, 5012); err != nil {
		t.Fatal(err)
	}
	pi := assoc.PacketInfo{Src: cliLink.IPv4, Dst: srvLink.IPv4, Size: 100}
	next := func() wire.SCTP {
		b, _, ok := cl.NextPacket(0, nil)
		if !ok {
			t.Fatal("client sent nothing")
		}
		s, _ := wire.ParseSCTP(b)
		return s
	}
	ack, ok := resp.HandleInit(0, &pi, next(), nil)
	if !ok {
		t.Fatal("no INIT ACK")
	}
	cl.Receive(0, assoc.PacketInfo{Src: srvLink.IPv4, Dst: cliLink.IPv4}, ack)
	ce := next()
	as, _, err := resp.AcceptCookie(0, &pi, ce, nil)
	if as == nil {
		t.Fatal(err)
	}
	g := srv.ir.rt.Group()
	key := fastpath.TupleKey{Peer: cliLink.IPv4, LocalPort: 5012, PeerPort: 7100}
	g.Shared().Set(key, 0) // published by the slow path before the hand-over
	capt := testbed.StartCapture(t, cliLink.NS, cliLink.Name, "sctp")
	gone := &Endpoint{port: 5012} // the port's endpoint as it was: not the one open now
	m := &slowAdopt{ep: gone, as: as, pi: pi, raw: ce}
	m.in.Frame = wire.Frame{Eth: wire.EthernetHeader{Source: [6]byte(cliLink.MAC), Destination: [6]byte(srvLink.MAC)},
		Source: cliLink.IPv4, Destination: srvLink.IPv4}
	if !g.Pollers()[0].Send(m) {
		t.Fatal("poller ring full")
	}
	st := &srv.ir.slow.stats
	for deadline := time.Now().Add(10 * time.Second); st.adoptOrphaned.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if st.adoptOrphaned.Load() != 1 {
		t.Fatal("hand-over to a closed endpoint not seen")
	}
	if _, ok := g.Shared().Lookup(key); ok {
		t.Error("the shared table still routes the orphan's tuple")
	}
	time.Sleep(200 * time.Millisecond) // the ABORT reaches the capture
	pcap := capt.Stop(t)
	var aborts int
	for _, f := range testbed.Dissect(t, pcap, "sctp.chunk_type", "sctp.verification_tag", "sctp.abort_t_bit") {
		if slices.Contains(f["sctp.chunk_type"], "6") {
			aborts++
			if tag := strconv.FormatUint(uint64(as.PeerTag()), 16); len(f["sctp.verification_tag"]) != 1 ||
				!equalHex(f["sctp.verification_tag"][0], tag) {
				t.Errorf("ABORT with tag %v, want %s", f["sctp.verification_tag"], tag)
			}
		}
	}
	if aborts != 1 {
		t.Errorf("%d ABORTs to the peer, want 1", aborts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if a, err := srv.Accept(ctx); err == nil {
		t.Errorf("the orphan was offered to Accept: %v", a)
	}
}

// equalHex compares tshark's "0x0000abcd" with a hex string.
func equalHex(tshark, hex string) bool {
	a, err1 := strconv.ParseUint(tshark, 0, 32)
	b, err2 := strconv.ParseUint(hex, 16, 32)
	return err1 == nil && err2 == nil && a == b
}

// replySink is a poller handler that notes the Initiate Tag of the INIT
// ACKs handed to it and gives the slowReply back to its pool, as
// sendSlowReply does after sending.
type replySink struct{ tag uint32 }

func (*replySink) HandlePacket(*fastpath.Ctx, *fastpath.Packet) {}
func (*replySink) HandleICMP(*fastpath.Ctx, *fastpath.ICMP)     {}
func (*replySink) HandleTimer(*fastpath.Ctx, *fastpath.Timer)   {}
func (*replySink) Flush(*fastpath.Ctx)                          {}
func (r *replySink) HandleControl(c *fastpath.Ctx, msg any) {
	if m, ok := msg.(*slowReply); ok {
		if ch, ok := wire.SCTP(m.pkt).FirstChunk(); ok && ch.Type() == wire.ChunkInitAck {
			r.tag = wire.InitChunk(ch).InitiateTag()
		}
		replyPool.Put(m)
	}
}

// TestSlowPathInitAllocs: answering an INIT on the slow path and handing
// the INIT ACK to the poller allocates nothing once warm (an INIT flood
// costs no garbage), and the INIT ACK's tag names the receiving poller.
func TestSlowPathInitAllocs(t *testing.T) {
	var pcs []fastpath.PollerConfig
	sinks := []*replySink{{}, {}}
	for i := range 2 {
		l, _, err := fastpath.NewMemLinkPair(64, 2048)
		if err != nil {
			t.Fatal(err)
		}
		pcs = append(pcs, fastpath.PollerConfig{Link: l, Handler: sinks[i]})
	}
	s := newSlowPath(&ifaceRuntime{keys: testKeeper(t)})
	g, err := fastpath.NewGroup(fastpath.GroupConfig{Pollers: pcs, Slow: s})
	if err != nil {
		t.Fatal(err)
	}
	req := &slowAddPortReq{ep: &Endpoint{port: 5013}, cfg: assoc.Config{LocalPort: 5013}, done: make(chan error, 1)}
	s.HandleRequest(g.Slow(), req)
	if err := <-req.done; err != nil {
		t.Fatal(err)
	}
	s.epochs[1] = time.Now()
	src, dst := netip.MustParseAddr("198.18.0.2"), netip.MustParseAddr("198.18.0.1")
	var w wire.Builder
	w.Start(nil, 7200, 5013, 0)
	w.BeginInit(0x1234567, 1<<16, 1, 1, 1)
	w.End()
	sctp, _ := w.Finish()
	frame := wire.AppendEthernet(nil, &wire.EthernetHeader{Destination: [6]byte{2, 0, 0, 0, 0, 1},
		Source: [6]byte{2, 0, 0, 0, 0, 2}, EtherType: wire.EtherTypeIPv4})
	frame, _, err = wire.AppendIPv4Header(frame, &wire.IPv4Fields{TTL: 64, Protocol: wire.IPProtocolSCTP,
		Source: src.As4(), Destination: dst.As4()})
	if err != nil {
		t.Fatal(err)
	}
	l2 := 14
	frame = append(frame, sctp...)
	if err := wire.FinishIPv4(frame, l2); err != nil {
		t.Fatal(err)
	}
	fr, err := wire.ParseFrame(frame)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := wire.ParseSCTP(fr.L4)
	if err != nil {
		t.Fatal(err)
	}
	p := &fastpath.Packet{Frame: fr, SCTP: sc, Poller: 1}
	probe := func() {
		s.HandleSlow(g.Slow(), p)
		g.Pollers()[1].Poll() // the poller takes the reply (and returns it to the pool)
	}
	probe()
	if allocs := testing.AllocsPerRun(200, probe); allocs != 0 {
		t.Errorf("%.1f allocations per INIT", allocs)
	}
	if n := s.stats.initAcks.Load(); n != 202 {
		t.Errorf("%d INIT ACKs for 202 INITs", n)
	}
	if tag := sinks[1].tag; tag == 0 || fastpath.OwnerOf(tag, g.OwnerBits()) != 1 {
		t.Errorf("Initiate Tag %#x does not name poller 1", tag)
	}
}

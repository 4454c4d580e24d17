package sctpxdp_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
	"github.com/sctp-xdp/sctp-xdp/assoc"
	"github.com/sctp-xdp/sctp-xdp/internal/relay"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// families runs f once for IPv4 and once for IPv6 addresses of srv.
func families(t *testing.T, srv *testbed.Link, f func(t *testing.T, dst netip.Addr)) {
	for _, dst := range []netip.Addr{srv.IPv4, srv.IPv6} {
		t.Run(dst.String(), func(t *testing.T) { f(t, dst) })
	}
}

// TestManyServer: a one-to-many server and three one-to-one clients. The
// server learns each association from its COMM_UP notification, every
// message it reads carries the id of the association it came on, and its
// SendMsg by id answers the right client.
func TestManyServer(t *testing.T) {
	srvLink, cliLink := pair(t)
	families(t, srvLink, func(t *testing.T, dst netip.Addr) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		ep, err := sctpxdp.ListenMany(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: 5101,
			Events: sctpxdp.EventAssocChange, Assoc: noDelay})
		if err != nil {
			t.Fatal(err)
		}
		defer ep.Close()
		if _, err := ep.Accept(ctx); !errors.Is(err, sctpxdp.ErrInvalid) {
			t.Errorf("Accept on a one-to-many endpoint: %v, want ErrInvalid", err)
		}
		const clients, msgs = 3, 20
		type result struct {
			k   int
			err error
		}
		results := make(chan result, clients)
		for k := range clients {
			go func() {
				a, err := sctpxdp.Dial(ctx, sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path(), Assoc: noDelay},
					netip.AddrPortFrom(dst, 5101))
				if err != nil {
					results <- result{k, err}
					return
				}
				defer a.Close()
				buf := make([]byte, 64)
				for i := range msgs {
					msg := fmt.Sprintf("client %d msg %d", k, i)
					if err := a.SendMsg(ctx, sctpxdp.SndInfo{Stream: uint16(k), PPID: uint32(i)}, []byte(msg)); err != nil {
						results <- result{k, err}
						return
					}
					n, _, err := a.RecvMsg(ctx, buf)
					if err != nil || string(buf[:n]) != "echo "+msg {
						results <- result{k, fmt.Errorf("echo of %q: %q, %v", msg, buf[:n], err)}
						return
					}
				}
				results <- result{k, nil}
			}()
		}
		ids := map[uint32]int{} // association id -> client
		up := map[uint32]bool{}
		next := make([]int, clients)
		buf := make([]byte, 64)
		for got := 0; got < clients*msgs; {
			n, info, err := ep.RecvMsg(ctx, buf)
			if err != nil {
				t.Fatalf("server RecvMsg after %d messages: %v", got, err)
			}
			if info.AssocID == 0 {
				t.Fatalf("RecvMsg without an association id: %+v", info)
			}
			if nt := info.Notification; nt != nil {
				if nt.Event == assoc.EventCommUp {
					up[info.AssocID] = true
				}
				continue
			}
			var k, i int
			if _, err := fmt.Sscanf(string(buf[:n]), "client %d msg %d", &k, &i); err != nil || k < 0 || k >= clients {
				t.Fatalf("server read %q", buf[:n])
			}
			if !up[info.AssocID] {
				t.Fatalf("data on association %d before its COMM_UP", info.AssocID)
			}
			if prev, ok := ids[info.AssocID]; ok && prev != k {
				t.Fatalf("association %d carries clients %d and %d", info.AssocID, prev, k)
			}
			ids[info.AssocID] = k
			if i != next[k] || info.PPID != uint32(i) || info.Stream != uint16(k) {
				t.Fatalf("client %d: message %d (ppid %d stream %d), want %d", k, i, info.PPID, info.Stream, next[k])
			}
			next[k]++
			got++
			reply := append([]byte("echo "), buf[:n]...)
			if err := ep.SendMsg(ctx, netip.AddrPort{}, sctpxdp.SndInfo{AssocID: info.AssocID, Stream: info.Stream}, reply); err != nil {
				t.Fatalf("server SendMsg to %d: %v", info.AssocID, err)
			}
		}
		for range clients {
			if r := <-results; r.err != nil {
				t.Errorf("client %d: %v", r.k, r.err)
			}
		}
		if len(ids) != clients {
			t.Fatalf("%d association ids for %d clients: %v", len(ids), clients, ids)
		}
		// Every id is listed while alive (the clients may be closing).
		listed, err := ep.Assocs()
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range listed {
			if _, ok := ids[id]; !ok {
				t.Errorf("Assocs lists %d, not one of %v", id, ids)
			}
		}
		if _, err := ep.Assoc(1 << 30); !errors.Is(err, sctpxdp.ErrInvalid) {
			t.Errorf("Assoc(unknown): %v", err)
		}
	})
}

// TestManyImplicitSetup: a one-to-many client's SendMsg to an address it
// has no association with sets one up and the message travels with the
// COOKIE ECHO, checked with tshark on a relay's capture (IPv4: the relayed
// path of the test bed carries no IPv6 yet, see TestManyImplicitSetupIPv6).
func TestManyImplicitSetup(t *testing.T) {
	testbed.RequirePriv(t)
	na, nm, nb := testbed.NewNetns(t), testbed.NewNetns(t), testbed.NewNetns(t)
	path := testbed.NewRelayedPath(t, na, nm, nb, testbed.VethConfig{})
	r, pcap := path.StartRelay(t, relay.Config{})
	implicitSetup(t, path.A, path.B, path.A.IPv4)
	r.Close()
	// A packet whose first chunk is a COOKIE ECHO (10) with DATA (0) after it.
	bundled := 0
	for _, p := range testbed.Dissect(t, pcap, "sctp.chunk_type") {
		if ct := p["sctp.chunk_type"]; len(ct) >= 2 && ct[0] == "10" && slices.Contains(ct[1:], "0") {
			bundled++
		}
	}
	if bundled != 1 {
		t.Errorf("%d packets with a COOKIE ECHO and DATA, want 1", bundled)
	}
}

// TestManyImplicitSetupIPv6 is TestManyImplicitSetup's behaviour over IPv6
// on a plain veth (XDP on both ends: no capture).
func TestManyImplicitSetupIPv6(t *testing.T) {
	srvLink, cliLink := pair(t)
	implicitSetup(t, srvLink, cliLink, srvLink.IPv6)
}

// implicitSetup: SendMsg to dst sets an association up and the message
// arrives; SendMsg to the same address without the id is refused as
// address in use (Solaris sctp(7p)); with the id (learnt from COMM_UP) it
// goes.
func implicitSetup(t *testing.T, srvLink, cliLink *testbed.Link, dst netip.Addr) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := sctpxdp.ListenMany(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: 5111, Assoc: noDelay})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cli, err := sctpxdp.ListenMany(sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path(), Port: 5112,
		Events: sctpxdp.EventAssocChange, Assoc: noDelay})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	buf := make([]byte, 64)
	to := netip.AddrPortFrom(dst, 5111)
	first := "first to " + dst.String()
	if err := cli.SendMsg(ctx, to, sctpxdp.SndInfo{Stream: 1, PPID: 42}, []byte(first)); err != nil {
		t.Fatalf("implicit SendMsg to %v: %v", to, err)
	}
	if err := cli.SendMsg(ctx, to, sctpxdp.SndInfo{}, []byte("again")); !errors.Is(err, sctpxdp.ErrAddrInUse) {
		t.Errorf("SendMsg to an associated address without its id: %v, want ErrAddrInUse", err)
	}
	n, info, err := srv.RecvMsg(ctx, buf)
	if err != nil || string(buf[:n]) != first || info.PPID != 42 || info.Stream != 1 || info.AssocID == 0 {
		t.Fatalf("server read %q %+v %v", buf[:n], info, err)
	}
	// The client learns its id from COMM_UP; SendMsg with it goes.
	n, info, err = cli.RecvMsg(ctx, buf)
	if err != nil || info.Notification == nil || info.Notification.Event != assoc.EventCommUp {
		t.Fatalf("client read %q %+v %v, want COMM_UP", buf[:n], info, err)
	}
	id := info.AssocID
	if ids, _ := cli.Assocs(); !slices.Equal(ids, []uint32{id}) {
		t.Errorf("client Assocs %v, want [%d]", ids, id)
	}
	if err := cli.SendMsg(ctx, netip.AddrPort{}, sctpxdp.SndInfo{AssocID: id}, []byte("second")); err != nil {
		t.Fatalf("SendMsg by id: %v", err)
	}
	if n, _, err := srv.RecvMsg(ctx, buf); err != nil || string(buf[:n]) != "second" {
		t.Fatalf("server read %q %v, want second", buf[:n], err)
	}
	a, err := cli.Assoc(id)
	if err != nil {
		t.Fatal(err)
	}
	if p := a.PeerAddrs(); len(p) != 1 || p[0] != dst {
		t.Errorf("PeerAddrs %v, want [%v]", p, dst)
	}
}

// TestManyPeelOff: after PeelOff the association's next messages (those
// queued already and those arriving later) go to the peeled Assoc, in
// order, and no longer to the endpoint's RecvMsg; its id is gone from the
// endpoint; the autoclose it had is off (it outlives its idle second) and
// SCTP_AUTOCLOSE, a one-to-many option, is refused on it.
func TestManyPeelOff(t *testing.T) {
	srvLink, cliLink := pair(t)
	families(t, srvLink, func(t *testing.T, dst netip.Addr) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		ep, err := sctpxdp.ListenMany(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: 5121, Assoc: noDelay})
		if err != nil {
			t.Fatal(err)
		}
		defer ep.Close()
		c, err := sctpxdp.Dial(ctx, sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path(), Assoc: noDelay},
			netip.AddrPortFrom(dst, 5121))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		send := func(s string) {
			if err := c.SendMsg(ctx, sctpxdp.SndInfo{}, []byte(s)); err != nil {
				t.Fatal(err)
			}
		}
		send("m1")
		buf := make([]byte, 64)
		n, info, err := ep.RecvMsg(ctx, buf)
		if err != nil || string(buf[:n]) != "m1" {
			t.Fatalf("endpoint read %q %v", buf[:n], err)
		}
		id := info.AssocID
		send("m2")
		send("m3")
		time.Sleep(200 * time.Millisecond) // m2 and m3 reach the server's ring
		member, err := ep.Assoc(id)
		if err != nil {
			t.Fatal(err)
		}
		if err := member.SetAutoClose(time.Second); err != nil {
			t.Errorf("SetAutoClose on a one-to-many endpoint's association: %v", err)
		}
		a, err := ep.PeelOff(id)
		if err != nil {
			t.Fatal(err)
		}
		// Peeled off, it is one-to-one style (RFC 6458 9.2): its autoclose
		// is off and SCTP_AUTOCLOSE is refused (8.1.8).
		if err := a.SetAutoClose(time.Second); !errors.Is(err, sctpxdp.ErrNotSupported) {
			t.Errorf("SetAutoClose on a peeled-off association: %v, want ErrNotSupported", err)
		}
		if d, err := a.AutoClose(); err != nil || d != 0 {
			t.Errorf("peeled-off association's autoclose %v %v, want 0", d, err)
		}
		send("m4")
		for _, want := range []string{"m2", "m3", "m4"} {
			n, info, err := a.RecvMsg(ctx, buf)
			if err != nil || string(buf[:n]) != want {
				t.Fatalf("peeled read %q %v, want %q", buf[:n], err, want)
			}
			if info.Notification != nil {
				t.Fatalf("peeled read a notification")
			}
		}
		short, cancelShort := context.WithTimeout(ctx, 1500*time.Millisecond) // idle past the 1 s autoclose it had
		defer cancelShort()
		if n, info, err := ep.RecvMsg(short, buf); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("endpoint RecvMsg after the peel-off: %q %+v %v", buf[:n], info, err)
		}
		if ids, _ := ep.Assocs(); slices.Contains(ids, id) {
			t.Errorf("Assocs still lists %d: %v", id, ids)
		}
		if err := ep.SendMsg(ctx, netip.AddrPort{}, sctpxdp.SndInfo{AssocID: id}, []byte("x")); !errors.Is(err, sctpxdp.ErrInvalid) {
			t.Errorf("endpoint SendMsg to a peeled-off id: %v", err)
		}
		if _, err := ep.PeelOff(id); !errors.Is(err, sctpxdp.ErrInvalid) {
			t.Errorf("PeelOff twice: %v", err)
		}
		// The peeled Assoc sends as a one-to-one one.
		if err := a.SendMsg(ctx, sctpxdp.SndInfo{}, []byte("back")); err != nil {
			t.Fatal(err)
		}
		if n, _, err := c.RecvMsg(ctx, buf); err != nil || string(buf[:n]) != "back" {
			t.Fatalf("client read %q %v", buf[:n], err)
		}
		if err := a.Close(); err != nil {
			t.Errorf("closing the peeled association: %v", err)
		}
	})
}

// TestManyAutoClose: an idle association of a one-to-many endpoint is
// closed by SCTP_AUTOCLOSE, reported as SHUTDOWN_COMP, and leaves the
// endpoint's list; one the endpoint dials comes back peeled off, without
// autoclose.
func TestManyAutoClose(t *testing.T) {
	srvLink, cliLink := pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := noDelay
	cfg.AutoClose = 500 * time.Millisecond
	ep, err := sctpxdp.ListenMany(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: 5131,
		Events: sctpxdp.EventAssocChange, Assoc: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	c, err := sctpxdp.Dial(ctx, sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path(), Assoc: noDelay},
		netip.AddrPortFrom(srvLink.IPv4, 5131))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMsg(ctx, sctpxdp.SndInfo{}, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	var log []string
	buf := make([]byte, 64)
	for len(log) < 3 {
		n, info, err := ep.RecvMsg(ctx, buf)
		if err != nil {
			t.Fatalf("after %v: %v", log, err)
		}
		if info.Notification != nil {
			log = append(log, info.Notification.Event.String())
		} else {
			log = append(log, string(buf[:n]))
		}
	}
	if want := []string{assoc.EventCommUp.String(), "hi", assoc.EventShutdownComp.String()}; !slices.Equal(log, want) {
		t.Fatalf("endpoint read %v, want %v", log, want)
	}
	if _, _, err := c.RecvMsg(ctx, buf); err == nil {
		t.Error("the client's association survived autoclose")
	}
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		short, cancelShort := context.WithTimeout(ctx, 10*time.Millisecond)
		ep.RecvMsg(short, buf) // the end is read: the association leaves the list
		cancelShort()
		if ids, _ := ep.Assocs(); len(ids) == 0 {
			break
		}
		if time.Now().After(deadline) {
			ids, _ := ep.Assocs()
			t.Fatalf("autoclosed association still listed: %v", ids)
		}
	}

	// Endpoint.Dial's association comes back peeled off, one-to-one style:
	// without the endpoint's autoclose (RFC 6458 8.1.8, 9.2).
	l, err := sctpxdp.Listen(sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path(), Port: 5132, Assoc: noDelay})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	d, err := ep.Dial(ctx, 5132, cliLink.IPv4)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	peer, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := d.AutoClose(); err != nil || v != 0 {
		t.Errorf("dialled association's autoclose %v %v, want 0", v, err)
	}
	if err := d.SetAutoClose(time.Second); !errors.Is(err, sctpxdp.ErrNotSupported) {
		t.Errorf("SetAutoClose on a dialled (peeled-off) association: %v, want ErrNotSupported", err)
	}
	time.Sleep(time.Second) // twice the endpoint's autoclose, idle
	if err := d.SendMsg(ctx, sctpxdp.SndInfo{}, []byte("still here")); err != nil {
		t.Fatalf("dialled association after a second idle: %v", err)
	}
	if n, _, err := peer.RecvMsg(ctx, buf); err != nil || string(buf[:n]) != "still here" {
		t.Errorf("peer read %q %v", buf[:n], err)
	}
}

package sctpxdp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
	"github.com/sctp-xdp/sctp-xdp/assoc"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// optConn is one association over a veth: the server's endpoint and both
// sides of the association.
type optConn struct {
	ep       *sctpxdp.Endpoint
	cli, srv *sctpxdp.Assoc
	dst      netip.Addr
}

// optDial listens on srvLink's port with scfg, dials it from cliLink to
// dst with ccfg and accepts; everything closes at the test's end.
func optDial(t *testing.T, ctx context.Context, srvLink, cliLink *testbed.Link, dst netip.Addr, port uint16, scfg, ccfg sctpxdp.Config) *optConn {
	t.Helper()
	scfg.Interface, scfg.NetNS, scfg.Port = srvLink.Name, srvLink.NS.Path(), port
	ep, err := sctpxdp.Listen(scfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	return optDialTo(t, ctx, ep, cliLink, dst, ccfg)
}

func optDialTo(t *testing.T, ctx context.Context, ep *sctpxdp.Endpoint, cliLink *testbed.Link, dst netip.Addr, ccfg sctpxdp.Config) *optConn {
	t.Helper()
	ccfg.Interface, ccfg.NetNS = cliLink.Name, cliLink.NS.Path()
	cli, err := sctpxdp.Dial(ctx, ccfg, netip.AddrPortFrom(dst, ep.Port()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Abort() })
	srv, err := ep.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return &optConn{ep: ep, cli: cli, srv: srv, dst: dst}
}

// optRecv reads one message on a (notifications skipped).
func optRecv(t *testing.T, ctx context.Context, a *sctpxdp.Assoc) ([]byte, sctpxdp.RcvInfo) {
	t.Helper()
	buf := make([]byte, 300<<10)
	for {
		n, info, err := a.RecvMsg(ctx, buf)
		if err != nil {
			t.Fatalf("RecvMsg: %v", err)
		}
		if info.Notification == nil {
			return buf[:n], info
		}
	}
}

// echoOnceOpt sends msg from c.cli, reads it on c.srv, sends it back.
func (c *optConn) ping(t *testing.T, ctx context.Context, msg []byte) {
	t.Helper()
	if err := c.cli.SendMsg(ctx, sctpxdp.SndInfo{}, msg); err != nil {
		t.Fatal(err)
	}
	got, _ := optRecv(t, ctx, c.srv)
	if err := c.srv.SendMsg(ctx, sctpxdp.SndInfo{}, got); err != nil {
		t.Fatal(err)
	}
	if back, _ := optRecv(t, ctx, c.cli); !bytes.Equal(back, msg) {
		t.Fatalf("echo of %d bytes came back as %d", len(msg), len(back))
	}
}

// TestOptionsLiveAssoc: the options of a live association, IPv4 and IPv6:
// STATUS says ESTABLISHED with the negotiated streams, GET_PEER_ADDR_INFO
// gives the peer address with an SRTT after traffic, PRIMARY_ADDR on a
// one-address association, I_WANT_MAPPED_V4_ADDR, RTOINFO bounds the
// path's RTO, PEER_ADDR_PARAMS' on-demand heartbeat leaves, the getters
// read back what the setters set (DISABLE_FRAGMENTS what the Config set;
// MAXSEG above 65535 reads 0, RFC 6458 8.1.16), AUTOCLOSE is refused on a
// one-to-one association (8.1.8), RcvInfo carries ids, CumTSN and context,
// and the options of later protocol work say ErrNotSupported.
func TestOptionsLiveAssoc(t *testing.T) {
	srvLink, cliLink := pair(t)
	var port uint16 = 5201
	families(t, srvLink, func(t *testing.T, dst netip.Addr) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		port++
		c := optDial(t, ctx, srvLink, cliLink, dst, port, sctpxdp.Config{Assoc: assoc.Config{MaxInStreams: 4}},
			sctpxdp.Config{Assoc: assoc.Config{OutStreams: 6, NoDelay: true, DisableFragments: true}})
		c.ping(t, ctx, []byte("hello"))

		// DISABLE_FRAGMENTS reads what the Config set, then what the
		// setter sets.
		if !c.cli.DisableFragments() {
			t.Errorf("DisableFragments false with Config.Assoc.DisableFragments")
		}
		// The send itself fails (RFC 6458 8.1.11), not a later one.
		if err := c.cli.SendMsg(ctx, sctpxdp.SndInfo{}, make([]byte, 1600)); !errors.Is(err, sctpxdp.ErrInvalid) {
			t.Errorf("1600 bytes with Config.Assoc.DisableFragments: %v, want ErrInvalid", err)
		}
		c.ping(t, ctx, []byte("still up"))
		if err := c.cli.SetDisableFragments(false); err != nil || c.cli.DisableFragments() {
			t.Errorf("SetDisableFragments(false): %v, reads %v", err, c.cli.DisableFragments())
		}

		st, err := c.cli.Status()
		if err != nil {
			t.Fatal(err)
		}
		if st.State != assoc.Established || st.OutStreams != 4 || st.InStreams != 10 || st.AssocID != c.cli.ID() ||
			st.Primary.Addr != dst || st.FragPoint <= 0 || st.FragPoint > 1500 {
			t.Errorf("status %+v: want ESTABLISHED, 4 out (server's MIS), 10 in (server's default OS), primary %v", st, dst)
		}
		pi, err := c.cli.PeerAddrInfo(dst)
		if err != nil {
			t.Fatal(err)
		}
		if pi.Addr != dst || pi.State != assoc.PathActive || pi.SRTT <= 0 || pi.RTO <= 0 || pi.MTU != 1500 || !pi.Primary {
			t.Errorf("peer address info %+v: want %v active, primary, with an SRTT", pi, dst)
		}
		if all, err := c.cli.PeerAddrInfos(); err != nil || len(all) != 1 || all[0].Addr != dst {
			t.Errorf("PeerAddrInfos: %v %v", all, err)
		}
		if _, err := c.cli.PeerAddrInfo(netip.MustParseAddr("198.18.200.1")); !errors.Is(err, sctpxdp.ErrInvalid) {
			t.Errorf("info of a foreign address: %v", err)
		}

		// PRIMARY_ADDR: the one address is primary; another is refused.
		if p, err := c.cli.PrimaryAddr(); err != nil || p != dst {
			t.Errorf("primary %v %v", p, err)
		}
		if err := c.cli.SetPrimaryAddr(dst); err != nil {
			t.Errorf("SetPrimaryAddr(%v): %v", dst, err)
		}
		if err := c.cli.SetPrimaryAddr(netip.MustParseAddr("2001:2:ff::1")); !errors.Is(err, sctpxdp.ErrInvalid) {
			t.Errorf("SetPrimaryAddr of a foreign address: %v", err)
		}
		if !strings.Contains(c.cli.RemoteAddr().String(), dst.String()) || c.cli.RemoteAddr().Network() != "sctp" {
			t.Errorf("RemoteAddr %v", c.cli.RemoteAddr())
		}

		// I_WANT_MAPPED_V4_ADDR.
		c.cli.SetMappedV4(true)
		if p, _ := c.cli.PrimaryAddr(); dst.Is4() && p != netip.AddrFrom16(dst.As16()) {
			t.Errorf("mapped primary %v", p)
		} else if dst.Is6() && p != dst {
			t.Errorf("IPv6 primary changed by mapping: %v", p)
		}
		c.cli.SetMappedV4(false)

		// RTOINFO: the path's RTO moves within the new bounds.
		if err := c.cli.SetRTOInfo(sctpxdp.RTOInfo{Initial: 300 * time.Millisecond, Min: 200 * time.Millisecond, Max: 400 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		if ri, _ := c.cli.RTOInfo(); ri != (sctpxdp.RTOInfo{Initial: 300 * time.Millisecond, Min: 200 * time.Millisecond, Max: 400 * time.Millisecond}) {
			t.Errorf("RTOInfo %+v", ri)
		}
		if pi, _ := c.cli.PeerAddrInfo(dst); pi.RTO < int64(200*time.Millisecond) || pi.RTO > int64(400*time.Millisecond) {
			t.Errorf("RTO %v outside [200ms, 400ms]", time.Duration(pi.RTO))
		}
		if err := c.cli.SetRTOInfo(sctpxdp.RTOInfo{Min: time.Second}); !errors.Is(err, sctpxdp.ErrInvalid) {
			t.Errorf("RTO.Min above RTO.Initial: %v", err)
		}

		// ASSOCINFO.
		if err := c.cli.SetAssocParams(sctpxdp.AssocParams{MaxRetrans: 7}); err != nil {
			t.Fatal(err)
		}
		ap, err := c.cli.AssocParams()
		if err != nil || ap.MaxRetrans != 7 || ap.PeerDestinations != 1 || ap.PeerRwnd == 0 || ap.LocalRwnd != assoc.DefaultARwnd ||
			ap.CookieLife != assoc.DefaultValidCookieLife {
			t.Errorf("assoc params %+v %v", ap, err)
		}
		// The cookie life is the endpoint's: it reads back on the
		// association that set it.
		if err := c.srv.SetAssocParams(sctpxdp.AssocParams{CookieLife: 5 * time.Second}); err != nil {
			t.Fatal(err)
		}
		if ap, err := c.srv.AssocParams(); err != nil || ap.CookieLife != 5*time.Second || ap.MaxRetrans != assoc.DefaultAssocMaxRetrans {
			t.Errorf("server assoc params after SetAssocParams(CookieLife 5s): %+v %v", ap, err)
		}

		// PEER_ADDR_PARAMS: values read back; an on-demand HEARTBEAT is
		// sent and answered.
		hb0 := c.cli.Stats().HeartbeatsSent
		if err := c.cli.SetPeerAddrParams(sctpxdp.PeerAddrParams{Addr: dst, HBInterval: 2 * time.Second, PathMaxRetrans: 3,
			Heartbeat: sctpxdp.HeartbeatDemand}); err != nil {
			t.Fatal(err)
		}
		if !waitFor(3*time.Second, func() bool { return c.cli.Stats().HeartbeatsSent > hb0 }) {
			t.Errorf("no HEARTBEAT after SPP_HB_DEMAND")
		}
		pp, err := c.cli.PeerAddrParams(dst)
		if err != nil || pp.HBInterval != 2*time.Second || pp.PathMaxRetrans != 3 || pp.Heartbeat != sctpxdp.HeartbeatEnable || pp.PathMTU != 1500 {
			t.Errorf("peer addr params %+v %v", pp, err)
		}
		if err := c.cli.SetPeerAddrParams(sctpxdp.PeerAddrParams{Heartbeat: sctpxdp.HeartbeatDisable}); err != nil {
			t.Fatal(err)
		}
		if pp, _ := c.cli.PeerAddrParams(netip.Addr{}); pp.Heartbeat != sctpxdp.HeartbeatDisable {
			t.Errorf("heartbeats still on after SPP_HB_DISABLE for all: %+v", pp)
		}
		if err := c.cli.SetPeerAddrParams(sctpxdp.PeerAddrParams{Addr: netip.MustParseAddr("198.18.200.1"), PathMaxRetrans: 2}); !errors.Is(err, sctpxdp.ErrInvalid) {
			t.Errorf("params of a foreign address: %v", err)
		}

		// Getters read back the setters.
		check := func(name string, err error, ok bool) {
			t.Helper()
			if err != nil || !ok {
				t.Errorf("%s: %v (read back %v)", name, err, ok)
			}
		}
		check("NoDelay", c.cli.SetNoDelay(false), func() bool { v, _ := c.cli.NoDelay(); return !v }())
		check("MaxBurst", c.cli.SetMaxBurst(0), func() bool { v, _ := c.cli.MaxBurst(); return v == 0 }())
		check("MaxBurst 8", c.cli.SetMaxBurst(8), func() bool { v, _ := c.cli.MaxBurst(); return v == 8 }())
		check("DelayedSack", c.cli.SetDelayedSack(sctpxdp.SackInfo{Delay: 50 * time.Millisecond}), func() bool {
			v, _ := c.cli.DelayedSack()
			return v == sctpxdp.SackInfo{Delay: 50 * time.Millisecond, Freq: 2}
		}())
		check("PartialDeliveryPoint", c.cli.SetPartialDeliveryPoint(4096), func() bool { v, _ := c.cli.PartialDeliveryPoint(); return v == 4096 }())
		check("MaxSeg", c.cli.SetMaxSeg(512), func() bool { v, _ := c.cli.MaxSeg(); return v == 512 }())
		// MAXSEG above the largest IP datagram is as 0 (RFC 6458 8.1.16):
		// the path MTU decides again.
		check("MaxSeg 100000", c.cli.SetMaxSeg(100000), func() bool {
			v, _ := c.cli.MaxSeg()
			st, _ := c.cli.Status()
			return v == 0 && st.FragPoint > 512
		}())
		check("MaxSeg 512 again", c.cli.SetMaxSeg(512), func() bool { v, _ := c.cli.MaxSeg(); return v == 512 }())
		// AUTOCLOSE is a one-to-many option (RFC 6458 8.1.8): refused on a
		// one-to-one association, read anyway.
		if err := c.cli.SetAutoClose(time.Hour); !errors.Is(err, sctpxdp.ErrNotSupported) {
			t.Errorf("SetAutoClose on a one-to-one association: %v, want ErrNotSupported", err)
		}
		check("AutoClose read", nil, func() bool { v, err := c.cli.AutoClose(); return err == nil && v == 0 }())
		check("buffers", nil, func() bool {
			r, _ := c.cli.ReceiveBuffer()
			s, _ := c.cli.SendBuffer()
			return r == assoc.DefaultARwnd && s == assoc.DefaultSendBuffer
		}())
		// SO_RCVBUF on the live association: the peer sees the smaller
		// window in the next SACK.
		if err := c.srv.SetReceiveBuffer(256 << 10); err != nil {
			t.Fatal(err)
		}
		c.ping(t, ctx, []byte("window"))
		if ap, _ := c.cli.AssocParams(); ap.PeerRwnd > 256<<10 || ap.PeerRwnd < 200<<10 {
			t.Errorf("peer rwnd %d after the server's SO_RCVBUF 256 KiB", ap.PeerRwnd)
		}
		if err := c.srv.SetReceiveBuffer(100); !errors.Is(err, sctpxdp.ErrInvalid) {
			t.Errorf("receive buffer of 100 bytes: %v", err)
		}
		if err := c.cli.SetPartialDeliveryPoint(0); !errors.Is(err, sctpxdp.ErrInvalid) {
			t.Errorf("partial delivery point 0: %v", err)
		}
		if err := c.cli.SetMaxSeg(8); !errors.Is(err, sctpxdp.ErrInvalid) {
			t.Errorf("MAXSEG 8: %v", err)
		}

		// DEFAULT_SNDINFO and CONTEXT: Send uses the defaults; the reader
		// sees its own context, the ids and the cumulative TSN.
		if err := c.cli.SetDefaultSndInfo(sctpxdp.SndInfo{Stream: 3, PPID: 99}); err != nil {
			t.Fatal(err)
		}
		if err := c.cli.SetDefaultSndInfo(sctpxdp.SndInfo{Stream: 4}); !errors.Is(err, sctpxdp.ErrInvalid) {
			t.Errorf("default stream 4 of 4: %v", err)
		}
		c.srv.SetContext(0xc0ffee)
		if err := c.cli.Send(ctx, []byte("defaults")); err != nil {
			t.Fatal(err)
		}
		got, info := optRecv(t, ctx, c.srv)
		if string(got) != "defaults" || info.Stream != 3 || info.PPID != 99 || info.Context != 0xc0ffee ||
			info.AssocID != c.srv.ID() || info.CumTSN != info.TSN || !info.EOR {
			t.Errorf("received %q with %+v", got, info)
		}

		// Options of later protocol work.
		for name, err := range map[string]error{
			"SET_PEER_PRIMARY_ADDR": c.cli.SetPeerPrimaryAddr(dst),
			"time to live":          c.cli.SendMsg(ctx, sctpxdp.SndInfo{TimeToLive: time.Second}, []byte("x")),
			"AUTH_KEY":              c.cli.SetAuthKey(1, []byte("key")),
			"RESET_STREAMS":         c.cli.ResetStreams(nil, true, true),
			"AUTO_ASCONF":           c.cli.SetAutoASCONF(true),
		} {
			if !errors.Is(err, sctpxdp.ErrNotSupported) {
				t.Errorf("%s: %v, want ErrNotSupported", name, err)
			}
		}
	})
}

// TestOptionsOnTheWire: options whose effect the peer sees. MAXSEG cuts a
// message into DATA chunks no larger than it (the peer counts them);
// DISABLE_FRAGMENTS refuses a message larger than one chunk; NODELAY
// sends small messages at once while DATA is outstanding (with Nagle they
// wait for the SACK and leave bundled); EXPLICIT_EOR makes one message of
// several sends; RECVNXTINFO describes the next message.
func TestOptionsOnTheWire(t *testing.T) {
	srvLink, cliLink := pair(t)
	var port uint16 = 5210
	families(t, srvLink, func(t *testing.T, dst netip.Addr) {
		port++
		optOnTheWire(t, srvLink, cliLink, dst, port)
	})
}

func optOnTheWire(t *testing.T, srvLink, cliLink *testbed.Link, dst netip.Addr, port uint16) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := optDial(t, ctx, srvLink, cliLink, dst, port, sctpxdp.Config{}, sctpxdp.Config{})

	t.Run("MAXSEG", func(t *testing.T) {
		msg := bytes.Repeat([]byte("m"), 1000)
		chunks := func() uint64 { return c.srv.Stats().DataRecvOrdered }
		n0 := chunks()
		if err := c.cli.SendMsg(ctx, sctpxdp.SndInfo{}, msg); err != nil {
			t.Fatal(err)
		}
		optRecv(t, ctx, c.srv)
		if d := chunks() - n0; d != 1 {
			t.Errorf("1000 bytes arrived in %d DATA chunks, want 1", d)
		}
		if err := c.cli.SetMaxSeg(200); err != nil {
			t.Fatal(err)
		}
		n0 = chunks()
		if err := c.cli.SendMsg(ctx, sctpxdp.SndInfo{}, msg); err != nil {
			t.Fatal(err)
		}
		if got, info := optRecv(t, ctx, c.srv); !bytes.Equal(got, msg) || !info.EOR {
			t.Fatalf("reassembled %d bytes", len(got))
		}
		if d := chunks() - n0; d != 5 {
			t.Errorf("1000 bytes at MAXSEG 200 arrived in %d DATA chunks, want 5", d)
		}
		if st, _ := c.cli.Status(); st.FragPoint != 200 {
			t.Errorf("fragmentation point %d, want 200", st.FragPoint)
		}
		c.cli.SetMaxSeg(0)
	})

	t.Run("DISABLE_FRAGMENTS", func(t *testing.T) {
		if err := c.cli.SetDisableFragments(true); err != nil {
			t.Fatal(err)
		}
		st, _ := c.cli.Status()
		// MTU 1500 less the IP header, the common header (12) and the
		// DATA chunk header (16), RFC 9260 3.1, 3.3.1.
		want := 1500 - 20 - 12 - 16
		if dst.Is6() {
			want = 1500 - 40 - 12 - 16
		}
		if st.FragPoint != want {
			t.Errorf("fragmentation point %d, want %d", st.FragPoint, want)
		}
		if err := c.cli.SendMsg(ctx, sctpxdp.SndInfo{}, make([]byte, st.FragPoint+1)); !errors.Is(err, sctpxdp.ErrInvalid) {
			t.Errorf("message of %d bytes, fragmentation point %d: %v", st.FragPoint+1, st.FragPoint, err)
		}
		msg := bytes.Repeat([]byte("f"), st.FragPoint)
		if err := c.cli.SendMsg(ctx, sctpxdp.SndInfo{}, msg); err != nil {
			t.Fatal(err)
		}
		if got, _ := optRecv(t, ctx, c.srv); !bytes.Equal(got, msg) {
			t.Errorf("got %d bytes", len(got))
		}
		c.cli.SetDisableFragments(false)
	})

	t.Run("NODELAY", func(t *testing.T) {
		// 20 small messages 5 ms apart, well within the peer's 200 ms
		// delayed SACK: with Nagle the first goes alone and the others
		// wait for its SACK, then leave together (about 2 packets, so
		// about 1-2 SACKs); with NODELAY each leaves at once (about 20
		// packets, a SACK every second one).
		burst := func() uint64 {
			s0 := c.cli.Stats().SacksReceived
			for i := range 20 {
				if err := c.cli.SendMsg(ctx, sctpxdp.SndInfo{}, []byte{byte(i)}); err != nil {
					t.Fatal(err)
				}
				time.Sleep(5 * time.Millisecond)
			}
			for range 20 {
				optRecv(t, ctx, c.srv)
			}
			waitFor(2*time.Second, func() bool { st, _ := c.cli.Status(); return st.Unacked == 0 })
			time.Sleep(300 * time.Millisecond) // the last delayed SACK
			return c.cli.Stats().SacksReceived - s0
		}
		nagle := burst()
		if err := c.cli.SetNoDelay(true); err != nil {
			t.Fatal(err)
		}
		nodelay := burst()
		t.Logf("SACKs for 20 messages: Nagle %d, NODELAY %d", nagle, nodelay)
		if nagle > 4 || nodelay < 6 {
			t.Errorf("SACKs received: %d with Nagle (want <= 4), %d with NODELAY (want >= 6)", nagle, nodelay)
		}
	})

	t.Run("EXPLICIT_EOR", func(t *testing.T) {
		c.cli.SetExplicitEOR(true)
		defer c.cli.SetExplicitEOR(false)
		for i, part := range []string{"one ", "two ", "three"} {
			if err := c.cli.SendMsg(ctx, sctpxdp.SndInfo{Stream: 1, PPID: 5, EOR: i == 2}, []byte(part)); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.cli.SendMsg(ctx, sctpxdp.SndInfo{Stream: 1, EOR: true}, []byte("four")); err != nil {
			t.Fatal(err)
		}
		got, info := optRecv(t, ctx, c.srv)
		if string(got) != "one two three" || info.Stream != 1 || info.PPID != 5 || !info.EOR {
			t.Errorf("first message %q %+v", got, info)
		}
		if got, _ := optRecv(t, ctx, c.srv); string(got) != "four" {
			t.Errorf("second message %q", got)
		}
		c.cli.SendMsg(ctx, sctpxdp.SndInfo{Stream: 1}, []byte("x"))
		if err := c.cli.SendMsg(ctx, sctpxdp.SndInfo{Stream: 2, EOR: true}, []byte("y")); !errors.Is(err, sctpxdp.ErrInvalid) {
			t.Errorf("stream changed before EOR: %v", err)
		}
	})

	t.Run("RECVNXTINFO", func(t *testing.T) {
		c.srv.SetRecvNextInfo(true)
		for i, m := range []string{"first", "second message"} {
			if err := c.cli.SendMsg(ctx, sctpxdp.SndInfo{Stream: uint16(i), PPID: uint32(10 + i)}, []byte(m)); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(200 * time.Millisecond) // both have arrived
		got, info := optRecv(t, ctx, c.srv)
		want := sctpxdp.NextInfo{Stream: 1, PPID: 11, Length: len("second message"), Complete: true, AssocID: c.srv.ID()}
		if string(got) != "first" || !info.HasNext || info.Next != want {
			t.Errorf("%q: next %+v (has %v), want %+v", got, info.Next, info.HasNext, want)
		}
		if _, info := optRecv(t, ctx, c.srv); info.HasNext {
			t.Errorf("next of the last message: %+v", info.Next)
		}
	})
}

// TestOptionsEndpoint: endpoint options change the associations made
// afterwards: INITMSG's outbound streams, the receive buffer the peer
// sees as a_rwnd, the adaptation code point in the INIT ACK; a live
// association keeps its values; a one-to-many endpoint's INITMSG applies
// to its implicit associations.
func TestOptionsEndpoint(t *testing.T) {
	srvLink, cliLink := pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	first := optDial(t, ctx, srvLink, cliLink, srvLink.IPv6, 5220, sctpxdp.Config{}, sctpxdp.Config{})
	ep := first.ep
	if m, err := ep.InitMsg(); err != nil || m.OutStreams != assoc.DefaultOutStreams {
		t.Errorf("InitMsg %+v %v", m, err)
	}
	if err := ep.SetInitMsg(sctpxdp.InitMsg{OutStreams: 3}); err != nil {
		t.Fatal(err)
	}
	if err := ep.SetReceiveBuffer(64 << 10); err != nil {
		t.Fatal(err)
	}
	if err := ep.SetAdaptationLayer(0x1234); err != nil {
		t.Fatal(err)
	}
	second := optDialTo(t, ctx, ep, cliLink, srvLink.IPv6, sctpxdp.Config{})
	st, _ := second.cli.Status()
	ap, _ := second.cli.AssocParams()
	_, _, peer, peerSent, err := second.cli.AdaptationLayer()
	if st.InStreams != 3 || ap.PeerRwnd != 64<<10 || !peerSent || peer != 0x1234 || err != nil {
		t.Errorf("new association: %d inbound streams (want 3), peer rwnd %d (want 65536), adaptation %#x %v (%v)",
			st.InStreams, ap.PeerRwnd, peer, peerSent, err)
	}
	if r, _ := second.srv.ReceiveBuffer(); r != 64<<10 {
		t.Errorf("server side receive buffer %d", r)
	}
	st, _ = first.cli.Status()
	if r, _ := first.srv.ReceiveBuffer(); st.InStreams != assoc.DefaultOutStreams || r != assoc.DefaultARwnd {
		t.Errorf("live association changed: %d inbound streams, receive buffer %d", st.InStreams, r)
	}

	// INITMSG of a one-to-many endpoint is what its implicit associations
	// ask for (RFC 6458 8.1.3; NetBSD sctp(4)).
	many, err := sctpxdp.ListenMany(sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path()})
	if err != nil {
		t.Fatal(err)
	}
	defer many.Close()
	if err := many.SetInitMsg(sctpxdp.InitMsg{OutStreams: 2}); err != nil {
		t.Fatal(err)
	}
	if err := many.SendMsg(ctx, netip.AddrPortFrom(srvLink.IPv6, ep.Port()), sctpxdp.SndInfo{}, []byte("implicit")); err != nil {
		t.Fatal(err)
	}
	srv, err := ep.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := srv.Status(); err != nil || st.InStreams != 2 {
		t.Errorf("implicit association: %d inbound streams at the server (%v), want the client's INITMSG 2", st.InStreams, err)
	}
}

// TestOptionsEnding: AUTOCLOSE shuts an idle association down; SCTP_EOF
// closes after the message; SCTP_ABORT aborts with the reason; EVENTS per
// association delivers the kinds chosen for it.
func TestOptionsEnding(t *testing.T) {
	srvLink, cliLink := pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	scfg := sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: 5230}
	ep, err := sctpxdp.Listen(scfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	buf := make([]byte, 1024)

	// AUTOCLOSE is a one-to-many option (RFC 6458 8.1.8): the one-to-one
	// server and its association refuse it; a one-to-many client's implicit
	// association takes the endpoint's value, then its own, and shuts down
	// after a second without DATA: the server reads io.EOF, the client
	// SHUTDOWN_COMP, and the association leaves the client's list.
	t.Run("AUTOCLOSE", func(t *testing.T) {
		if err := ep.SetAutoClose(time.Second); !errors.Is(err, sctpxdp.ErrNotSupported) {
			t.Errorf("SetAutoClose on a one-to-one endpoint: %v, want ErrNotSupported", err)
		}
		cli, err := sctpxdp.ListenMany(sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path(), Events: sctpxdp.EventAssocChange})
		if err != nil {
			t.Fatal(err)
		}
		defer cli.Close()
		if err := cli.SetAutoClose(time.Hour); err != nil {
			t.Fatal(err)
		}
		if d, err := cli.AutoClose(); err != nil || d != time.Hour {
			t.Errorf("endpoint autoclose %v %v, want 1h", d, err)
		}
		start := time.Now()
		if err := cli.SendMsg(ctx, netip.AddrPortFrom(srvLink.IPv4, ep.Port()), sctpxdp.SndInfo{}, []byte("idle")); err != nil {
			t.Fatal(err)
		}
		srv, err := ep.Accept(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.SetAutoClose(time.Second); !errors.Is(err, sctpxdp.ErrNotSupported) {
			t.Errorf("SetAutoClose on an accepted one-to-one association: %v, want ErrNotSupported", err)
		}
		if got, _ := optRecv(t, ctx, srv); string(got) != "idle" {
			t.Fatalf("server read %q", got)
		}
		_, info, err := cli.RecvMsg(ctx, buf)
		if err != nil || info.Notification == nil || info.Notification.Event != assoc.EventCommUp {
			t.Fatalf("client read %v %+v, want COMM_UP", err, info.Notification)
		}
		a, err := cli.Assoc(info.AssocID)
		if err != nil {
			t.Fatal(err)
		}
		if d, err := a.AutoClose(); err != nil || d != time.Hour {
			t.Errorf("new association's autoclose %v %v, want the endpoint's 1h", d, err)
		}
		if err := a.SetAutoClose(time.Second); err != nil {
			t.Fatal(err)
		}
		if _, _, err := srv.RecvMsg(ctx, buf); !errors.Is(err, io.EOF) {
			t.Fatalf("server read %v, want io.EOF after the client's autoclose", err)
		}
		if d := time.Since(start); d < 900*time.Millisecond {
			t.Errorf("closed after %v, before the idle second", d)
		}
		_, info, err = cli.RecvMsg(ctx, buf)
		if err != nil || info.Notification == nil || info.Notification.Event != assoc.EventShutdownComp || info.AssocID != a.ID() {
			t.Fatalf("client read %v %+v (association %d), want SHUTDOWN_COMP of %d", err, info.Notification, info.AssocID, a.ID())
		}
		if !waitFor(2*time.Second, func() bool {
			short, cancelShort := context.WithTimeout(ctx, 10*time.Millisecond)
			cli.RecvMsg(short, buf) // the end is read: the association leaves the list
			cancelShort()
			ids, _ := cli.Assocs()
			return len(ids) == 0
		}) {
			t.Errorf("autoclosed association still listed")
		}
	})

	t.Run("EOF", func(t *testing.T) {
		c := optDialTo(t, ctx, ep, cliLink, srvLink.IPv4, sctpxdp.Config{})
		if err := c.cli.SendMsg(ctx, sctpxdp.SndInfo{EOF: true}, []byte("last")); err != nil {
			t.Fatal(err)
		}
		if got, _ := optRecv(t, ctx, c.srv); string(got) != "last" {
			t.Errorf("got %q", got)
		}
		if _, _, err := c.srv.RecvMsg(ctx, buf); !errors.Is(err, io.EOF) {
			t.Errorf("after SCTP_EOF: %v, want io.EOF", err)
		}
	})

	t.Run("ABORT", func(t *testing.T) {
		c := optDialTo(t, ctx, ep, cliLink, srvLink.IPv4, sctpxdp.Config{})
		if err := c.srv.SetEvents(sctpxdp.EventAssocChange); err != nil {
			t.Fatal(err)
		}
		if err := c.cli.SendMsg(ctx, sctpxdp.SndInfo{Abort: true}, []byte("bye")); err != nil {
			t.Fatal(err)
		}
		n, info, err := c.srv.RecvMsg(ctx, buf)
		if err != nil || info.Notification == nil || info.Notification.Event != assoc.EventCommLost ||
			!bytes.Contains(info.Notification.Causes, []byte("bye")) || n != 0 {
			t.Fatalf("server read %v %+v, want COMM_LOST with the reason", err, info.Notification)
		}
		if _, _, err := c.srv.RecvMsg(ctx, buf); !errors.Is(err, sctpxdp.ErrAborted) {
			t.Errorf("after the ABORT: %v, want ErrAborted", err)
		}
	})

	// A record begun with explicit EOR and never ended: a graceful
	// shutdown would deliver a part as a whole, so the peer gets an ABORT.
	t.Run("EXPLICIT_EOR incomplete at shutdown", func(t *testing.T) {
		c := optDialTo(t, ctx, ep, cliLink, srvLink.IPv4, sctpxdp.Config{})
		if err := c.srv.SetEvents(sctpxdp.EventAssocChange); err != nil {
			t.Fatal(err)
		}
		c.cli.SetExplicitEOR(true)
		if err := c.cli.SendMsg(ctx, sctpxdp.SndInfo{}, []byte("half a rec")); err != nil {
			t.Fatal(err)
		}
		if err := c.cli.Shutdown(ctx); !errors.Is(err, sctpxdp.ErrAborted) {
			t.Errorf("Shutdown with a record open: %v, want ErrAborted", err)
		}
		_, info, err := c.srv.RecvMsg(ctx, buf)
		if err != nil || info.Notification == nil || info.Notification.Event != assoc.EventCommLost {
			t.Fatalf("server read %v %+v, want COMM_LOST and no data", err, info.Notification)
		}
	})

	t.Run("EVENTS", func(t *testing.T) {
		c := optDialTo(t, ctx, ep, cliLink, srvLink.IPv4, sctpxdp.Config{})
		if err := c.srv.SetEvents(sctpxdp.EventShutdown); err != nil {
			t.Fatal(err)
		}
		if c.srv.Events() != sctpxdp.EventShutdown {
			t.Errorf("events %#x", c.srv.Events())
		}
		go c.cli.Close()
		_, info, err := c.srv.RecvMsg(ctx, buf)
		if err != nil || info.Notification == nil || info.Notification.Event != assoc.EventShutdown {
			t.Fatalf("server read %v %+v, want SHUTDOWN_EVENT only", err, info.Notification)
		}
		if _, _, err := c.srv.RecvMsg(ctx, buf); !errors.Is(err, io.EOF) {
			t.Errorf("then %v, want io.EOF (no SHUTDOWN_COMP: assoc change not enabled)", err)
		}
	})
}

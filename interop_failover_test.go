package sctpxdp_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
	"github.com/sctp-xdp/sctp-xdp/assoc"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// eventLog collects the notifications a reader goroutine sees.
type eventLog struct {
	mu  sync.Mutex
	evs []sctpxdp.Notification
}

func (l *eventLog) add(n sctpxdp.Notification) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, n)
}

// has reports whether ev about addr was seen.
func (l *eventLog) has(ev assoc.EventType, addr netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range l.evs {
		if n.Event == ev && n.Addr == addr {
			return true
		}
	}
	return false
}

func (l *eventLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var s []string
	for _, n := range l.evs {
		s = append(s, n.Event.String()+" "+n.Addr.String())
	}
	return strings.Join(s, ", ")
}

// TestUsrsctpMultihomedFailover: a usrsctp peer with two addresses (C peer
// sink.c, bound to every address, so its INIT ACK lists both) receives a
// paced stream from our multi-homed client, which dials the first address
// only and confirms the second with a HEARTBEAT (RFC 9260 5.4,
// ADDR_CONFIRMED); midway the peer's first address goes away. Our side
// marks it potentially failed on the first T3-rtx expiry (RFC 7829 5.1),
// then unreachable after Path.Max.Retrans (RFC 9260 8.2), and the DATA
// moves to the second address: the peer reads every message once, in
// order, and the capture on its end shows DATA to both addresses.
func TestUsrsctpMultihomedFailover(t *testing.T) {
	srvLink, cliLink := pair(t)
	bin := testbed.BuildCPeer(t, "internal/testbed/cpeers/sink.c")
	// A second subnet on the same link: one more address each side.
	peer1 := srvLink.IPv4
	peer2, our2 := netip.MustParseAddr("198.19.255.2"), netip.MustParseAddr("198.19.255.1")
	srvLink.NS.Run(t, "ip", "addr", "add", peer2.String()+"/24", "dev", srvLink.Name)
	cliLink.NS.Run(t, "ip", "addr", "add", our2.String()+"/24", "dev", cliLink.Name)
	sink := srvLink.NS.Start(t, bin, "5401")
	if !sink.WaitOutput("listening", 10*time.Second) {
		t.Fatalf("sink did not start:\n%s", sink.Output())
	}
	capture := testbed.StartCapture(t, srvLink.NS, srvLink.Name, "sctp or icmp")
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	cfg := fastRTO
	cfg.NoDelay = true
	cfg.RTOMax = 500 * time.Millisecond
	cfg.HBInterval = 300 * time.Millisecond
	cfg.PathMaxRetrans = 2
	cfg.PFMaxRetrans = 0
	start := time.Now()
	// Our side is multi-homed too, both addresses announced in our INIT.
	// After the failure the peer can reach only our second address: what
	// goes to its second address must leave from ours.
	a, err := sctpxdp.Dial(ctx, sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path(),
		Addrs: []netip.Addr{cliLink.IPv4, our2}, Events: sctpxdp.EventPeerAddrChange, Assoc: cfg},
		netip.AddrPortFrom(peer1, 5401))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Abort()
	var events eventLog
	readEnd := make(chan error, 1)
	go func() {
		buf := make([]byte, 256)
		for {
			_, info, err := a.RecvMsg(ctx, buf)
			if err != nil {
				readEnd <- err
				return
			}
			if info.Notification != nil {
				events.add(*info.Notification)
			}
		}
	}()
	if !waitFor(5*time.Second, func() bool { return events.has(assoc.EventAddrConfirmed, peer2) }) {
		t.Fatalf("the peer's second address (listed in its INIT ACK) was not confirmed; events: %v", &events)
	}
	const n, breakAt = 3000, 1000
	msg := make([]byte, 200)
	for i := 0; i < n; i++ {
		if i == breakAt {
			// The primary path breaks: the peer's kernel drops what is
			// addressed to an address it no longer has (no forwarding, no
			// ICMP), and the peer cannot reach our first subnet any more.
			srvLink.NS.Run(t, "ip", "addr", "del", peer1.String()+"/24", "dev", srvLink.Name)
		}
		binary.BigEndian.PutUint32(msg, uint32(i))
		if err := a.SendMsg(ctx, sctpxdp.SndInfo{PPID: ppid(i)}, msg); err != nil {
			t.Fatalf("send %d: %v (events: %v)", i, err, &events)
		}
		if i%20 == 19 {
			time.Sleep(10 * time.Millisecond) // paced: the transfer spans the failure
		}
	}
	if err := a.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v (events: %v)", err, &events)
	}
	elapsed := time.Since(start)
	if err := <-readEnd; !errors.Is(err, io.EOF) {
		t.Errorf("reader: %v, want io.EOF", err)
	}
	st := a.Stats()
	t.Logf("events: %v", &events)
	for _, ev := range []assoc.EventType{assoc.EventAddrPotentiallyFailed, assoc.EventAddrUnreachable} {
		if !events.has(ev, peer1) {
			t.Errorf("no %v for %v", ev, peer1)
		}
	}
	if !sink.WaitOutput("received", 10*time.Second) {
		t.Fatalf("sink did not report:\n%s", sink.Output())
	}
	want := fmt.Sprintf("received %d in-order %d out-of-order 0 bad 0", n, n)
	if !strings.Contains(sink.Output(), want) {
		t.Errorf("sink: %q, want %q", sink.Output(), want)
	}
	s := checkCapture(t, capture.Stop(t), captureExpect{Messages: n, Shutdowns: 1})
	if s.DataTo[peer1.String()] == 0 || s.DataTo[peer2.String()] == 0 {
		t.Errorf("DATA by destination %v: want some to each of %v and %v", s.DataTo, peer1, peer2)
	}
	t.Logf("%d retransmissions (%d fast, %d T3 expiries)", st.RtxChunks, st.FastRetransmits, st.T3Expiries)
	logCase(t, "usrsctp-multihomed-failover", n, elapsed, int(st.RtxChunks), s.repeatsFrom(peer1)+s.repeatsFrom(peer2))
}

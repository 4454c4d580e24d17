package sctpxdp_test

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// plus is a with n added to its last byte (an address of the same subnet).
func plus(a netip.Addr, n byte) netip.Addr {
	b := a.AsSlice()
	b[len(b)-1] += n
	r, _ := netip.AddrFromSlice(b)
	return r
}

// addAddr puts a second address on l's interface (IPv6 without DAD).
func addAddr(t *testing.T, l *testbed.Link, a netip.Addr) {
	bits := 24
	extra := []string{}
	if a.Is6() {
		bits, extra = 64, []string{"nodad"}
	}
	l.NS.Run(t, "ip", append([]string{"addr", "add", netip.PrefixFrom(a, bits).String(), "dev", l.Name}, extra...)...)
}

// bindRetry is BindAddrs, retried while the runtime has not yet heard of
// the address netlink just reported.
func bindRetry(t *testing.T, ep *sctpxdp.Endpoint, a netip.Addr) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		err := ep.BindAddrs(a)
		if err == nil {
			return
		}
		if !errors.Is(err, sctpxdp.ErrInvalid) || time.Now().After(deadline) {
			t.Fatalf("BindAddrs(%v): %v", a, err)
		}
	}
}

// TestBindAddrs (sctp_bindx, getladdrs, getpaddrs, connectx): a second
// address bound at run time is steered to the endpoint (a peer reaches
// it), listed by LocalAddrs, and announced in the INIT and INIT ACK of new
// associations (the peer's PeerAddrs lists both); unbound, it is neither
// reachable nor announced. The last address cannot go; foreign, unbound
// and wildcard cases are refused.
func TestBindAddrs(t *testing.T) {
	srvLink, cliLink := pair(t)
	families(t, srvLink, func(t *testing.T, first netip.Addr) {
		ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
		defer cancel()
		second := plus(first, 100)
		addAddr(t, srvLink, second)
		port := uint16(5141)
		if first.Is6() {
			port++
		}
		srv, err := sctpxdp.Listen(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: port,
			Addrs: []netip.Addr{first}, Assoc: noDelay})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		cli, err := sctpxdp.Listen(sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path(), Port: port + 10, Assoc: noDelay})
		if err != nil {
			t.Fatal(err)
		}
		defer cli.Close()
		go func() { // the server accepts and keeps what it is given
			for {
				if _, err := srv.Accept(ctx); err != nil {
					return
				}
			}
		}()
		if got := srv.LocalAddrs(); !slices.Equal(got, []netip.Addr{first}) {
			t.Errorf("LocalAddrs before bindx: %v", got)
		}
		bindRetry(t, srv, second)
		if got := srv.LocalAddrs(); !slices.Equal(got, []netip.Addr{first, second}) {
			t.Errorf("LocalAddrs after bindx: %v", got)
		}
		// INIT ACK: a client's association to the first address learns both.
		a, err := cli.Dial(ctx, port, first)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.PeerAddrs(); !slices.Equal(got, []netip.Addr{first, second}) {
			t.Errorf("client PeerAddrs (from the INIT ACK): %v, want [%v %v]", got, first, second)
		}
		if got := a.LocalAddrs(); !slices.Contains(got, cliLink.IPv4) && !slices.Contains(got, cliLink.IPv6) {
			t.Errorf("client LocalAddrs: %v", got)
		}
		a.Close()
		if got := a.PeerAddrs(); len(got) != 2 {
			t.Errorf("PeerAddrs after the end: %v, want the last known two", got)
		}
		// INIT: the server's association lists both; the client sees them.
		peer := cliLink.IPv4
		if first.Is6() {
			peer = cliLink.IPv6
		}
		go func() {
			sa, err := srv.Dial(ctx, port+10, peer)
			if err != nil {
				t.Errorf("server Dial: %v", err)
				return
			}
			if got := sa.LocalAddrs(); !slices.Equal(got, []netip.Addr{first, second}) {
				t.Errorf("server association's LocalAddrs: %v", got)
			}
		}()
		b, err := cli.Accept(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := b.PeerAddrs(); !slices.Contains(got, first) || !slices.Contains(got, second) {
			t.Errorf("client PeerAddrs (from the INIT): %v, want %v and %v", got, first, second)
		}
		b.Close()
		// The second address is steered to the endpoint: a Dial to it succeeds.
		c, err := cli.Dial(ctx, port, second)
		if err != nil {
			t.Fatalf("Dial to the bound address %v: %v", second, err)
		}
		c.Close()

		// Unbound: no longer announced, no longer reached.
		if err := srv.UnbindAddrs(second); err != nil {
			t.Fatal(err)
		}
		if got := srv.LocalAddrs(); !slices.Equal(got, []netip.Addr{first}) {
			t.Errorf("LocalAddrs after unbind: %v", got)
		}
		d, err := cli.Dial(ctx, port, first)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.PeerAddrs(); !slices.Equal(got, []netip.Addr{first}) {
			t.Errorf("client PeerAddrs after unbind: %v", got)
		}
		d.Close()
		short, cancelShort := context.WithTimeout(ctx, 1500*time.Millisecond)
		defer cancelShort()
		if e, err := cli.Dial(short, port, second); err == nil {
			e.Abort()
			t.Errorf("Dial to an unbound address succeeded")
		}

		// Argument errors.
		if err := srv.UnbindAddrs(first); !errors.Is(err, sctpxdp.ErrInvalid) {
			t.Errorf("unbinding the last address: %v", err)
		}
		if err := srv.UnbindAddrs(second); !errors.Is(err, sctpxdp.ErrInvalid) {
			t.Errorf("unbinding an unbound address: %v", err)
		}
		if err := srv.BindAddrs(first); !errors.Is(err, sctpxdp.ErrInvalid) {
			t.Errorf("binding a bound address: %v", err)
		}
		if err := srv.BindAddrs(plus(first, 200)); !errors.Is(err, sctpxdp.ErrInvalid) {
			t.Errorf("binding an address not on the interface: %v", err)
		}
		if err := cli.BindAddrs(plus(cliLink.IPv4, 100)); !errors.Is(err, sctpxdp.ErrInvalid) {
			t.Errorf("binding on a wildcard endpoint: %v", err)
		}
		if got := cli.LocalAddrs(); !slices.Contains(got, cliLink.IPv4) || !slices.Contains(got, cliLink.IPv6) {
			t.Errorf("wildcard LocalAddrs %v lacks %v or %v", got, cliLink.IPv4, cliLink.IPv6)
		}
		srv.Close()
		if err := srv.BindAddrs(second); !errors.Is(err, sctpxdp.ErrClosed) {
			t.Errorf("BindAddrs after Close: %v", err)
		}
	})
}

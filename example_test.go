package sctpxdp_test

import (
	"context"
	"fmt"
	"log"
	"net/netip"
	"testing"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
)

// echoOnce is the body of ExampleListen: accept one association and echo
// its messages until the peer shuts it down.
func echoOnce(ctx context.Context, ep *sctpxdp.Endpoint) error {
	a, err := ep.Accept(ctx)
	if err != nil {
		return err
	}
	buf := make([]byte, 64<<10)
	for {
		n, info, err := a.RecvMsg(ctx, buf)
		if err != nil {
			return nil // io.EOF: the peer shut down
		}
		if err := a.SendMsg(ctx, sctpxdp.SndInfo{Stream: info.Stream, PPID: info.PPID}, buf[:n]); err != nil {
			return err
		}
	}
}

// askOnce is the body of ExampleDial: one request, one answer, a graceful
// close.
func askOnce(ctx context.Context, cfg sctpxdp.Config, server netip.AddrPort) (string, error) {
	a, err := sctpxdp.Dial(ctx, cfg, server)
	if err != nil {
		return "", err
	}
	defer a.Close() // graceful: what SendMsg accepted is delivered first
	if err := a.SendMsg(ctx, sctpxdp.SndInfo{Stream: 1, PPID: 46}, []byte("hello over AF_XDP")); err != nil {
		return "", err
	}
	buf := make([]byte, 1500)
	n, _, err := a.RecvMsg(ctx, buf)
	return string(buf[:n]), err
}

// A server: an echo endpoint on port 5001 of every address of eth1 (run as
// root; the XDP program is attached while the endpoint is open).
func ExampleListen() {
	ep, err := sctpxdp.Listen(sctpxdp.Config{Interface: "eth1", Port: 5001})
	if err != nil {
		log.Fatal(err)
	}
	defer ep.Close() // graceful shutdown of the associations, then detach
	if err := echoOnce(context.Background(), ep); err != nil {
		log.Fatal(err)
	}
}

// A client: an association from an ephemeral port of eth1 to a server.
func ExampleDial() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	answer, err := askOnce(ctx, sctpxdp.Config{Interface: "eth1"}, netip.MustParseAddrPort("198.18.0.1:5001"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(answer)
}

// TestExamples runs the examples' code between two namespaces.
func TestExamples(t *testing.T) {
	srvLink, cliLink := pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ep, err := sctpxdp.Listen(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: 5001})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	served := make(chan error, 1)
	go func() { served <- echoOnce(ctx, ep) }()
	answer, err := askOnce(ctx, sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path()},
		netip.AddrPortFrom(srvLink.IPv4, 5001))
	if err != nil || answer != "hello over AF_XDP" {
		t.Fatalf("answer %q, %v", answer, err)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}

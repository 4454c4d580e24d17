package sctpxdp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
)

// readAll reads notifications and data until the end, as a log of lines.
func readAll(ctx context.Context, a *sctpxdp.Assoc) ([]string, error) {
	var log []string
	buf := make([]byte, 2048)
	for {
		n, info, err := a.RecvMsg(ctx, buf)
		if errors.Is(err, io.EOF) {
			return append(log, "EOF"), nil
		}
		if err != nil {
			return log, err
		}
		if info.Notification != nil {
			log = append(log, info.Notification.Event.String())
			continue
		}
		log = append(log, fmt.Sprintf("data %q", buf[:n]))
	}
}

// TestNotificationsInOrder: notifications arrive through RecvMsg, flagged,
// in order with the data (RFC 6458 6.1), only the kinds enabled.
func TestNotificationsInOrder(t *testing.T) {
	srvLink, cliLink := pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ep, err := sctpxdp.Listen(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: 5008,
		Events: sctpxdp.EventAssocChange | sctpxdp.EventShutdown})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	got := make(chan []string, 1)
	go func() {
		a, err := ep.Accept(ctx)
		if err != nil {
			got <- []string{err.Error()}
			return
		}
		log, err := readAll(ctx, a)
		if err != nil {
			log = append(log, err.Error())
		}
		got <- log
	}()
	c, err := sctpxdp.Dial(ctx, sctpxdp.Config{Interface: cliLink.Name, NetNS: cliLink.NS.Path()},
		netip.AddrPortFrom(srvLink.IPv4, 5008))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"one", "two"} {
		if err := c.SendMsg(ctx, sctpxdp.SndInfo{}, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	want := `COMM_UP|data "one"|data "two"|SHUTDOWN_EVENT|SHUTDOWN_COMP|EOF`
	if log := strings.Join(<-got, "|"); log != want {
		t.Errorf("server read %s\nwant         %s", log, want)
	}
	// Kinds whose protocol work comes later are refused clearly.
	if _, err := sctpxdp.Listen(sctpxdp.Config{Interface: srvLink.Name, NetNS: srvLink.NS.Path(), Port: 5009,
		Events: sctpxdp.EventStreamReset}); !errors.Is(err, sctpxdp.ErrNotSupported) {
		t.Errorf("stream reset events: %v", err)
	}
}

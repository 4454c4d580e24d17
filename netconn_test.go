package sctpxdp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
)

// isTimeout: the error of a passed deadline, as net.Conn promises it.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) && errors.As(err, &ne) && ne.Timeout()
}

// TestConnDeadlines: Assoc as a net.Conn honours deadlines. A read
// deadline in the past fails Read at once, even with data waiting;
// cleared, Read returns the data; a near deadline fails a Read that has
// nothing to read; a Write blocked by a reader that never reads times out;
// Read and Write fail after Close.
func TestConnDeadlines(t *testing.T) {
	srvLink, cliLink := pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := optDial(t, ctx, srvLink, cliLink, srvLink.IPv4, 5240, sctpxdp.Config{}, sctpxdp.Config{})
	var conn net.Conn = c.srv
	buf := make([]byte, 64)

	if _, err := c.cli.Write([]byte("waiting")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	conn.SetReadDeadline(time.Now().Add(-time.Second))
	if n, err := conn.Read(buf); !isTimeout(err) || n != 0 {
		t.Fatalf("Read past its deadline: %d, %v", n, err)
	}
	conn.SetReadDeadline(time.Time{})
	if n, err := conn.Read(buf); err != nil || string(buf[:n]) != "waiting" {
		t.Fatalf("Read after clearing the deadline: %q, %v", buf[:n], err)
	}

	start := time.Now()
	conn.SetReadDeadline(start.Add(150 * time.Millisecond))
	if _, err := conn.Read(buf); !isTimeout(err) {
		t.Fatalf("Read with nothing to read: %v, want a timeout", err)
	}
	if d := time.Since(start); d < 140*time.Millisecond {
		t.Errorf("Read timed out after %v, before its deadline", d)
	}
	conn.SetReadDeadline(time.Time{})

	// The server reads nothing: the client's writes fill the peer's
	// window, the send buffer and the send ring, then block.
	c.cli.SetWriteDeadline(time.Now().Add(time.Second))
	chunk := make([]byte, 256<<10)
	var werr error
	total := 0
	for i := 0; i < 1000 && werr == nil; i++ {
		var n int
		n, werr = c.cli.Write(chunk)
		total += n
	}
	if !isTimeout(werr) {
		t.Fatalf("Write to a reader that never reads: %v after %d bytes, want a timeout", werr, total)
	}
	t.Logf("write blocked after %d MiB", total>>20)
	c.cli.SetWriteDeadline(time.Time{})

	c.cli.Abort()
	if _, err := c.cli.Write([]byte("x")); err == nil {
		t.Errorf("Write after Abort succeeded")
	}
	if _, err := c.cli.Read(buf); err == nil {
		t.Errorf("Read after Abort succeeded")
	}
	// The server reads what arrived before the ABORT, then the end.
	big := make([]byte, 300<<10)
	var rerr error
	for i := 0; i < 1000 && rerr == nil; i++ {
		_, rerr = c.srv.Read(big)
	}
	if !errors.Is(rerr, sctpxdp.ErrAborted) {
		t.Errorf("server Read after the peer's ABORT: %v, want ErrAborted", rerr)
	}
}

// TestConnIOCopy: io.Copy through the Conn both ways, IPv4 and IPv6: the
// server echoes with io.Copy(conn, conn), the client copies 2 MiB in and
// reads them back byte for byte while other goroutines call the Conn's
// other methods; the client's Close ends the server's io.Copy cleanly.
func TestConnIOCopy(t *testing.T) {
	srvLink, cliLink := pair(t)
	var port uint16 = 5250
	families(t, srvLink, func(t *testing.T, dst netip.Addr) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		port++
		c := optDial(t, ctx, srvLink, cliLink, dst, port, sctpxdp.Config{}, sctpxdp.Config{})
		echoed := make(chan error, 1)
		go func() {
			_, err := io.Copy(c.srv, c.srv)
			echoed <- err
		}()
		data := make([]byte, 2<<20)
		rng := rand.New(rand.NewPCG(3, 4))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		var wg sync.WaitGroup
		stop := make(chan struct{})
		wg.Add(2)
		go func() { // other methods meanwhile (run with -race)
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if !strings.Contains(c.cli.RemoteAddr().String(), dst.String()) || c.cli.LocalAddr().Network() != "sctp" {
					t.Errorf("addresses %v %v", c.cli.RemoteAddr(), c.cli.LocalAddr())
				}
				c.cli.SetDeadline(time.Time{})
				time.Sleep(time.Millisecond)
			}
		}()
		var copyErr error
		go func() {
			defer wg.Done()
			_, copyErr = io.Copy(c.cli, bytes.NewReader(data))
		}()
		got := make([]byte, len(data))
		if _, err := io.ReadFull(c.cli, got); err != nil {
			t.Fatalf("reading the echo: %v", err)
		}
		close(stop)
		wg.Wait()
		if copyErr != nil {
			t.Fatal(copyErr)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("echo differs")
		}
		if err := c.cli.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-echoed:
			if err != nil {
				t.Errorf("server io.Copy: %v, want nil at the end", err)
			}
		case <-ctx.Done():
			t.Fatal("server io.Copy did not end")
		}
	})
}

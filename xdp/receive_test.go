package xdp_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/bpf"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
	"github.com/sctp-xdp/sctp-xdp/xdp"
)

// TestReceiveSteered: SCTP to our (address, port) reaches the socket byte
// for byte; SCTP to another port, ICMP echo, TCP and UDP go to the kernel,
// whose exchanges (ARP and ND included) keep working while attached.
func TestReceiveSteered(t *testing.T) {
	e := newEnv(t, testbed.VethConfig{}, xdp.Options{})
	s := e.socks[0]
	for _, fam := range []struct {
		name       string
		ours, peer netip.Addr
	}{
		{"IPv4", e.ours.IPv4, e.peer.IPv4},
		{"IPv6", e.ours.IPv6, e.peer.IPv6},
	} {
		t.Run(fam.name, func(t *testing.T) {
			// Forget the neighbours so that ARP/ND run under the program.
			e.ours.NS.Run(t, "ip", "neigh", "flush", "dev", e.ours.Name)
			e.peer.NS.Run(t, "ip", "neigh", "flush", "dev", e.peer.Name)

			before, err := e.prog.Counters()
			if err != nil {
				t.Fatal(err)
			}
			sent := e.scapySend(t, fam.ours, "SCTP(sport=40000, dport=5000, tag=0x11223344)/SCTPChunkData(tsn=7, data=b'hello, steered world')")
			got := receive(t, s, 2*time.Second, 1)
			if len(got) != 1 || !bytes.Equal(got[0], sent) {
				t.Fatalf("received %d frames %x, want exactly %x", len(got), got, sent)
			}

			// An ICMP error about a packet we sent (source = our endpoint).
			icmpErr := "ICMP(type=3, code=4, nexthopmtu=1280)/IP(src=%q, dst=%q)/SCTP(sport=5000, dport=40000, tag=7)"
			if fam.ours.Is6() {
				icmpErr = "ICMPv6PacketTooBig(mtu=1280)/IPv6(src=%q, dst=%q)/SCTP(sport=5000, dport=40000, tag=7)"
			}
			sent = e.scapySend(t, fam.ours, fmt.Sprintf(icmpErr, fam.ours, fam.peer))
			got = receive(t, s, 2*time.Second, 1)
			if len(got) != 1 || !bytes.Equal(got[0], sent) {
				t.Fatalf("ICMP error: received %d frames %x, want exactly %x", len(got), got, sent)
			}

			// Not ours: another port, echo, TCP, UDP.
			e.scapySend(t, fam.ours, "SCTP(sport=40000, dport=5001)/SCTPChunkData(tsn=7, data=b'x')")
			icmpEcho(t, e, fam.ours)
			tcpEcho(t, e, fam.ours)
			udpEcho(t, e, fam.ours)
			if got := receive(t, s, 300*time.Millisecond, 1); len(got) != 0 {
				t.Fatalf("socket received %d frames not ours: %x", len(got), got[0])
			}
			after, err := e.prog.Counters()
			if err != nil {
				t.Fatal(err)
			}
			if d := after[bpf.Steered] - before[bpf.Steered]; d != 1 {
				t.Errorf("steered %d frames, want 1", d)
			}
			if d := after[bpf.ICMPSteered] - before[bpf.ICMPSteered]; d != 1 {
				t.Errorf("ICMP steered %d frames, want 1", d)
			}
			if d := after[bpf.NotOurs] - before[bpf.NotOurs]; d != 1 {
				t.Errorf("not ours: %d, want 1", d)
			}
			if after[bpf.NotSCTP] == before[bpf.NotSCTP] {
				t.Error("not-SCTP counter did not move")
			}
			if after[bpf.NoSocket] != 0 || after[bpf.Malformed] != 0 {
				t.Errorf("counters %v", after)
			}
		})
	}
	st, err := s.Statistics()
	if err != nil {
		t.Fatal(err)
	}
	if st.RXDropped != 0 || st.RXInvalidDescs != 0 || st.RXRingFull != 0 {
		t.Errorf("kernel statistics %+v", st)
	}
	if c := s.FrameCounts(); c.Held != 0 || c.Fill != 1024 || c.Free+c.Fill != 4096 {
		t.Errorf("frame counts %+v", c)
	}
}

// icmpEcho sends an ICMP or ICMPv6 echo request (RFC 792, RFC 4443
// section 4.1) from the peer and waits for the reply.
func icmpEcho(t *testing.T, e *env, addr netip.Addr) {
	t.Helper()
	network, req := "ip4:icmp", []byte{8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g'}
	if addr.Is6() {
		// The kernel fills in the ICMPv6 checksum of raw ICMPv6 sockets.
		network, req[0] = "ip6:ipv6-icmp", 128
	} else {
		var sum uint32
		for i := 0; i < len(req); i += 2 {
			sum += uint32(req[i])<<8 | uint32(req[i+1])
		}
		sum = sum>>16 + sum&0xffff
		sum += sum >> 16
		binary.BigEndian.PutUint16(req[2:], ^uint16(sum))
	}
	if err := e.peer.NS.Do(func() error {
		c, err := net.ListenPacket(network, "")
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.WriteTo(req, &net.IPAddr{IP: addr.AsSlice()}); err != nil {
			return err
		}
		buf := make([]byte, 1500)
		for {
			n, _, err := c.ReadFrom(buf)
			if err != nil {
				return err
			}
			// Replies: type 0 (ICMP) or 129 (ICMPv6), our identifier.
			if n >= 8 && (buf[0] == 0 || buf[0] == 129) && buf[4] == 0x12 && buf[5] == 0x34 {
				return nil
			}
		}
	}); err != nil {
		t.Fatalf("echo to %v: %v", addr, err)
	}
}

// tcpEcho runs one TCP exchange from the peer to a listener of ours.
func tcpEcho(t *testing.T, e *env, addr netip.Addr) {
	t.Helper()
	var ln net.Listener
	if err := e.ours.NS.Do(func() (err error) {
		ln, err = net.Listen("tcp", netip.AddrPortFrom(addr, 0).String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.Copy(c, c)
	}()
	msg := []byte("tcp still works")
	if err := e.peer.NS.Do(func() error {
		d := net.Dialer{Timeout: 5 * time.Second}
		c, err := d.DialContext(context.Background(), "tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write(msg); err != nil {
			return err
		}
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(c, buf); err != nil {
			return err
		}
		if !bytes.Equal(buf, msg) {
			t.Errorf("tcp echo %q", buf)
		}
		return nil
	}); err != nil {
		t.Fatalf("tcp to %v: %v", addr, err)
	}
}

// udpEcho runs one UDP exchange from the peer to a socket of ours.
func udpEcho(t *testing.T, e *env, addr netip.Addr) {
	t.Helper()
	var pc net.PacketConn
	if err := e.ours.NS.Do(func() (err error) {
		pc, err = net.ListenPacket("udp", netip.AddrPortFrom(addr, 0).String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 100)
		pc.SetDeadline(time.Now().Add(5 * time.Second))
		n, from, err := pc.ReadFrom(buf)
		if err == nil {
			pc.WriteTo(buf[:n], from)
		}
	}()
	_, port, _ := net.SplitHostPort(pc.LocalAddr().String())
	p, _ := strconv.Atoi(port)
	msg := []byte("udp still works")
	if err := e.peer.NS.Do(func() error {
		c, err := net.Dial("udp", netip.AddrPortFrom(addr, uint16(p)).String())
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write(msg); err != nil {
			return err
		}
		buf := make([]byte, 100)
		n, err := c.Read(buf)
		if err != nil {
			return err
		}
		if !bytes.Equal(buf[:n], msg) {
			t.Errorf("udp echo %q", buf[:n])
		}
		return nil
	}); err != nil {
		t.Fatalf("udp to %v: %v", addr, err)
	}
}

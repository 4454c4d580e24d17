package testbed

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pair is two namespaces joined by a veth.
func pair(t *testing.T) (a, b *Link) {
	na, nb := NewNetns(t), NewNetns(t)
	return NewVeth(t, na, nb, VethConfig{})
}

func TestVethUDPAndTCP(t *testing.T) {
	RequirePriv(t)
	a, b := pair(t)
	for _, fam := range []struct {
		name   string
		client netip.Addr
		server netip.Addr
	}{{"IPv4", a.IPv4, b.IPv4}, {"IPv6", a.IPv6, b.IPv6}} {
		t.Run(fam.name+"/UDP", func(t *testing.T) {
			var srv net.PacketConn
			if err := b.NS.Do(func() (err error) {
				srv, err = net.ListenPacket("udp", netip.AddrPortFrom(fam.server, 0).String())
				return err
			}); err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			go func() { // echo one datagram
				buf := make([]byte, 100)
				n, from, err := srv.ReadFrom(buf)
				if err == nil {
					srv.WriteTo(buf[:n], from)
				}
			}()
			var c net.Conn
			if err := a.NS.Do(func() (err error) {
				c, err = net.Dial("udp", srv.LocalAddr().String())
				return err
			}); err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := c.Write([]byte("ping")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 100)
			n, err := c.Read(buf)
			if err != nil || string(buf[:n]) != "ping" {
				t.Fatalf("UDP echo: %q, %v", buf[:n], err)
			}
		})
		t.Run(fam.name+"/TCP", func(t *testing.T) {
			var ln net.Listener
			if err := b.NS.Do(func() (err error) {
				ln, err = net.Listen("tcp", netip.AddrPortFrom(fam.server, 0).String())
				return err
			}); err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				c, err := ln.Accept()
				if err == nil {
					io.Copy(c, c)
					c.Close()
				}
			}()
			var c net.Conn
			if err := a.NS.Do(func() (err error) {
				c, err = net.DialTimeout("tcp", ln.Addr().String(), 10*time.Second)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			msg := strings.Repeat("sctp-xdp ", 1000)
			go c.Write([]byte(msg))
			got := make([]byte, len(msg))
			if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
				t.Fatalf("TCP echo: %v", err)
			}
		})
	}
}

func TestVethQueuesAndMTU(t *testing.T) {
	RequirePriv(t)
	na, nb := NewNetns(t), NewNetns(t)
	a, _ := NewVeth(t, na, nb, VethConfig{MTU: 3498, Queues: 2})
	out := na.Run(t, "ls", "/sys/class/net/"+a.Name+"/queues")
	if got := strings.Fields(out); strings.Join(got, " ") != "rx-0 rx-1 tx-0 tx-1" {
		t.Errorf("queues of %s: %q", a.Name, got)
	}
	if mtu := strings.TrimSpace(na.Run(t, "cat", "/sys/class/net/"+a.Name+"/mtu")); mtu != "3498" {
		t.Errorf("MTU %s, want 3498", mtu)
	}
	if a.Index == 0 || len(a.MAC) != 6 {
		t.Errorf("link not read: %+v", a)
	}
}

func TestSweepRemovesLeftovers(t *testing.T) {
	RequirePriv(t)
	start, err := procStartTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Same PID, another start time: the owner is gone (a reused PID).
	dead := fmt.Sprintf("%s%d-%d-%d", Prefix, os.Getpid(), start+1, 1)
	live := &Netns{name: fmt.Sprintf("%s%d-%d-%d", Prefix, os.Getpid(), start, 1000+seq.Add(1))}
	t.Cleanup(func() { live.Delete() })
	for _, n := range []string{dead, live.name} {
		if err := ip("netns", "add", n); err != nil {
			t.Fatal(err)
		}
	}
	leftover := &Netns{name: dead}
	t.Cleanup(func() { leftover.Delete() })
	sleeper, err := leftover.StartProc("sleep", "60")
	if err != nil {
		t.Fatal(err)
	}
	waitInNetns(t, sleeper.Pid(), leftover.Path())
	if err := Sweep(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(leftover.Path()); !os.IsNotExist(err) {
		t.Errorf("leftover namespace %s still there (%v)", dead, err)
	}
	if err := sleeper.Wait(5 * time.Second); err == ErrWaitTimeout {
		t.Errorf("process inside the leftover namespace survived the sweep")
	}
	if _, err := os.Stat(live.Path()); err != nil {
		t.Errorf("namespace of a live owner was swept: %v", err)
	}
}

// waitInNetns waits until `ip netns exec` has moved pid into the namespace.
func waitInNetns(t *testing.T, pid int, path string) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("net:[%d]", st.Ino)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if link, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid)); link == want {
			return
		}
	}
	t.Fatalf("process %d never entered %s", pid, path)
}

// TestLockSerialisesProcesses runs two copies of this test binary that each
// hold the machine lock for a while and checks that their holds never overlap.
func TestLockSerialisesProcesses(t *testing.T) {
	if os.Getenv("TESTBED_LOCK_CHILD") != "" {
		return // the child's work is in TestMain
	}
	log := filepath.Join(t.TempDir(), "holds")
	var cmds []*exec.Cmd
	for i := 0; i < 2; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "TESTBED_LOCK_CHILD="+log)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("lock child: %v", err)
		}
	}
	f, err := os.Open(log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type hold struct{ from, to int64 }
	var holds []hold
	s := bufio.NewScanner(f)
	for s.Scan() {
		var h hold
		if _, err := fmt.Sscan(s.Text(), &h.from, &h.to); err != nil {
			t.Fatalf("log line %q: %v", s.Text(), err)
		}
		holds = append(holds, h)
	}
	if len(holds) != 2 {
		t.Fatalf("%d holds logged, want 2", len(holds))
	}
	a, b := holds[0], holds[1]
	if a.from < b.to && b.from < a.to {
		t.Errorf("holds overlap: %v and %v", a, b)
	}
}

func TestMain(m *testing.M) {
	if log := os.Getenv("TESTBED_LOCK_CHILD"); log != "" {
		release, err := lockMachine()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		from := time.Now().UnixNano()
		time.Sleep(300 * time.Millisecond)
		to := time.Now().UnixNano()
		f, err := os.OpenFile(log, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
		if err == nil {
			fmt.Fprintf(f, "%d %d\n", from, to) // before release: the next holder writes after
			f.Close()
		}
		release()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// sctpFrame is an Ethernet/IPv4/SCTP frame with one COOKIE ACK chunk and a
// correct CRC32c, built by hand so that the test bed does not depend on wire.
func sctpFrame(badCRC bool) []byte {
	sctp := []byte{0x13, 0x88, 0x13, 0x89, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 11, 0, 0, 4}
	crc := crc32.Checksum(sctp, crc32.MakeTable(crc32.Castagnoli))
	if badCRC {
		crc ^= 1
	}
	binary.LittleEndian.PutUint32(sctp[8:], crc)
	ipv4 := []byte{0x45, 0, 0, byte(20 + len(sctp)), 0, 1, 0x40, 0, 64, 132, 0, 0,
		198, 18, 0, 1, 198, 18, 0, 2}
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(ipv4[i])<<8 | uint32(ipv4[i+1])
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ipv4[10:], ^uint16(sum))
	eth := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00}
	return append(append(eth, ipv4...), sctp...)
}

func TestDissectChecksTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		if os.Getenv(EnvRequirePriv) == "1" {
			t.Fatal("tshark missing: run scripts/deps.sh")
		}
		t.Skip("tshark missing")
	}
	good := WritePcap(t, [][]byte{sctpFrame(false)})
	pkts := Dissect(t, good, "sctp.srcport", "sctp.verification_tag", "sctp.chunk_type")
	if len(pkts) != 1 {
		t.Fatalf("%d packets dissected", len(pkts))
	}
	p := pkts[0]
	if p.Get("sctp.srcport") != "5000" || p.Get("sctp.verification_tag") != "0xdeadbeef" ||
		p.Get("sctp.chunk_type") != "11" || p.Get("sctp.checksum.status") != "1" {
		t.Errorf("fields: %v", p)
	}
	if _, err := dissect(WritePcap(t, [][]byte{sctpFrame(true)}), nil); err == nil ||
		!strings.Contains(err.Error(), "sctp.checksum.status") {
		t.Errorf("bad CRC32c not reported: %v", err)
	}
}

func TestCaptureAndUsrsctp(t *testing.T) {
	RequirePriv(t)
	a, b := pair(t)
	capture := StartCapture(t, a.NS, a.Name, "sctp")
	srv := b.NS.Start(t, USRSCTP("tsctp"), "-E", "0")
	time.Sleep(300 * time.Millisecond)
	cli := a.NS.Run(t, USRSCTP("tsctp"), "-E", "0", "-n", "100", "-l", "100", b.IPv4.String())
	if !strings.Contains(cli, "Sending of 100 messages of length 100") {
		t.Errorf("tsctp client output:\n%s", cli)
	}
	if !srv.WaitOutput("100, 100, ", 10*time.Second) { // "length, messages, ..." line
		t.Errorf("tsctp server did not report 100 messages:\n%s", srv.Output())
	}
	pkts := Dissect(t, capture.Stop(t), "sctp.chunk_type", "sctp.data_tsn_raw")
	seen := map[string]bool{}
	tsns := map[string]bool{}
	for _, p := range pkts {
		for _, c := range p["sctp.chunk_type"] {
			seen[c] = true
		}
		for _, tsn := range p["sctp.data_tsn_raw"] {
			tsns[tsn] = true
		}
	}
	for _, c := range []int{0, 1, 2, 3, 10, 11} { // DATA INIT INIT-ACK SACK COOKIE-ECHO COOKIE-ACK
		if !seen[strconv.Itoa(c)] {
			t.Errorf("chunk type %d not captured; saw %v", c, seen)
		}
	}
	if len(tsns) != 100 {
		t.Errorf("%d distinct TSNs captured, want 100", len(tsns))
	}
}

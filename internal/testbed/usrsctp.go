package testbed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// USRSCTPDir holds Debian's usrsctp example programs (libusrsctp-examples):
// tsctp, echo_server (port 7), discard_server (port 9), client and others.
// They speak native SCTP over raw IP.
const USRSCTPDir = "/usr/lib/usrsctp"

// USRSCTP is the path of a usrsctp example program.
func USRSCTP(prog string) string { return filepath.Join(USRSCTPDir, prog) }

// WaitUsrsctp waits (up to 10 s; t fails after) until a usrsctp program
// started in n runs its stack: SCTP over raw IP shows as a raw socket of
// protocol 132 in n's /proc/net/raw or raw6, which usrsctp_init opens
// just before the program binds and listens; a short settle covers those
// calls. Before that, an INIT finds no listener: the kernel (without
// SCTP) answers protocol unreachable. A fixed sleep was the wait before,
// too short when starting a process takes long on a loaded machine.
func WaitUsrsctp(t testing.TB, n *Netns) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		socks, err := RawSockets(n)
		if err != nil {
			t.Fatalf("testbed: %v", err)
		}
		if rawSCTPSocket(socks) {
			time.Sleep(200 * time.Millisecond)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("testbed: no usrsctp raw socket in %s after 10 s", n.Name())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// RawSockets returns the rows of n's /proc/net/raw and raw6 (header lines
// left out), each split into its fields: the local address and port (for
// a raw socket, the protocol) second, the drop count last.
func RawSockets(n *Netns) ([][]string, error) {
	var rows [][]string
	err := n.Do(func() error {
		for _, f := range []string{"/proc/thread-self/net/raw", "/proc/thread-self/net/raw6"} {
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:] {
				if fs := strings.Fields(l); len(fs) > 1 {
					rows = append(rows, fs)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("raw sockets of %s: %w", n.Name(), err)
	}
	return rows, nil
}

// rawSCTPSocket reports whether rows (RawSockets) list a socket bound to
// protocol 132 (the local address's port field is the protocol).
func rawSCTPSocket(rows [][]string) bool {
	for _, fs := range rows {
		if strings.HasSuffix(fs[1], ":0084") {
			return true
		}
	}
	return false
}

var cpeerMu sync.Mutex

// BuildCPeer compiles a small C peer against libusrsctp-dev (for what the
// example programs cannot express) and returns the binary's path. Binaries
// are cached by the source's hash under the user cache directory.
func BuildCPeer(t testing.TB, src string) string {
	t.Helper()
	code, err := os.ReadFile(src)
	if err != nil {
		t.Fatalf("testbed: %v", err)
	}
	sum := sha256.Sum256(code)
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "sctp-xdp", "cpeers")
	bin := filepath.Join(dir, filepath.Base(src)+"-"+hex.EncodeToString(sum[:8]))
	cpeerMu.Lock()
	defer cpeerMu.Unlock()
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("testbed: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tmp := bin + fmt.Sprintf(".tmp%d", os.Getpid())
	out, err := exec.CommandContext(ctx, "cc", "-O2", "-Wall", "-Werror", "-o", tmp, src,
		"-lusrsctp", "-lpthread").CombinedOutput()
	if err != nil {
		t.Fatalf("testbed: building C peer %s: %v\n%s", src, err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		t.Fatalf("testbed: %v", err)
	}
	return bin
}

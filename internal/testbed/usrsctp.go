package testbed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

package testbed

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sctp-xdp/sctp-xdp/internal/caps"
)

// EnvRequirePriv names the variable that turns a skipped privileged test
// into a failure. CI sets it to 1.
const EnvRequirePriv = "SCTPXDP_REQUIRE_PRIV"

// LockPath is the machine-wide lock privileged tests hold while they run.
const LockPath = "/run/lock/sctp-xdp-priv.lock"

// PrivMarker is logged by RequirePriv once it has granted a test its
// privileges. CI reads it from `go test -json` to check that every privileged
// test is listed in .ci/priv-tests.txt.
const PrivMarker = "testbed: privileged test"

// Python3 is Debian's interpreter, which has python3-scapy; a python3
// earlier on PATH (pyenv, say) may not.
const Python3 = "/usr/bin/python3"

func isFuzzWorker() bool {
	for _, a := range os.Args {
		if strings.HasPrefix(a, "-test.fuzzworker") {
			return true
		}
	}
	return false
}

// What the test bed needs, by name (numbers from package caps).
var capNames = map[int]string{
	caps.NetAdmin: "CAP_NET_ADMIN",
	caps.NetRaw:   "CAP_NET_RAW",
	caps.IPCLock:  "CAP_IPC_LOCK",
	caps.SysAdmin: "CAP_SYS_ADMIN (setns)",
	caps.BPF:      "CAP_BPF",
}

// RequirePriv makes t a privileged test: it checks what the test bed needs,
// then holds the machine-wide lock until t's cleanup, then removes leftovers
// of earlier runs that were killed. Without privileges it skips t, or fails
// it when SCTPXDP_REQUIRE_PRIV=1.
func RequirePriv(t testing.TB) {
	t.Helper()
	if err := Check(); err != nil {
		if os.Getenv(EnvRequirePriv) == "1" {
			t.Fatalf("privileged test cannot run (%s=1): %v", EnvRequirePriv, err)
		}
		t.Skipf("privileged test skipped: %v", err)
	}
	// A fuzz worker runs inside the fuzzing coordinator's test, which holds
	// the lock already: taking it again from this process would wait forever.
	if !isFuzzWorker() {
		release, err := lockMachine()
		if err != nil {
			t.Fatalf("testbed: %v", err)
		}
		t.Cleanup(release)
	}
	if err := Sweep(); err != nil {
		t.Logf("testbed: sweeping leftovers: %v", err)
	}
	t.Log(PrivMarker)
}

// Check reports why privileged tests cannot run here, or nil: CheckHost,
// and the peers and tools tests use (scripts/deps.sh installs them).
func Check() error {
	if err := CheckHost(); err != nil {
		return err
	}
	for _, tool := range []string{"tshark"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found (run scripts/deps.sh): %w", tool, err)
		}
	}
	if _, err := os.Stat(Python3); err != nil {
		return fmt.Errorf("%s not found (run scripts/deps.sh): %w", Python3, err)
	}
	if _, err := os.Stat(USRSCTP("tsctp")); err != nil {
		return fmt.Errorf("usrsctp examples not installed (run scripts/deps.sh): %w", err)
	}
	return nil
}

// CheckHost reports why namespaces, veth pairs and AF_XDP cannot be used
// here (capabilities, ip(8), the kernel), or nil: what the demo needs.
func CheckHost() error {
	eff, err := caps.Effective()
	if err != nil {
		return err
	}
	var missing []string
	for _, c := range []int{caps.NetAdmin, caps.NetRaw, caps.IPCLock, caps.SysAdmin, caps.BPF} {
		if eff&(1<<c) == 0 {
			missing = append(missing, capNames[c])
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing capabilities: %s", strings.Join(missing, ", "))
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return fmt.Errorf("ip(8) not found (install iproute2): %w", err)
	}
	fd, err := unix.Socket(unix.AF_XDP, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("AF_XDP sockets unavailable: %w", err)
	}
	unix.Close(fd)
	if _, err := os.Stat("/proc/self/ns/net"); err != nil {
		return fmt.Errorf("network namespaces unavailable: %w", err)
	}
	return nil
}

// The flock is per open file, so a process takes it once and counts its
// holders: a subtest of a privileged test does not wait for its parent.
var machineLock struct {
	sync.Mutex
	f     *os.File
	count int
}

func lockMachine() (release func(), err error) {
	machineLock.Lock()
	defer machineLock.Unlock()
	if machineLock.count == 0 {
		if err := os.MkdirAll("/run/lock", 0o755); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(LockPath, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o666)
		if err != nil {
			return nil, fmt.Errorf("opening the privileged-test lock: %w", err)
		}
		if err := flockRetry(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("taking %s: %w", LockPath, err)
		}
		machineLock.f = f
	}
	machineLock.count++
	var once sync.Once
	return func() {
		once.Do(func() {
			machineLock.Lock()
			defer machineLock.Unlock()
			machineLock.count--
			if machineLock.count == 0 {
				unix.Flock(int(machineLock.f.Fd()), unix.LOCK_UN)
				machineLock.f.Close()
				machineLock.f = nil
			}
		})
	}, nil
}

func flockRetry(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			return err
		}
	}
}

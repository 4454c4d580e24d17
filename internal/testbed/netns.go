package testbed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Prefix starts the name of every namespace the test bed creates. The full
// name is Prefix + "<pid>-<start time>-<seq>", which lets Sweep tell a live
// owner from a killed one.
const Prefix = "sx-"

const netnsDir = "/run/netns"

var seq atomic.Uint32

// Netns is a named network namespace (as `ip netns` knows them).
type Netns struct {
	name string
}

// CreateNetns makes a new namespace with its loopback up. The caller removes
// it with Delete; tests use NewNetns instead.
func CreateNetns() (*Netns, error) {
	start, err := procStartTime(os.Getpid())
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("%s%d-%d-%d", Prefix, os.Getpid(), start, seq.Add(1))
	if err := ip("netns", "add", name); err != nil {
		return nil, err
	}
	n := &Netns{name: name}
	if err := ip("-n", name, "link", "set", "lo", "up"); err != nil {
		n.Delete()
		return nil, err
	}
	// No duplicate address detection on any address, link-local ones
	// included: test hosts are alone on their links, and a tentative
	// link-local address delays neighbour discovery by seconds.
	if err := n.Do(func() error {
		for _, conf := range []string{"all", "default"} {
			if err := os.WriteFile("/proc/sys/net/ipv6/conf/"+conf+"/accept_dad", []byte("0"), 0); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		n.Delete()
		return nil, fmt.Errorf("disabling DAD in %s: %w", name, err)
	}
	return n, nil
}

// NewNetns makes a namespace removed, with every process inside it, at t's cleanup.
func NewNetns(t testing.TB) *Netns {
	t.Helper()
	n, err := CreateNetns()
	if err != nil {
		t.Fatalf("testbed: %v", err)
	}
	t.Cleanup(func() {
		if err := n.Delete(); err != nil {
			t.Errorf("testbed: %v", err)
		}
	})
	return n
}

// Name is the namespace's name for `ip netns`.
func (n *Netns) Name() string { return n.name }

// Path is the namespace's bind mount, for setns(2) and netlink handles.
func (n *Netns) Path() string { return filepath.Join(netnsDir, n.name) }

// Delete kills the processes inside the namespace and removes it.
func (n *Netns) Delete() error {
	killInNetns(n.Path())
	if err := ip("netns", "del", n.name); err != nil {
		if _, statErr := os.Stat(n.Path()); errors.Is(statErr, os.ErrNotExist) {
			return nil
		}
		return err
	}
	return nil
}

// Do runs fn on an OS thread switched into the namespace. The thread is
// never handed back to the Go scheduler: it ends with fn's goroutine.
func (n *Netns) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // no Unlock: the thread dies with this goroutine
		f, err := os.Open(n.Path())
		if err != nil {
			errc <- err
			return
		}
		err = unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
		f.Close()
		if err != nil {
			errc <- fmt.Errorf("setns into %s: %w", n.name, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// Command prepares a command run inside the namespace (through `ip netns
// exec`, which also gives it the namespace's view of /sys). If the test
// process dies, the next privileged test's Sweep kills it with its
// namespace.
//
// No Pdeathsig: it fires when the forking OS thread exits, not the
// process, and threads locked into a namespace (Do, the runtime's setns
// helper, pollers) end by exiting: a child forked from such a thread
// earlier would be killed mid-test.
func (n *Netns) Command(ctx context.Context, name string, arg ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", n.name, name}, arg...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd
}

// Run runs a command inside the namespace to completion and returns its
// combined output; t fails if it does not succeed within a minute.
func (n *Netns) Run(t testing.TB, name string, arg ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := n.Command(ctx, name, arg...).CombinedOutput()
	if err != nil {
		t.Fatalf("testbed: %s %s in %s: %v\n%s", name, strings.Join(arg, " "), n.name, err, out)
	}
	return string(out)
}

// ip runs the ip(8) command in the current namespace.
func ip(arg ...string) error {
	out, err := exec.Command("ip", arg...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(arg, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// procStartTime is field 22 of /proc/PID/stat: the start time in clock ticks
// since boot. With the PID it names a process uniquely.
func procStartTime(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(b, ')') // comm may hold spaces and parentheses
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	return strconv.ParseUint(f[19], 10, 64) // field 22 is the 20th after comm
}

// killInNetns SIGKILLs every process whose network namespace is the one
// bound at path.
func killInNetns(path string) {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return
	}
	want := fmt.Sprintf("net:[%d]", st.Ino)
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if link, err := os.Readlink(filepath.Join("/proc", p.Name(), "ns/net")); err == nil && link == want {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// Sweep removes the namespaces (and the processes in them) that the test bed
// created in processes that are no longer alive.
func Sweep() error {
	entries, err := os.ReadDir(netnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		pid, start, ok := parseOwner(e.Name())
		if !ok || ownerAlive(pid, start) {
			continue
		}
		n := &Netns{name: e.Name()}
		if err := n.Delete(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func parseOwner(name string) (pid int, start uint64, ok bool) {
	rest, ok := strings.CutPrefix(name, Prefix)
	if !ok {
		return 0, 0, false
	}
	f := strings.Split(rest, "-")
	if len(f) != 3 {
		return 0, 0, false
	}
	pid, err1 := strconv.Atoi(f[0])
	start, err2 := strconv.ParseUint(f[1], 10, 64)
	return pid, start, err1 == nil && err2 == nil
}

func ownerAlive(pid int, start uint64) bool {
	got, err := procStartTime(pid)
	return err == nil && got == start
}

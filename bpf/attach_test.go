package bpf

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// envAttachChild makes the test binary a child that attaches to the
// interface named by the value ("netns-path ifindex"), says so and sleeps:
// the parent kills it with SIGKILL.
const envAttachChild = "SCTPXDP_BPF_ATTACH_CHILD"

func TestMain(m *testing.M) {
	if v := os.Getenv(envAttachChild); v != "" {
		os.Exit(attachChild(v))
	}
	os.Exit(m.Run())
}

func attachChild(v string) int {
	ns, idx, _ := strings.Cut(v, " ")
	ifindex, _ := strconv.Atoi(idx)
	p, err := Load(nil)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	if err := p.Attach(AttachOptions{Ifindex: ifindex, NetNS: ns}); err != nil {
		fmt.Println(err)
		return 1
	}
	fmt.Println("attached")
	time.Sleep(time.Minute) // bounded: the parent kills us long before
	return 2
}

// xdpAttached reports whether `ip link` shows an XDP program on l.
func xdpAttached(t *testing.T, l *testbed.Link) bool {
	t.Helper()
	out := l.NS.Run(t, "ip", "-d", "link", "show", "dev", l.Name)
	return strings.Contains(out, "prog/xdp")
}

func TestAttachDetach(t *testing.T) {
	testbed.RequirePriv(t)
	a, b := testbed.NewNetns(t), testbed.NewNetns(t)
	ours, peer := testbed.NewVeth(t, a, b, testbed.VethConfig{})
	p, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Attach(AttachOptions{Ifindex: ours.Index, NetNS: a.Name()}); err != nil {
		t.Fatal(err)
	}
	if p.Mode() != ModeNative || p.NativeRefused() != nil || p.Ifindex() != ours.Index {
		t.Errorf("mode %v, native refused %v, ifindex %d", p.Mode(), p.NativeRefused(), p.Ifindex())
	}
	if !xdpAttached(t, ours) {
		t.Fatal("ip link shows no XDP program")
	}
	// A second program, native or generic, is refused, never stacked.
	q, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	for _, m := range []Mode{ModeAuto, ModeNative, ModeGeneric} {
		err := q.Attach(AttachOptions{Ifindex: ours.Index, NetNS: a.Path(), Mode: m})
		if !errors.Is(err, ErrAlreadyAttached) {
			t.Errorf("second attach in %v mode: %v", m, err)
		}
	}
	// And p itself cannot attach twice.
	if err := p.Attach(AttachOptions{Ifindex: ours.Index, NetNS: a.Path()}); !errors.Is(err, ErrAlreadyAttached) {
		t.Errorf("same program attached twice: %v", err)
	}
	if err := p.Detach(); err != nil {
		t.Fatal(err)
	}
	if xdpAttached(t, ours) {
		t.Fatal("still attached after Detach")
	}
	// Generic mode when asked; Close detaches.
	if err := q.Attach(AttachOptions{Ifindex: ours.Index, NetNS: a.Path(), Mode: ModeGeneric}); err != nil {
		t.Fatal(err)
	}
	if q.Mode() != ModeGeneric || !xdpAttached(t, ours) {
		t.Fatalf("generic: mode %v", q.Mode())
	}
	if err := p.Attach(AttachOptions{Ifindex: ours.Index, NetNS: a.Path(), Mode: ModeNative}); !errors.Is(err, ErrAlreadyAttached) {
		t.Errorf("native over generic: %v", err)
	}
	q.Close()
	if xdpAttached(t, ours) {
		t.Fatal("still attached after Close")
	}
	if err := p.Detach(); !errors.Is(err, ErrNotAttached) {
		t.Errorf("Detach when detached: %v", err)
	}
	// Native is refused above MTU 3498 on veth (design.md section 4):
	// ModeAuto falls back to generic and says why; ModeNative fails.
	// (The kernel checks the peer's MTU.)
	peer.NS.Run(t, "ip", "link", "set", "dev", peer.Name, "mtu", "4000")
	if err := p.Attach(AttachOptions{Ifindex: ours.Index, NetNS: a.Path(), Mode: ModeNative}); err == nil || errors.Is(err, ErrAlreadyAttached) {
		t.Errorf("native at MTU 4000: %v", err)
	}
	if err := p.Attach(AttachOptions{Ifindex: ours.Index, NetNS: a.Path()}); err != nil {
		t.Fatal(err)
	}
	if p.Mode() != ModeGeneric || p.NativeRefused() == nil {
		t.Errorf("auto at MTU 4000: mode %v, native refused %v", p.Mode(), p.NativeRefused())
	}
	t.Logf("native refused: %v", p.NativeRefused())
}

// TestAttachRefusedOverForeignProgram: a program attached by someone else
// through netlink (here ip(8) loading our object file) is detected and left
// alone.
func TestAttachRefusedOverForeignProgram(t *testing.T) {
	testbed.RequirePriv(t)
	a, b := testbed.NewNetns(t), testbed.NewNetns(t)
	ours, _ := testbed.NewVeth(t, a, b, testbed.VethConfig{})
	obj, err := filepath.Abs("xdpsteer_bpfel.o")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"xdpdrv", "xdpgeneric"} {
		a.Run(t, "ip", "link", "set", "dev", ours.Name, mode, "obj", obj, "sec", "xdp")
		p, err := Load(nil)
		if err != nil {
			t.Fatal(err)
		}
		err = p.Attach(AttachOptions{Ifindex: ours.Index, NetNS: a.Path()})
		p.Close()
		if !errors.Is(err, ErrAlreadyAttached) {
			t.Fatalf("attach over %s program: %v", mode, err)
		}
		t.Log(err)
		if !xdpAttached(t, ours) {
			t.Fatal("the foreign program was removed")
		}
		a.Run(t, "ip", "link", "set", "dev", ours.Name, mode, "off")
	}
}

// TestKilledProcessDetaches: a process killed with SIGKILL leaves no program
// on the interface (the bpf_link dies with it) and the next attach works.
func TestKilledProcessDetaches(t *testing.T) {
	testbed.RequirePriv(t)
	a, b := testbed.NewNetns(t), testbed.NewNetns(t)
	ours, _ := testbed.NewVeth(t, a, b, testbed.VethConfig{})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envAttachChild+"="+a.Path()+" "+strconv.Itoa(ours.Index))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	buf := make([]byte, 256)
	n, _ := out.Read(buf) // the child prints one line, then sleeps
	if !strings.Contains(string(buf[:n]), "attached") {
		t.Fatalf("child: %q", buf[:n])
	}
	if !xdpAttached(t, ours) {
		t.Fatal("child's program not attached")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	// The link is released when the dead process's descriptors are.
	deadline := time.Now().Add(5 * time.Second)
	for xdpAttached(t, ours) {
		if time.Now().After(deadline) {
			t.Fatal("program still attached 5 s after SIGKILL")
		}
		time.Sleep(50 * time.Millisecond)
	}
	p, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Attach(AttachOptions{Ifindex: ours.Index, NetNS: a.Path()}); err != nil {
		t.Fatalf("attach after the killed process: %v", err)
	}
}

package testbed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Proc is a program running in the background inside a namespace.
type Proc struct {
	cmd  *exec.Cmd
	out  LockedBuffer
	done chan struct{}
	err  error // valid once done is closed
}

// StartProc starts name inside n; the caller stops it with Stop.
func (n *Netns) StartProc(name string, arg ...string) (*Proc, error) {
	p := &Proc{done: make(chan struct{})}
	p.cmd = n.Command(context.Background(), name, arg...)
	p.cmd.Stdout = &p.out
	p.cmd.Stderr = &p.out
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s in %s: %w", name, n.name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Start starts name inside n in the background; it is stopped at t's
// cleanup, and its output is logged if t failed.
func (n *Netns) Start(t testing.TB, name string, arg ...string) *Proc {
	t.Helper()
	p, err := n.StartProc(name, arg...)
	if err != nil {
		t.Fatalf("testbed: %v", err)
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("output of %s %s:\n%s", name, strings.Join(arg, " "), p.Output())
		}
	})
	return p
}

// Output is what the program wrote to stdout and stderr so far.
func (p *Proc) Output() string { return p.out.String() }

// Pid is the program's process ID.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether the program has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// ErrWaitTimeout is returned by Wait when the program outlives the timeout.
var ErrWaitTimeout = errors.New("testbed: program still running")

// Wait waits up to timeout for the program to end and returns its exit error.
func (p *Proc) Wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		return ErrWaitTimeout
	}
}

// WaitOutput waits up to timeout until the output contains s.
func (p *Proc) WaitOutput(s string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if strings.Contains(p.Output(), s) {
			return true
		}
		if p.Exited() {
			return strings.Contains(p.Output(), s)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// Signal sends sig to the program's process group.
func (p *Proc) Signal(sig syscall.Signal) error {
	return syscall.Kill(-p.cmd.Process.Pid, sig)
}

// Stop asks the program to end (SIGTERM), kills it after two seconds, and
// returns its exit error.
func (p *Proc) Stop() error {
	if p.Exited() {
		return p.err
	}
	p.Signal(syscall.SIGTERM)
	if err := p.Wait(2 * time.Second); err != ErrWaitTimeout {
		return err
	}
	p.Signal(syscall.SIGKILL)
	<-p.done
	return p.err
}

// LockedBuffer is a bytes.Buffer that one goroutine (a program's output, a
// logger) writes while another reads it.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

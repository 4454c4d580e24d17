package bpf

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"
)

// InNetNS runs fn on an OS thread switched into the network namespace ns:
// an `ip netns` name (under /run/netns) or a path such as
// /proc/PID/ns/net. An empty ns runs fn on the calling goroutine.
//
// The thread is locked and never unlocked, so it ends with its goroutine
// instead of going back to the scheduler in the wrong namespace.
func InNetNS(ns string, fn func() error) error {
	if ns == "" {
		return fn()
	}
	path := ns
	if !filepath.IsAbs(path) {
		path = filepath.Join("/run/netns", ns)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("bpf: network namespace: %w", err)
	}
	defer f.Close()
	return InNetNSFD(int(f.Fd()), fn)
}

// InNetNSFD is InNetNS for a namespace given by an open descriptor (of
// /run/netns/NAME, /proc/PID/ns/net, ...), which must stay open until it
// returns. A negative fd is the process's own namespace: no setns(2), so
// no CAP_SYS_ADMIN; fn still runs on a locked thread that dies after it, so
// it may change the thread (a private mount namespace, say).
func InNetNSFD(fd int, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // no Unlock: the thread dies with this goroutine
		if fd < 0 {
			errc <- fn()
			return
		}
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("bpf: setns: %w", err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

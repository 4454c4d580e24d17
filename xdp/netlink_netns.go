package xdp

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/sctp-xdp/sctp-xdp/bpf"
)

// NetNS is the network namespace that netlink queries, event subscriptions
// and interface ioctls of this package work in. Netlink sockets are opened
// inside it once and then serve any goroutine; calls that need a thread
// inside the namespace (ioctls, sysfs) run on a locked OS thread switched
// into it with setns(2) that is never handed back to the Go scheduler.
type NetNS struct {
	fd      netns.NsHandle // owned
	name    string         // for messages
	current bool           // the caller's own namespace: no setns(2), so no CAP_SYS_ADMIN
}

// OpenNetNS opens a network namespace by absolute path (/run/netns/NAME,
// /proc/PID/ns/net, /proc/self/fd/N), by the name `ip netns` gives it, or,
// for "", the namespace of the calling thread (as bpf.InNetNS and
// Options.NetNS read the same string).
func OpenNetNS(path string) (*NetNS, error) {
	if path == "" {
		h, err := netns.Get()
		if err != nil {
			return nil, fmt.Errorf("xdp: current network namespace: %w", err)
		}
		// The calling thread may be one switched into another namespace
		// (a locked thread inside bpf.InNetNS): only the process's own
		// namespace, where every unlocked thread is, goes without setns.
		proc, err := netns.GetFromPath("/proc/self/ns/net")
		current := err == nil && proc.Equal(h)
		if err == nil {
			proc.Close()
		}
		return &NetNS{fd: h, name: "current", current: current}, nil
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join("/run/netns", path)
	}
	h, err := netns.GetFromPath(path)
	if err != nil {
		return nil, fmt.Errorf("xdp: open network namespace %s: %w", path, err)
	}
	if err := checkNetNS(int(h)); err != nil {
		h.Close()
		return nil, fmt.Errorf("xdp: %s: %w", path, err)
	}
	return &NetNS{fd: h, name: path}, nil
}

// NetNSFromFD wraps a file descriptor of a network namespace (from
// /proc/PID/ns/net, a bind mount or pidfd-style handles). The descriptor is
// duplicated: the caller keeps ownership of fd.
func NetNSFromFD(fd int) (*NetNS, error) {
	if err := checkNetNS(fd); err != nil {
		return nil, fmt.Errorf("xdp: fd %d: %w", fd, err)
	}
	d, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("xdp: dup network namespace fd %d: %w", fd, err)
	}
	return &NetNS{fd: netns.NsHandle(d), name: fmt.Sprintf("fd %d", fd)}, nil
}

// checkNetNS refuses descriptors of anything but a network namespace, so a
// wrong path fails here and not as a confusing setns error later.
func checkNetNS(fd int) error {
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		return err
	}
	if st.Type != unix.NSFS_MAGIC && st.Type != unix.PROC_SUPER_MAGIC {
		return errors.New("not a namespace file")
	}
	return nil
}

// String names the namespace for messages.
func (n *NetNS) String() string { return n.name }

// Close releases the namespace descriptor. Handles and caches created from
// it keep their own sockets and stay usable.
func (n *NetNS) Close() error {
	if n == nil || n.fd < 0 {
		return nil
	}
	err := n.fd.Close()
	n.fd = -1
	return err
}

// handle opens route netlink sockets inside the namespace.
func (n *NetNS) handle() (*netlink.Handle, error) {
	var h *netlink.Handle
	var err error
	if n.current {
		h, err = netlink.NewHandle(unix.NETLINK_ROUTE)
	} else {
		h, err = netlink.NewHandleAt(n.fd, unix.NETLINK_ROUTE)
	}
	if err != nil {
		return nil, fmt.Errorf("xdp: netlink socket in %s: %w", n, err)
	}
	return h, nil
}

// Do runs fn on an OS thread switched into the namespace and returns its
// error. The thread stays locked and dies with its goroutine: a thread in a
// foreign namespace (or with a private mount namespace, see QueueCount) never
// runs other goroutines.
func (n *NetNS) Do(fn func() error) error {
	if n.fd < 0 {
		return fmt.Errorf("xdp: namespace %s: %w", n, os.ErrClosed)
	}
	if n.current {
		return bpf.InNetNSFD(-1, fn)
	}
	return bpf.InNetNSFD(int(n.fd), fn)
}

// Handle returns the namespace descriptor for libraries that take one
// (cilium/ebpf link attach in a namespace, netlink handles).
func (n *NetNS) Handle() netns.NsHandle { return n.fd }

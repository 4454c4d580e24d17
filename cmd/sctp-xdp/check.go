package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	sctpxdp "github.com/sctp-xdp/sctp-xdp"
	"github.com/sctp-xdp/sctp-xdp/bpf"
	"github.com/sctp-xdp/sctp-xdp/internal/caps"
)

// maxXDPMTU is the largest MTU native XDP takes on veth (ERANGE above;
// design.md 4). sctp-xdp's frames are single-buffer, so it is the limit on
// every interface until multi-buffer (xdp.frags) support lands.
const maxXDPMTU = 3498

// preflight checks, before anything is attached, what would otherwise fail
// deep inside Listen or Dial, and says what to do about it: capabilities,
// the interface (present, Ethernet, MTU) and the local addresses.
func preflight(iface, netns string, addrs []netip.Addr) error {
	if err := checkCaps(netns != ""); err != nil {
		return err
	}
	return inNetns(netns, func() error {
		ifi, err := net.InterfaceByName(iface)
		if err != nil {
			return fmt.Errorf("interface %q not found in %s (it has %s): name one of those with --iface, "+
				"or the namespace it is in with --netns", iface, nsName(netns), strings.Join(interfaceNames(), ", "))
		}
		if ifi.Flags&net.FlagLoopback != 0 || len(ifi.HardwareAddr) != 6 {
			return fmt.Errorf("XDP unsupported on %s: sctp-xdp's XDP program and AF_XDP framing need an "+
				"Ethernet interface (a NIC or a veth), not a %s one", iface, ifaceKind(ifi))
		}
		if ifi.MTU > maxXDPMTU {
			return fmt.Errorf("MTU %d of %s is above %d, the largest XDP on this interface takes with single-buffer "+
				"frames: lower it with `ip link set dev %s mtu %d`", ifi.MTU, iface, maxXDPMTU, iface, maxXDPMTU)
		}
		if len(addrs) == 0 {
			return nil
		}
		have := interfaceAddrs(ifi)
		for _, a := range addrs {
			if !slices.Contains(have, a) {
				return fmt.Errorf("address %v is not on %s (it has %v): choose one of those with --addr, "+
					"or add it with `ip addr add %v/PREFIX dev %s`", a, iface, have, a, iface)
			}
		}
		return nil
	})
}

// Capabilities serve and bench need (linux/capability.h numbers).
var neededCaps = []struct {
	bit  uint
	name string
	why  string
}{
	{caps.NetAdmin, "CAP_NET_ADMIN", "attach XDP, netlink"},
	{caps.NetRaw, "CAP_NET_RAW", "AF_XDP sockets"},
	{caps.BPF, "CAP_BPF", "load the XDP program and its maps"},
	{caps.Perfmon, "CAP_PERFMON", "the verifier's pointer arithmetic"},
	{caps.IPCLock, "CAP_IPC_LOCK", "lock the UMEM (or raise the memlock limit)"},
}

// checkCaps reports the capabilities missing from the effective set, and
// what to do. CAP_IPC_LOCK may be replaced by an unlimited memlock limit;
// CAP_SYS_ADMIN is needed only to enter another namespace.
func checkCaps(otherNetns bool) error {
	eff, err := caps.Effective()
	if err != nil {
		return fmt.Errorf("reading capabilities: %w", err)
	}
	var missing []string
	for _, c := range neededCaps {
		if eff&(1<<c.bit) != 0 || (c.bit == caps.IPCLock && memlockUnlimited()) {
			continue
		}
		missing = append(missing, fmt.Sprintf("%s (%s)", c.name, c.why))
	}
	if otherNetns && eff&(1<<caps.SysAdmin) == 0 {
		missing = append(missing, "CAP_SYS_ADMIN (setns into --netns)")
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%w: missing capabilities %s: run as root (sudo), or grant the binary "+
		"`setcap cap_net_admin,cap_net_raw,cap_bpf,cap_perfmon,cap_ipc_lock+ep`",
		sctpxdp.ErrPermission, strings.Join(missing, ", "))
}

func memlockUnlimited() bool {
	var r unix.Rlimit
	return unix.Getrlimit(unix.RLIMIT_MEMLOCK, &r) == nil && r.Cur == unix.RLIM_INFINITY
}

// explain adds to an error of Listen or Dial what to do about it.
func explain(err error, iface string, port uint) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sctpxdp.ErrAddrInUse):
		return fmt.Errorf("port %d on %s is in use: another process runs XDP on %s (one process per "+
			"interface; `ip -d link show dev %s` shows its program), or this one has an endpoint on the port: "+
			"stop that process, or choose another --port or --iface (%w)", port, iface, iface, iface, err)
	case errors.Is(err, sctpxdp.ErrPermission), errors.Is(err, os.ErrPermission):
		return fmt.Errorf("%w: run as root (sudo), or with CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF, "+
			"CAP_PERFMON and CAP_IPC_LOCK (CAP_SYS_ADMIN too with --netns)", err)
	}
	return err
}

// inNetns runs fn inside the network namespace ns (an `ip netns` name or
// a path; "" for the current one), on a thread that never runs anything
// else (bpf.InNetNS).
func inNetns(ns string, fn func() error) error {
	var fnErr error
	err := bpf.InNetNS(ns, func() error { fnErr = fn(); return fnErr })
	if err != nil && err != fnErr {
		return fmt.Errorf("--netns %s: %w (`ip netns list` names the namespaces)", ns, err)
	}
	return err
}

func nsName(ns string) string {
	if ns == "" {
		return "this network namespace"
	}
	return "namespace " + ns
}

func interfaceNames() []string {
	ifs, _ := net.Interfaces()
	names := make([]string, 0, len(ifs))
	for _, i := range ifs {
		names = append(names, i.Name)
	}
	return names
}

func ifaceKind(ifi *net.Interface) string {
	if ifi.Flags&net.FlagLoopback != 0 {
		return "loopback"
	}
	return "non-Ethernet"
}

func interfaceAddrs(ifi *net.Interface) []netip.Addr {
	as, _ := ifi.Addrs()
	var out []netip.Addr
	for _, a := range as {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr())
		}
	}
	return out
}

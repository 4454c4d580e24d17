package xdp

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// QueueCount returns the number of receive queues of an interface of the
// calling thread's namespace: one AF_XDP socket per queue covers
// everything RSS spreads across them.
func QueueCount(ifindex int) (int, error) {
	ns, err := OpenNetNS("")
	if err != nil {
		return 0, err
	}
	defer ns.Close()
	return ns.QueueCount(ifindex)
}

// QueueCount returns the number of receive queues of an interface of n.
//
// Two sources, in this order:
//
//  1. ethtool channels (SIOCETHTOOL ETHTOOL_GCHANNELS): rx + combined
//     channels, the count the driver spreads RSS over and the one `ethtool
//     -L` changes. It needs only a socket in the namespace.
//  2. /sys/class/net/IF/queues/rx-*, which lists exactly
//     real_num_rx_queues (what AF_XDP bind checks). Its catch: sysfs shows
//     the namespace of whoever mounted it, not the caller's, so reading it
//     for another namespace needs a private mount namespace with a fresh
//     sysfs mounted inside it (CAP_SYS_ADMIN), as `ip netns exec` does.
//
// ethtool wins because it is cheaper and needs nothing beyond the socket;
// for the drivers that implement it the two agree (drivers set
// real_num_rx_queues from their channels; veth reports both from the same
// field). sysfs is the fallback for drivers without get_channels
// (EOPNOTSUPP) or that report no receive channel.
func (n *NetNS) QueueCount(ifindex int) (int, error) {
	name, err := n.ifname(ifindex)
	if err != nil {
		return 0, err
	}
	q, errE := n.ethtoolRxQueues(name)
	if errE == nil && q > 0 {
		return q, nil
	}
	q, errS := n.sysfsRxQueues(name, ifindex)
	if errS == nil {
		return q, nil
	}
	if errE == nil {
		errE = errors.New("no receive channels reported")
	}
	return 0, fmt.Errorf("xdp: queues of %s: ethtool: %w; sysfs: %w", name, errE, errS)
}

func (n *NetNS) ifname(ifindex int) (string, error) {
	h, err := n.handle()
	if err != nil {
		return "", err
	}
	defer h.Close()
	l, err := h.LinkByIndex(ifindex)
	if err != nil {
		return "", fmt.Errorf("xdp: interface %d in %s: %w", ifindex, n, err)
	}
	return l.Attrs().Name, nil
}

// ethtoolChannels is struct ethtool_channels (linux/ethtool.h).
type ethtoolChannels struct {
	cmd                                         uint32
	maxRx, maxTx, maxOther, maxCombined         uint32
	rxCount, txCount, otherCount, combinedCount uint32
}

// ifreqData is struct ifreq with ifr_data set.
type ifreqData struct {
	name [unix.IFNAMSIZ]byte
	data unsafe.Pointer
	_    [24 - unsafe.Sizeof(uintptr(0))]byte
}

// ethtoolRxQueues reads the channel counts with an ioctl on a socket
// created inside the namespace (SIOCETHTOOL acts on the socket's namespace).
func (n *NetNS) ethtoolRxQueues(name string) (int, error) {
	if len(name) >= unix.IFNAMSIZ {
		return 0, fmt.Errorf("interface name %q too long", name)
	}
	var fd int
	err := n.Do(func() (err error) {
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	ch := &ethtoolChannels{cmd: unix.ETHTOOL_GCHANNELS}
	ifr := &ifreqData{data: unsafe.Pointer(ch)}
	copy(ifr.name[:], name)
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(ifr))); e != 0 {
		return 0, fmt.Errorf("SIOCETHTOOL ETHTOOL_GCHANNELS: %w", e)
	}
	return int(ch.rxCount) + int(ch.combinedCount), nil
}

// sysfsRxQueues counts queues/rx-* of the interface in a sysfs mounted from
// inside the namespace, on a thread with a private mount namespace; the
// thread dies afterwards (NetNS.Do never unlocks it).
func (n *NetNS) sysfsRxQueues(name string, ifindex int) (int, error) {
	if name == "" || strings.ContainsAny(name, "/") || name == "." || name == ".." {
		return 0, fmt.Errorf("invalid interface name %q", name)
	}
	var count int
	err := n.Do(func() error {
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			return fmt.Errorf("unshare mount namespace: %w", err)
		}
		// Keep our mounts from propagating to the rest of the system.
		if err := unix.Mount("", "/", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("make mounts private: %w", err)
		}
		// Detach whatever sysfs is on /sys first, as `ip netns exec`
		// does. Mounting straight over it failed with EBUSY about once
		// in 40 runs (the kernel refuses a superblock on a mount point
		// whose top mount is that same superblock: the copied mount
		// namespace already had this namespace's sysfs there). EINVAL
		// (not a mount point) is fine.
		if err := unix.Unmount("/sys", unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("detach /sys: %w", err)
		}
		if err := unix.Mount("sysfs", "/sys", "sysfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			return fmt.Errorf("mount sysfs: %w", err)
		}
		dir := filepath.Join("/sys/class/net", name)
		b, err := os.ReadFile(filepath.Join(dir, "ifindex"))
		if err != nil {
			return err
		}
		if got, err := strconv.Atoi(strings.TrimSpace(string(b))); err != nil || got != ifindex {
			return fmt.Errorf("%s/ifindex is %q, want %d", dir, b, ifindex)
		}
		ents, err := os.ReadDir(filepath.Join(dir, "queues"))
		if err != nil {
			return err
		}
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "rx-") {
				count++
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if count == 0 {
		return 0, errors.New("no rx queues in sysfs")
	}
	return count, nil
}

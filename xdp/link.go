package xdp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ErrNotEthernet is returned for an interface without a 6-byte Ethernet
// address (tun, wireguard, loopback): AF_XDP frames here are Ethernet.
var ErrNotEthernet = errors.New("interface is not Ethernet")

// Link is what the package needs to know of an interface.
type Link struct {
	Index int
	Name  string
	MAC   [6]byte // zero unless Ethernet
	MTU   int
	// AdminUp is IFF_UP (`ip link set up`); Running is IFF_RUNNING, the
	// carrier and RFC 2863 operational state the kernel reports.
	AdminUp, Running bool
	Ethernet         bool
	Addrs            []Addr
}

// Up reports whether frames can leave through the interface.
func (l Link) Up() bool { return l.AdminUp && l.Running }

// Scope of an address (rtnetlink RT_SCOPE_*).
type Scope uint8

// Address scopes.
const (
	ScopeUniverse Scope = unix.RT_SCOPE_UNIVERSE
	ScopeSite     Scope = unix.RT_SCOPE_SITE
	ScopeLink     Scope = unix.RT_SCOPE_LINK
	ScopeHost     Scope = unix.RT_SCOPE_HOST
)

func (s Scope) String() string {
	switch s {
	case ScopeUniverse:
		return "global"
	case ScopeSite:
		return "site"
	case ScopeLink:
		return "link"
	case ScopeHost:
		return "host"
	}
	return fmt.Sprintf("scope %d", uint8(s))
}

// Addr is an address of an interface with its prefix length.
type Addr struct {
	Prefix netip.Prefix
	Scope  Scope
	// Flags are IFA_F_* (unix.IFA_F_TENTATIVE, IFA_F_DEPRECATED, ...). An
	// IPv6 address is usable as a source once not tentative (RFC 4862 5.4).
	Flags uint32
}

// Usable reports whether the address may be a packet's source address:
// neither tentative nor failed duplicate address detection.
func (a Addr) Usable() bool {
	return a.Flags&(unix.IFA_F_TENTATIVE|unix.IFA_F_DADFAILED) == 0
}

// LinkByIndex reads an interface and its addresses.
func (n *NetNS) LinkByIndex(ifindex int) (Link, error) {
	h, err := n.handle()
	if err != nil {
		return Link{}, err
	}
	defer h.Close()
	return readLink(h, ifindex)
}

// LinkByName reads an interface, by name, and its addresses.
func (n *NetNS) LinkByName(name string) (Link, error) {
	h, err := n.handle()
	if err != nil {
		return Link{}, err
	}
	defer h.Close()
	nl, err := h.LinkByName(name)
	if err != nil {
		return Link{}, fmt.Errorf("xdp: interface %q in %s: %w", name, n, err)
	}
	return readLink(h, nl.Attrs().Index)
}

func readLink(h *netlink.Handle, ifindex int) (Link, error) {
	nl, err := h.LinkByIndex(ifindex)
	if err != nil {
		return Link{}, fmt.Errorf("xdp: interface %d: %w", ifindex, err)
	}
	l := linkFromNetlink(nl.Attrs())
	addrs, err := h.AddrList(nl, netlink.FAMILY_ALL)
	if err != nil {
		return Link{}, fmt.Errorf("xdp: addresses of %s: %w", l.Name, err)
	}
	for _, a := range addrs {
		if ad, ok := addrFromNetlink(a.IPNet, a.Scope, a.Flags); ok {
			l.Addrs = append(l.Addrs, ad)
		}
	}
	return l, nil
}

func linkFromNetlink(a *netlink.LinkAttrs) Link {
	l := Link{
		Index:   a.Index,
		Name:    a.Name,
		MTU:     a.MTU,
		AdminUp: a.RawFlags&unix.IFF_UP != 0,
		Running: a.RawFlags&unix.IFF_RUNNING != 0,
	}
	if a.EncapType == "ether" && len(a.HardwareAddr) == 6 {
		l.Ethernet = true
		copy(l.MAC[:], a.HardwareAddr)
	}
	return l
}

func addrFromNetlink(ipn *net.IPNet, scope, flags int) (Addr, bool) {
	if ipn == nil {
		return Addr{}, false
	}
	ip, ok := netip.AddrFromSlice(ipn.IP)
	if !ok {
		return Addr{}, false
	}
	ones, _ := ipn.Mask.Size()
	p, err := ip.Unmap().Prefix(ones)
	if err != nil {
		return Addr{}, false
	}
	// Keep the host bits: the prefix is the address with its length.
	return Addr{Prefix: netip.PrefixFrom(ip.Unmap(), p.Bits()), Scope: Scope(scope), Flags: uint32(flags)}, true
}

package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/cilium/ebpf"
)

// Families as the program stores them (xdp_steer.c FAMILY_IPV4/6).
const (
	familyIPv4 = 4
	familyIPv6 = 6
)

// Endpoint is a local SCTP (address, port). An unspecified address
// (0.0.0.0 or ::) is every address of its family. IPv4-mapped IPv6
// addresses are taken as IPv4.
type Endpoint struct {
	Addr netip.Addr
	Port uint16
}

func (e Endpoint) String() string { return netip.AddrPortFrom(e.Addr, e.Port).String() }

func (e Endpoint) keys() (xdpSteerEndpointKey, xdpSteerAddrKey, error) {
	a := e.Addr.Unmap()
	if !a.IsValid() || e.Port == 0 {
		return xdpSteerEndpointKey{}, xdpSteerAddrKey{}, fmt.Errorf("%w: %v", ErrInvalidEndpoint, e)
	}
	ak := addrKey(a)
	ek := xdpSteerEndpointKey{Family: ak.Family, Addr: ak.Addr}
	// The program compares the port as it is on the wire (big endian).
	var port [2]byte
	binary.BigEndian.PutUint16(port[:], e.Port)
	ek.Port = binary.NativeEndian.Uint16(port[:])
	return ek, ak, nil
}

// addrKey is the program's key of a valid, unmapped address: its family
// and its bytes (IPv4 in the first four).
func addrKey(a netip.Addr) xdpSteerAddrKey {
	k := xdpSteerAddrKey{Family: familyIPv6, Addr: a.As16()}
	if a.Is4() {
		k.Family, k.Addr = familyIPv4, [16]byte{}
		b := a.As4()
		copy(k.Addr[:], b[:])
	}
	return k
}

// AddEndpoint starts steering SCTP addressed to e (and ICMP errors about
// packets sent from e) into the sockets. Adding a registered endpoint
// returns ErrEndpointExists.
func (p *Program) AddEndpoint(e Endpoint) error {
	ek, ak, err := e.keys()
	if err != nil {
		return err
	}
	return p.whileOpen(func() error {
		if err := p.objs.Endpoints.Update(&ek, uint32(1), ebpf.UpdateNoExist); err != nil {
			if errors.Is(err, ebpf.ErrKeyExist) {
				return fmt.Errorf("%w: %v", ErrEndpointExists, e)
			}
			return fmt.Errorf("bpf: add endpoint %v: %w", e, err)
		}
		if p.addrRefs[ak] == 0 {
			if err := p.objs.Addrs.Update(&ak, uint32(1), ebpf.UpdateAny); err != nil {
				_ = p.objs.Endpoints.Delete(&ek)
				return fmt.Errorf("bpf: add endpoint address %v: %w", e.Addr, err)
			}
		}
		p.addrRefs[ak]++
		return nil
	})
}

// RemoveEndpoint stops steering for e; its traffic passes to the kernel.
func (p *Program) RemoveEndpoint(e Endpoint) error {
	ek, ak, err := e.keys()
	if err != nil {
		return err
	}
	return p.whileOpen(func() error {
		if err := p.objs.Endpoints.Delete(&ek); err != nil {
			if errors.Is(err, ebpf.ErrKeyNotExist) {
				return fmt.Errorf("%w: %v", ErrNoEndpoint, e)
			}
			return fmt.Errorf("bpf: remove endpoint %v: %w", e, err)
		}
		if p.addrRefs[ak] <= 1 {
			// The count drops only once the entry is gone: a failed delete
			// must not leave an address nothing will ever remove.
			if err := p.objs.Addrs.Delete(&ak); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
				return fmt.Errorf("bpf: remove endpoint address %v: %w", e.Addr, err)
			}
			delete(p.addrRefs, ak)
			return nil
		}
		p.addrRefs[ak]--
		return nil
	})
}

// localKey is the locals map's key of a, which must be a unicast address:
// the program matches wildcard endpoints only for destinations in it.
func localKey(a netip.Addr) (xdpSteerAddrKey, error) {
	a = a.Unmap()
	if !a.IsValid() || a.IsUnspecified() || a.IsMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return xdpSteerAddrKey{}, fmt.Errorf("%w: %v is not a unicast address", ErrInvalidEndpoint, a)
	}
	return addrKey(a), nil
}

// AddLocalAddr tells the program that a is one of the host's own addresses:
// wildcard endpoints (0.0.0.0 or ::) take SCTP addressed to local addresses
// only, never traffic the host forwards or bridges. The owner of the
// program keeps this set in step with the interface's addresses (netlink
// address events). Adding an address twice is not an error.
func (p *Program) AddLocalAddr(a netip.Addr) error {
	k, err := localKey(a)
	if err != nil {
		return err
	}
	return p.whileOpen(func() error {
		if err := p.objs.Locals.Update(&k, uint32(1), ebpf.UpdateAny); err != nil {
			return fmt.Errorf("bpf: add local address %v: %w", a, err)
		}
		return nil
	})
}

// RemoveLocalAddr withdraws a from the local addresses; removing an absent
// address is not an error.
func (p *Program) RemoveLocalAddr(a netip.Addr) error {
	k, err := localKey(a)
	if err != nil {
		return err
	}
	return p.whileOpen(func() error {
		if err := p.objs.Locals.Delete(&k); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return fmt.Errorf("bpf: remove local address %v: %w", a, err)
		}
		return nil
	})
}

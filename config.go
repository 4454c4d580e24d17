package sctpxdp

import (
	"fmt"
	"net/netip"

	"github.com/sctp-xdp/sctp-xdp/assoc"
)

// Config configures an Endpoint.
type Config struct {
	// Interface is the network interface the endpoint's traffic uses, by
	// name inside NetNS.
	Interface string
	// NetNS names the interface's network namespace (an `ip netns` name or
	// a path); empty is the caller's.
	NetNS string
	// Queues limits the queues (sockets and pollers) of the interface's
	// runtime to the first Queues; 0 takes all. Endpoints sharing an
	// interface share its runtime: the first one's value holds.
	Queues int
	// Addrs are the local addresses (several for multi-homing); empty is the
	// wildcard: every address of the interface, IPv4 and IPv6.
	Addrs []netip.Addr
	// Port is the local port; 0 picks an ephemeral one (49152-65535).
	Port uint16
	// Events enables notifications in RecvMsg, kind by kind (SCTP_EVENT).
	Events Events
	// Assoc tunes the associations (RFC 9260 protocol parameters, streams,
	// buffers, NoDelay...); its LocalPort, LocalAddrs and owner fields are
	// set by the endpoint.
	Assoc assoc.Config

	oneToMany bool // set by ListenMany (endpoint_many.go)
}

func (c *Config) validate() error {
	if c.Interface == "" {
		return fmt.Errorf("%w: Config.Interface is required", ErrInvalid)
	}
	for _, a := range c.Addrs {
		if !a.IsValid() || a.IsUnspecified() || a.IsMulticast() {
			return fmt.Errorf("%w: local address %v", ErrInvalid, a)
		}
	}
	return c.Events.validate()
}

package sctpxdp

import (
	"fmt"
	"net/netip"
	"time"

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
	// CookieKeyLife is how long a State Cookie secret seals new cookies
	// before the interface's runtime replaces it with a fresh random one
	// (RFC 9260 5.1.3: the secret should change reasonably frequently);
	// the replaced key still opens its cookies for one cookie span
	// (Assoc.ValidCookieLife plus Assoc.MaxCookiePreservative). 0 is
	// DefaultCookieKeyLife, or the cookie span if that is longer; a value
	// shorter than the cookie span is refused (a rotation drops the key
	// before the previous one, which must outlive its cookies). Endpoints
	// sharing an interface share its runtime and its keys: the first
	// one's value holds, lengthened to the cookie span of any later one.
	// Raising the cookie life after Listen (SetAssocParams) does not
	// lengthen it.
	CookieKeyLife time.Duration

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
	if c.CookieKeyLife < 0 {
		return fmt.Errorf("%w: negative CookieKeyLife", ErrInvalid)
	}
	if span := c.cookieSpan(); c.CookieKeyLife != 0 && c.CookieKeyLife < span {
		return fmt.Errorf("%w: CookieKeyLife %v shorter than the cookie span %v (ValidCookieLife + MaxCookiePreservative)",
			ErrInvalid, c.CookieKeyLife, span)
	}
	return c.validateOptions() // options.go: SCTP_EVENT kinds, SCTP_AUTOCLOSE style
}

// cookieSpan is how long a cookie of the endpoint can stay valid: its life
// plus the largest preservative granted (RFC 9260 5.1.3), defaults applied.
func (c *Config) cookieSpan() time.Duration {
	life, pres := c.Assoc.ValidCookieLife, c.Assoc.MaxCookiePreservative
	if life == 0 {
		life = assoc.DefaultValidCookieLife
	}
	if pres == 0 {
		pres = assoc.DefaultMaxCookiePreservative
	}
	return life + pres
}

// cookieKeyLife is the key life the endpoint asks of its runtime.
func (c *Config) cookieKeyLife() time.Duration {
	if c.CookieKeyLife != 0 {
		return c.CookieKeyLife
	}
	return max(DefaultCookieKeyLife, c.cookieSpan())
}

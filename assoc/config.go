package assoc

import (
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("assoc: invalid configuration")

// Rand is the source of randomness (verification tags, initial TSNs). Tests
// inject a seeded source; production uses CryptoRand.
type Rand interface{ Uint32() uint32 }

// Protocol defaults of RFC 9260 16.
const (
	DefaultRTOInitial         = 1 * time.Second
	DefaultRTOMin             = 1 * time.Second
	DefaultRTOMax             = 60 * time.Second
	DefaultMaxInitRetransmits = 8
	DefaultAssocMaxRetrans    = 10
	DefaultValidCookieLife    = 60 * time.Second
	DefaultHBInterval         = 30 * time.Second
	DefaultPathMaxRetrans     = 5 // Path.Max.Retrans
	DefaultHBMaxBurst         = 1 // HB.Max.Burst

	DefaultOutStreams    = 10
	DefaultMaxInStreams  = 2048
	DefaultARwnd         = 1 << 20
	DefaultPMTU          = 1500
	DefaultMaxBurst      = 4                      // Max.Burst (RFC 9260 16)
	DefaultSackDelay     = 200 * time.Millisecond // delayed SACK (RFC 9260 6.2)
	DefaultSendBuffer    = 1 << 20                // bytes queued and unacknowledged
	DefaultRTOAlphaShift = 3                      // RTO.Alpha = 1/8 (RFC 9260 16)
	DefaultRTOBetaShift  = 2                      // RTO.Beta = 1/4
	// DefaultMaxCookiePreservative bounds the lifetime increment a peer may
	// ask for with a Cookie Preservative (RFC 9260 5.1.3 lets us ignore or
	// cap it).
	DefaultMaxCookiePreservative = 60 * time.Second
)

// Config holds an endpoint's association parameters. The zero value of each
// field means its default; Validate fills the defaults in.
type Config struct {
	LocalPort  uint16       // required, not 0
	LocalAddrs []netip.Addr // announced in INIT / INIT ACK when more than one
	// AnnouncePeerFamily announces only the LocalAddrs of the peer's
	// address family (and none when that leaves one: the packet's source
	// stands for it). For a wildcard endpoint, whose LocalAddrs are every
	// address of the interface: an IPv4 peer is not handed IPv6 paths it
	// was not asked about, yet a second IPv4 address is announced, so
	// packets that leave from it (the route's choice for a peer address)
	// belong to the association (RFC 9260 5.1.2).
	AnnouncePeerFamily bool

	OutStreams   uint16 // OS we request; default 10
	MaxInStreams uint16 // MIS we accept; default 2048
	ARwnd        uint32 // advertised receiver window; default 1 MiB (at least 1500, RFC 9260 3.3.2)

	RTOInitial, RTOMin, RTOMax time.Duration
	MaxInitRetransmits         int // Max.Init.Retransmits
	AssocMaxRetrans            int // Association.Max.Retrans
	ValidCookieLife            time.Duration
	HBInterval                 time.Duration // HB.interval (RFC 9260 8.3); default 30 s
	// PathMaxRetrans is Path.Max.Retrans (RFC 9260 8.2): a path whose
	// error counter exceeds it is inactive; default 5.
	PathMaxRetrans int
	// PFMaxRetrans is PotentiallyFailed.Max.Retrans (RFC 7829 5.1): a path
	// whose error counter exceeds it is potentially failed and DATA moves
	// to another active path. The default 0 means "potentially failed on
	// the first timeout", the value RFC 7829 7 recommends for fast
	// failover; a negative value turns the PF state off (the plain RFC
	// 9260 behaviour: retransmissions go to an alternate path, new DATA
	// stays on the primary until it is inactive).
	PFMaxRetrans int
	// PrimarySwitchover (RFC 7829 6, "Primary Path Switchover"): once the
	// primary's error counter exceeds PSMaxRetrans, the active path DATA
	// failed over to becomes the primary (ADDR_MADE_PRIM), so DATA stays
	// there when the old primary comes back. Off by default: DATA returns
	// to the primary (RFC 9260 6.4.1). PSMaxRetrans must be at least
	// PFMaxRetrans.
	PrimarySwitchover bool
	PSMaxRetrans      int
	// HBMaxBurst is HB.Max.Burst (RFC 9260 5.4, 16): HEARTBEATs to
	// unconfirmed addresses per RTO; default 1.
	HBMaxBurst int
	// DisableHeartbeats turns the periodic HEARTBEAT of idle confirmed
	// paths off (SPP_HB_DISABLE for every path; Assoc.SetHeartbeat per
	// path). Unconfirmed addresses are still probed to confirm them, and
	// potentially-failed or inactive ones to find them back.
	DisableHeartbeats     bool
	MaxCookiePreservative time.Duration

	// Adaptation, if HasAdaptation, is sent in INIT and INIT ACK (RFC 5061 4.2.6).
	HasAdaptation bool
	Adaptation    uint32

	PMTU int // path MTU in bytes, IP header included; default 1500

	// RTOAlphaShift and RTOBetaShift are RTO.Alpha = 1/2^n and RTO.Beta =
	// 1/2^n of RFC 9260 6.3.1; defaults 3 (1/8) and 2 (1/4).
	RTOAlphaShift, RTOBetaShift uint

	MaxBurst   int           // Max.Burst: packets of new DATA per send opportunity; default 4
	SackDelay  time.Duration // delayed SACK timer (RFC 9260 6.2, at most 500 ms); default 200 ms
	SendBuffer int           // bytes of user messages queued or unacknowledged; default 1 MiB
	// MaxSeg caps the user data of one DATA chunk (SCTP_MAXSEG); 0 means
	// what the path MTU allows.
	MaxSeg int
	// DisableFragments refuses messages that do not fit one DATA chunk
	// (SCTP_DISABLE_FRAGMENTS) instead of fragmenting them.
	DisableFragments bool
	// PartialDeliveryPoint (SCTP_PARTIAL_DELIVERY_POINT, RFC 6458
	// 8.1.21): when this many bytes of an incomplete message are held, the
	// message is handed to the reader in pieces (Recv without EOR) so a
	// message larger than the receive window cannot stall; default ARwnd/2.
	PartialDeliveryPoint int
	// PMTUProbe turns on Packetization Layer PMTU Discovery (RFC 8899,
	// HEARTBEAT and PAD probes): DATA starts at 1200 bytes and grows to
	// PMTU only as probes confirm it, protecting against black holes.
	PMTUProbe bool
	// NoDelay turns Nagle's algorithm off (SCTP_NODELAY): small messages
	// leave at once even while DATA is outstanding.
	NoDelay bool
	// AutoClose shuts an idle association down after this long without
	// DATA either way (SCTP_AUTOCLOSE, RFC 6458 8.1.8); 0 disables it.
	AutoClose time.Duration
	// CongestionControl makes a path's congestion controller; nil is the
	// RFC 9260 7.2 algorithm (NewRFC9260CC).
	CongestionControl func(mtu int, peerRwnd uint32) CongestionControl

	// OwnerBits low bits of every Initiate Tag we choose carry Owner (the
	// poller index of design.md 3); at most 8 so 24 bits stay random.
	OwnerBits int
	Owner     uint32

	// NoRetransmit disables every retransmission (T1, T2): a test knob that
	// proves the simulator's loss is real.
	NoRetransmit bool

	// Rand is the randomness source; nil means CryptoRand().
	Rand Rand
}

// Validate fills the defaults in and checks the values, returning an error
// wrapping ErrConfig that names the field.
func (c *Config) Validate() error {
	if c.LocalPort == 0 {
		return fmt.Errorf("%w: LocalPort is 0", ErrConfig)
	}
	for _, a := range c.LocalAddrs {
		if !a.IsValid() || a.IsUnspecified() || a.IsMulticast() {
			return fmt.Errorf("%w: local address %v is not a unicast address", ErrConfig, a)
		}
	}
	def16 := func(v *uint16, d uint16) {
		if *v == 0 {
			*v = d
		}
	}
	def16(&c.OutStreams, DefaultOutStreams)
	def16(&c.MaxInStreams, DefaultMaxInStreams)
	if c.ARwnd == 0 {
		c.ARwnd = DefaultARwnd
	}
	if c.ARwnd < 1500 {
		return fmt.Errorf("%w: ARwnd %d below 1500 (RFC 9260 3.3.2)", ErrConfig, c.ARwnd)
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	defD(&c.RTOInitial, DefaultRTOInitial)
	defD(&c.RTOMin, DefaultRTOMin)
	defD(&c.RTOMax, DefaultRTOMax)
	defD(&c.ValidCookieLife, DefaultValidCookieLife)
	defD(&c.HBInterval, DefaultHBInterval)
	defD(&c.MaxCookiePreservative, DefaultMaxCookiePreservative)
	if c.RTOMin < 0 || c.RTOMin > c.RTOMax || c.RTOInitial < c.RTOMin || c.RTOInitial > c.RTOMax {
		return fmt.Errorf("%w: need 0 < RTOMin <= RTOInitial <= RTOMax (have %v, %v, %v)",
			ErrConfig, c.RTOMin, c.RTOInitial, c.RTOMax)
	}
	if c.ValidCookieLife < time.Millisecond || c.ValidCookieLife > time.Hour {
		return fmt.Errorf("%w: ValidCookieLife %v outside [1ms, 1h]", ErrConfig, c.ValidCookieLife)
	}
	if c.MaxCookiePreservative < 0 {
		return fmt.Errorf("%w: MaxCookiePreservative is negative", ErrConfig)
	}
	if c.MaxInitRetransmits == 0 {
		c.MaxInitRetransmits = DefaultMaxInitRetransmits
	}
	if c.AssocMaxRetrans == 0 {
		c.AssocMaxRetrans = DefaultAssocMaxRetrans
	}
	if c.PathMaxRetrans == 0 {
		c.PathMaxRetrans = DefaultPathMaxRetrans
	}
	if c.HBMaxBurst == 0 {
		c.HBMaxBurst = DefaultHBMaxBurst
	}
	if c.PrimarySwitchover && c.PSMaxRetrans < max(c.PFMaxRetrans, 0) {
		return fmt.Errorf("%w: PSMaxRetrans %d below PFMaxRetrans %d (RFC 7829 6)", ErrConfig, c.PSMaxRetrans, c.PFMaxRetrans)
	}
	if c.HBInterval < 0 || c.PathMaxRetrans < 0 || c.HBMaxBurst < 0 {
		return fmt.Errorf("%w: negative HBInterval, PathMaxRetrans or HBMaxBurst", ErrConfig)
	}
	if c.MaxInitRetransmits < 0 || c.AssocMaxRetrans < 0 {
		return fmt.Errorf("%w: negative retransmission limit", ErrConfig)
	}
	if c.PMTU == 0 {
		c.PMTU = DefaultPMTU
	}
	if c.PMTU < 576 || c.PMTU > 65535 {
		return fmt.Errorf("%w: PMTU %d outside [576, 65535]", ErrConfig, c.PMTU)
	}
	if c.RTOAlphaShift == 0 {
		c.RTOAlphaShift = DefaultRTOAlphaShift
	}
	if c.RTOBetaShift == 0 {
		c.RTOBetaShift = DefaultRTOBetaShift
	}
	if c.RTOAlphaShift > 16 || c.RTOBetaShift > 16 {
		return fmt.Errorf("%w: RTO alpha/beta shift above 16", ErrConfig)
	}
	if c.MaxBurst == 0 {
		c.MaxBurst = DefaultMaxBurst
	}
	defD(&c.SackDelay, DefaultSackDelay)
	if c.SackDelay < 0 || c.SackDelay > 500*time.Millisecond {
		return fmt.Errorf("%w: SackDelay %v outside (0, 500ms] (RFC 9260 6.2)", ErrConfig, c.SackDelay)
	}
	if c.SendBuffer == 0 {
		c.SendBuffer = DefaultSendBuffer
	}
	if c.MaxBurst < 0 || c.SendBuffer < 1500 || c.MaxSeg < 0 || c.AutoClose < 0 {
		return fmt.Errorf("%w: negative MaxBurst, MaxSeg or AutoClose, or SendBuffer below 1500", ErrConfig)
	}
	if c.PartialDeliveryPoint <= 0 || c.PartialDeliveryPoint > int(c.ARwnd) {
		c.PartialDeliveryPoint = int(c.ARwnd) / 2
	}
	if c.CongestionControl == nil {
		c.CongestionControl = NewRFC9260CC
	}
	if c.OwnerBits < 0 || c.OwnerBits > 8 {
		return fmt.Errorf("%w: OwnerBits %d outside [0, 8] (24 bits of a tag stay random)", ErrConfig, c.OwnerBits)
	}
	if c.Owner >= 1<<c.OwnerBits {
		return fmt.Errorf("%w: Owner %d does not fit in %d bits", ErrConfig, c.Owner, c.OwnerBits)
	}
	if c.Rand == nil {
		c.Rand = CryptoRand()
	}
	return nil
}

// tag draws a non-zero Initiate Tag carrying the owner bits (design.md 3).
func (c *Config) tag() uint32 {
	mask := uint32(1)<<c.OwnerBits - 1
	for {
		t := c.Rand.Uint32()&^mask | c.Owner
		if t != 0 {
			return t
		}
	}
}

// OwnerOf gives the owner bits of a verification tag we chose.
func OwnerOf(tag uint32, bits int) uint32 { return tag & (1<<bits - 1) }

type cryptoRand struct {
	buf [256]byte
	n   int
}

// CryptoRand returns a Rand reading crypto/rand, buffered.
func CryptoRand() Rand { return &cryptoRand{n: 256} }

func (r *cryptoRand) Uint32() uint32 {
	if r.n+4 > len(r.buf) {
		_, _ = crand.Read(r.buf[:]) // never fails (Go 1.24+)
		r.n = 0
	}
	v := binary.LittleEndian.Uint32(r.buf[r.n:])
	r.n += 4
	return v
}

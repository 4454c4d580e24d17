package wire

import "net/netip"

// InitHeaderLen is the length of an INIT or INIT ACK chunk without
// parameters (RFC 9260 3.3.2, 3.3.3).
const InitHeaderLen = 20

// InitChunk is a view of an INIT or INIT ACK chunk (same layout).
type InitChunk []byte

// InitiateTag is the Initiate Tag.
func (c InitChunk) InitiateTag() uint32 { return be32(c[4:]) }

// ARwnd is the Advertised Receiver Window Credit.
func (c InitChunk) ARwnd() uint32 { return be32(c[8:]) }

// OutStreams is the Number of Outbound Streams (OS).
func (c InitChunk) OutStreams() uint16 { return be16(c[12:]) }

// InStreams is the Number of Inbound Streams (MIS).
func (c InitChunk) InStreams() uint16 { return be16(c[14:]) }

// InitialTSN is the Initial TSN.
func (c InitChunk) InitialTSN() uint32 { return be32(c[16:]) }

// Params iterates over the optional/variable-length parameters.
func (c InitChunk) Params() ParamIter { return Params(c[InitHeaderLen:]) }

// validate checks the layout and the values RFC 9260 3.3.2 and 3.3.3 forbid:
// an Initiate Tag of 0 (the packet is silently discarded), zero OS or MIS
// (answered with Invalid Mandatory Parameter), and an INIT ACK without a
// State Cookie (Missing Mandatory Parameter). Unknown parameters are left to
// the caller's action-bit processing.
func (c InitChunk) validate(ack bool) error {
	if len(c) < InitHeaderLen {
		return errInitShort
	}
	if c.InitiateTag() == 0 {
		return errInitTagZero
	}
	if c.OutStreams() == 0 || c.InStreams() == 0 {
		return errInitStreamsZero
	}
	if err := validateParams(c[InitHeaderLen:], 0); err != nil {
		return err
	}
	if ack {
		for it := c.Params(); ; {
			p, ok := it.Next()
			if !ok {
				return errInitAckNoCookie
			}
			if p.Type() == ParamStateCookie {
				return nil
			}
		}
	}
	return nil
}

// InitOptions is what an INIT or INIT ACK announces beyond its fixed fields,
// collected in one pass over the parameters. Slices alias the packet.
// Addresses are not collected: iterate Params for ParamIPv4 and ParamIPv6.
type InitOptions struct {
	NumAddrs            int    // IPv4 and IPv6 Address parameters
	StateCookie         []byte // nil if absent
	CookiePreservative  uint32 // suggested increment in ms; 0 if absent
	HasHostName         bool   // RFC 9260 3.3.2.1: answer with Unresolvable Address
	SupportedAddrTypes  Param  // nil if absent
	ECN                 bool
	ForwardTSN          bool   // RFC 3758
	HasAdaptation       bool   // RFC 5061 4.2.6
	Adaptation          uint32 // Adaptation Code Point
	SupportedExtensions []byte // chunk types; nil if absent (RFC 5061 4.2.7)
	Random              []byte // RFC 4895 3.1
	ChunkList           []byte // RFC 4895 3.2
	HMACAlgos           Param  // RFC 4895 3.3; nil if absent
	HasZeroChecksum     bool   // RFC 9653
	ZeroChecksumEDMID   uint32
	// First unknown parameter whose action bits say stop (00 or 01), if any:
	// the parameters after it are not read (RFC 9260 3.2.1, "do not process
	// any further parameters within this chunk"). Unknown counts the
	// unrecognized parameters read.
	Stop    Param
	Unknown int
}

// Options collects the chunk's parameters into o. Call it on a validated chunk.
func (c InitChunk) Options(o *InitOptions) {
	*o = InitOptions{}
	for it := c.Params(); ; {
		p, ok := it.Next()
		if !ok {
			return
		}
		switch p.Type() {
		case ParamIPv4, ParamIPv6:
			o.NumAddrs++
		case ParamStateCookie:
			o.StateCookie = p.Value()
		case ParamCookiePreservative:
			o.CookiePreservative = p.U32()
		case ParamHostName:
			o.HasHostName = true
		case ParamSupportedAddrTypes:
			o.SupportedAddrTypes = p
		case ParamECNCapable:
			o.ECN = true
		case ParamForwardTSNSupported:
			o.ForwardTSN = true
		case ParamAdaptationLayer:
			o.HasAdaptation, o.Adaptation = true, p.U32()
		case ParamSupportedExtensions:
			o.SupportedExtensions = p.ChunkTypes()
		case ParamRandom:
			o.Random = p.Value()
		case ParamChunkList:
			o.ChunkList = p.ChunkTypes()
		case ParamRequestedHMACAlgo:
			o.HMACAlgos = p
		case ParamZeroChecksum:
			o.HasZeroChecksum, o.ZeroChecksumEDMID = true, p.U32()
		case ParamPadding:
		default:
			o.Unknown++
			if !p.Type().Action().Skip() {
				o.Stop = p
				return
			}
		}
	}
}

// Supports reports whether a Supported Extensions list names chunk type t.
func Supports(ext []byte, t ChunkType) bool {
	for _, x := range ext {
		if ChunkType(x) == t {
			return true
		}
	}
	return false
}

// AddrIter yields the addresses of the IPv4 and IPv6 Address parameters
// among a list of parameters, skipping the others, without allocating.
type AddrIter struct{ it ParamIter }

// Addrs iterates over the chunk's IPv4 and IPv6 Address parameters.
func (c InitChunk) Addrs() AddrIter { return AddrIter{c.Params()} }

// Addrs iterates over the addresses of a Restart of an Association with
// New Addresses cause.
func (c Cause) Addrs() AddrIter { return AddrIter{c.Params()} }

// Next returns the next address.
func (a *AddrIter) Next() (netip.Addr, bool) {
	for {
		p, ok := a.it.Next()
		if !ok {
			return netip.Addr{}, false
		}
		if t := p.Type(); t == ParamIPv4 || t == ParamIPv6 {
			return p.Addr(), true
		}
	}
}

// Err reports a framing error that ended the walk (never on a validated chunk).
func (a *AddrIter) Err() error { return a.it.Err() }

package assoc

import "net/netip"

// PathState is a destination transport address's reachability (RFC 9260
// 5.4, 8.2; the potentially-failed state of RFC 7829 5.1).
type PathState uint8

// Path states.
const (
	// PathUnconfirmed: learned from an INIT or INIT ACK address list and
	// not yet confirmed by a HEARTBEAT ACK echoing our nonce (RFC 9260
	// 5.4); only HEARTBEATs go there.
	PathUnconfirmed PathState = iota
	// PathActive: confirmed and reachable.
	PathActive
	// PathPotentiallyFailed: more than PotentiallyFailed.Max.Retrans
	// consecutive timeouts (RFC 7829 5.1); no DATA while an active path
	// exists, HEARTBEATs once per RTO.
	PathPotentiallyFailed
	// PathInactive: more than Path.Max.Retrans consecutive timeouts (RFC
	// 9260 8.2); HEARTBEATs at HB.interval until one is answered.
	PathInactive
)

var pathStateNames = [...]string{"UNCONFIRMED", "ACTIVE", "POTENTIALLY_FAILED", "INACTIVE"}

func (s PathState) String() string {
	if int(s) < len(pathStateNames) {
		return pathStateNames[s]
	}
	return "UNKNOWN"
}

// path is one destination transport address of the peer with its own RTO
// (rto.go), congestion control (cc.go), path MTU (pmtu.go), error counter
// and heartbeat state (heartbeat.go), as RFC 9260 6.3, 7.2, 7.3, 8.2 and
// 8.3 keep them per destination.
type path struct {
	addr         netip.Addr
	rto          int64 // ns
	srtt, rttvar int64
	measured     bool

	mtu int               // path MTU, IP header included
	cc  CongestionControl // created when the peer's a_rwnd is known

	state    PathState
	errors   int   // consecutive timeouts (RFC 9260 8.2)
	lastSend int64 // last DATA or HEARTBEAT sent here (8.3: idle paths are probed)
	struckAt int64 // last timeout: acks of DATA sent before it prove nothing

	hb      timer  // next HEARTBEAT, or the outstanding one's RTO (8.3)
	hbOut   bool   // a HEARTBEAT waits for its ACK
	hbNonce uint64 // the nonce it carries (5.4)
	hbAt    int64  // when it left
	hbOff   bool   // heartbeats disabled for this path (SetHeartbeat)

	// Per-path settings (SCTP_PEER_ADDR_PARAMS, options.go).
	maxRetrans int   // Path.Max.Retrans (8.2)
	hbInterval int64 // HB.interval (8.3), ns
}

func newPath(a netip.Addr, cfg *Config, confirmed bool) path {
	p := path{addr: a, rto: int64(cfg.RTOInitial), mtu: cfg.PMTU, hbOff: cfg.DisableHeartbeats,
		maxRetrans: cfg.PathMaxRetrans, hbInterval: int64(cfg.HBInterval)}
	if confirmed {
		p.state = PathActive
	}
	return p
}

// ipHeaderLen is the IP header length towards the path (no options).
func (p *path) ipHeaderLen() int {
	if p.addr.Is6() && !p.addr.Is4In6() {
		return 40
	}
	return 20
}

// PathInfo describes one peer address (GET_PEER_ADDR_INFO, RFC 6458
// 8.2.2, with SCTP_GET_PEER_ADDR_PARAMS' heartbeat flag).
type PathInfo struct {
	Addr       netip.Addr
	State      PathState
	Primary    bool  // the user's primary path (PRIMARY_ADDR)
	Current    bool  // the path new DATA takes now (the primary, or its stand-in after failover)
	Cwnd       int   // bytes; 0 before the peer's a_rwnd is known
	Ssthresh   int   // bytes, when the congestion controller tells it (0 otherwise)
	SRTT       int64 // ns; 0 before the first measurement
	RTO        int64 // ns
	MTU        int   // path MTU, IP header included
	Errors     int   // consecutive timeouts (RFC 9260 8.2)
	Heartbeats bool  // heartbeats enabled
}

// ssthresher is implemented by congestion controllers that expose ssthresh.
type ssthresher interface{ Ssthresh() int }

func (a *Assoc) pathInfo(i int) PathInfo {
	p := &a.paths[i]
	pi := PathInfo{Addr: p.addr, State: p.state, Primary: i == a.primary, Current: i == a.tx,
		SRTT: p.srtt, RTO: p.rto, MTU: p.mtu, Errors: p.errors, Heartbeats: !p.hbOff}
	if p.cc != nil {
		pi.Cwnd = p.cc.Window()
		if s, ok := p.cc.(ssthresher); ok {
			pi.Ssthresh = s.Ssthresh()
		}
	}
	return pi
}

// PathInfo describes the peer address addr; ok is false if it is not one
// of the association's.
func (a *Assoc) PathInfo(addr netip.Addr) (info PathInfo, ok bool) {
	if i := a.pathIndex(addr); i >= 0 {
		return a.pathInfo(i), true
	}
	return PathInfo{}, false
}

// Paths appends a PathInfo for every peer address to dst, in the order the
// addresses were learned.
func (a *Assoc) Paths(dst []PathInfo) []PathInfo {
	for i := range a.paths {
		dst = append(dst, a.pathInfo(i))
	}
	return dst
}

package assoc

import "net/netip"

// path is one destination transport address of the peer with its own RTO
// (rto.go), congestion control (cc.go) and path MTU (pmtu.go) state, as RFC
// 9260 6.3, 7.2 and 7.3 keep them per destination. Only the primary is used
// until multi-homing (issue 9).
type path struct {
	addr         netip.Addr
	rto          int64 // ns
	srtt, rttvar int64
	measured     bool

	mtu int               // path MTU, IP header included
	cc  CongestionControl // created when the peer's a_rwnd is known
}

func newPath(a netip.Addr, cfg *Config) path {
	return path{addr: a, rto: int64(cfg.RTOInitial), mtu: cfg.PMTU}
}

// ipHeaderLen is the IP header length towards the path (no options).
func (p *path) ipHeaderLen() int {
	if p.addr.Is6() && !p.addr.Is4In6() {
		return 40
	}
	return 20
}

package assoc

// sample folds an RTT measurement in (RFC 9260 6.3.1 C1-C3) with RTO.Alpha
// = 1/2^RTOAlphaShift and RTO.Beta = 1/2^RTOBetaShift (section 16: 1/8,
// 1/4), then clamps to [RTO.Min, RTO.Max] (C6, C7).
func (p *path) sample(r int64, cfg *Config) {
	if r < 0 {
		return
	}
	if !p.measured { // C2: the first measurement
		p.srtt, p.rttvar, p.measured = r, r/2, true
	} else { // C3: RTTVAR first, with the old SRTT
		d := p.srtt - r
		if d < 0 {
			d = -d
		}
		p.rttvar = p.rttvar - p.rttvar>>cfg.RTOBetaShift + d>>cfg.RTOBetaShift
		p.srtt = p.srtt - p.srtt>>cfg.RTOAlphaShift + r>>cfg.RTOAlphaShift
	}
	p.rto = p.srtt + max(4*p.rttvar, 1e6) // C4/C5: G = 1 ms clock granularity
	p.rto = min(max(p.rto, int64(cfg.RTOMin)), int64(cfg.RTOMax))
}

// backoff doubles the RTO after a timer expiry (RFC 9260 6.3.3 E2), capped
// at RTO.Max.
func (p *path) backoff(cfg *Config) { p.rto = min(2*p.rto, int64(cfg.RTOMax)) }

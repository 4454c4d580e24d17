package assoc

// The association's timers are deadlines (ns); 0 means stopped. The caller
// (the poller's timer wheel, or the simulator) asks Deadline and calls
// HandleTimeout when it passes.
type timer struct {
	at int64
	n  int // expiries since the timer was (re)started by progress
}

func (t *timer) start(now, d int64) { t.at = now + d }
func (t *timer) stop()              { t.at, t.n = 0, 0 }

// fireAt sets the deadline to now (0 would mean stopped: time 1 then).
func (t *timer) fireAt(now int64)   { t.at = max(now, 1) }
func (t *timer) due(now int64) bool { return t.at != 0 && now >= t.at }

// Deadline is the earliest running timer's deadline, or 0 if none runs.
func (a *Assoc) Deadline() int64 {
	d := int64(0)
	for _, t := range [...]*timer{&a.t1, &a.t2, &a.t5, &a.t3, &a.tSack, &a.pl.timer} {
		if t.at != 0 && (d == 0 || t.at < d) {
			d = t.at
		}
	}
	if at := a.autoCloseAt(); at != 0 && (d == 0 || at < d) {
		d = at
	}
	for i := range a.paths {
		if at := a.paths[i].hb.at; at != 0 && (d == 0 || at < d) {
			d = at
		}
	}
	return d
}

// HandleTimeout runs every timer that is due at now.
func (a *Assoc) HandleTimeout(now int64) {
	a.burst = 0
	if a.t1.due(now) {
		a.t1Expired(now)
	}
	if a.t5.due(now) { // T5 before T2: the guard ends everything (RFC 9260 9.2)
		a.t5Expired(now)
	}
	if a.t2.due(now) {
		a.t2Expired(now)
	}
	if a.t3.due(now) {
		a.t3Expired(now)
	}
	if a.tSack.due(now) {
		a.sackTimerExpired()
	}
	if a.pl.timer.due(now) {
		a.plTimeout(now)
	}
	if at := a.autoCloseAt(); at != 0 && now >= at {
		a.autoClose(now)
	}
	for i := range a.paths {
		if a.state != Closed && a.paths[i].hb.due(now) && !a.hbTimeout(now, i) {
			return
		}
	}
}

// retransmitOK counts an expiry of t and reports whether another
// retransmission is allowed under limit.
func (a *Assoc) retransmitOK(t *timer, limit int) bool {
	t.n++
	return !a.cfg.NoRetransmit && t.n <= limit
}

// autoCloseAt is when an idle ESTABLISHED association shuts down
// (Config.AutoClose, RFC 6458 8.1.8), or 0.
func (a *Assoc) autoCloseAt() int64 {
	if a.cfg.AutoClose <= 0 || a.state != Established {
		return 0
	}
	return a.lastActive + int64(a.cfg.AutoClose)
}

func (a *Assoc) autoClose(now int64) {
	if !a.sq.empty() || a.fl.outstanding() > 0 || a.rq.readyBytes > 0 {
		a.lastActive = now // not idle: DATA still moving or unread
		return
	}
	_ = a.Shutdown(now)
}

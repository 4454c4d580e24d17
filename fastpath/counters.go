package fastpath

import "sync/atomic"

// DropReason says why a received packet was dropped; the names are the
// `reason` label of sctp_packet_drops_total (design.md section 7).
type DropReason uint8

const (
	DropChecksum    DropReason = iota // CRC32c mismatch (RFC 9260 6.8)
	DropOOTB                          // out of the blue and answered or ignored (8.4)
	DropVTag                          // verification tag mismatch (8.5)
	DropMalformed                     // headers or chunks fail validation
	DropCookieMAC                     // State Cookie with a bad HMAC
	DropCookieStale                   // State Cookie past its lifetime
	DropFragment                      // IP fragment (we send with DF and follow PMTU)
	DropNoBuffer                      // no frame or ring slot was free
	NumDropReasons
)

var dropNames = [NumDropReasons]string{"checksum", "ootb", "vtag", "malformed", "cookie_mac",
	"cookie_stale", "fragment", "no_buffer"}

func (r DropReason) String() string {
	if r < NumDropReasons {
		return dropNames[r]
	}
	return "unknown"
}

// counter is written by one goroutine and read by any: a load and a store
// instead of a locked add keep the hot path free of atomic read-modify-write.
type counter struct{ v atomic.Uint64 }

func (c *counter) inc()         { c.v.Store(c.v.Load() + 1) }
func (c *counter) add(n uint64) { c.v.Store(c.v.Load() + n) }
func (c *counter) Load() uint64 { return c.v.Load() }

// PollerStats are a poller's counters, readable at any time.
type PollerStats struct {
	RxFrames, RxPackets, TxPackets uint64
	Drops                          [NumDropReasons]uint64
	ForwardedOut, ForwardedIn      uint64 // frames copied to / from other pollers
	ToSlowPath                     uint64 // packets handed to the slow path
	TxUnresolved                   uint64 // packets not sent: next hop unknown yet
	TxParked                       uint64 // packets that waited for their next hop (sent or in TxUnresolved)
	TxParkOverflow                 uint64 // parked packets pushed out of a full area (in TxUnresolved too)
	Wakeups                        uint64 // returns from an idle wait
	WaitErrors                     uint64 // idle waits that failed (then back off 1 ms)
}

type pollerCounters struct {
	rxFrames, rxPackets, txPackets counter
	drops                          [NumDropReasons]counter
	fwdOut, fwdIn, toSlow          counter
	txUnresolved, wakeups          counter
	txParked, txParkOverflow       counter
	waitErrors                     counter
}

func (c *pollerCounters) snapshot() PollerStats {
	s := PollerStats{RxFrames: c.rxFrames.Load(), RxPackets: c.rxPackets.Load(), TxPackets: c.txPackets.Load(),
		ForwardedOut: c.fwdOut.Load(), ForwardedIn: c.fwdIn.Load(), ToSlowPath: c.toSlow.Load(),
		TxUnresolved: c.txUnresolved.Load(), Wakeups: c.wakeups.Load(), WaitErrors: c.waitErrors.Load(),
		TxParked: c.txParked.Load(), TxParkOverflow: c.txParkOverflow.Load()}
	for i := range c.drops {
		s.Drops[i] = c.drops[i].Load()
	}
	return s
}

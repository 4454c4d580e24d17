package xdp

import (
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/vishvananda/netlink"
)

// ErrNeighbourPending means the link-layer address of the next hop is not
// known yet: the kernel has been asked to resolve it (its ARP and Neighbour
// Discovery frames pass the XDP program), and the caller should retry. It is
// returned wrapped, with the addresses involved.
var ErrNeighbourPending = errors.New("neighbour resolution pending")

// Kernel neighbour states (NUD_*) and how we treat them. The kernel sends
// with the cached address in every NUD_VALID state (RFC 4861 7.3.3: in STALE
// the cached address is used and reachability is then verified, DELAY and
// PROBE are that verification). We do the same, never in INCOMPLETE, FAILED
// or NONE, where the kernel has no address it trusts.
//
// Our frames bypass the kernel, so its state machine never sees them: a
// STALE entry would stay STALE and its address would never be verified
// again. When a lookup uses a STALE entry we therefore tell the kernel the
// entry is in use (NTF_USE, see kick), exactly what its own transmit path
// does: STALE becomes DELAY, then PROBE with a unicast probe, then
// REACHABLE, or FAILED and the address stops being used.
const usableStates = netlink.NUD_REACHABLE | netlink.NUD_STALE | netlink.NUD_DELAY |
	netlink.NUD_PROBE | netlink.NUD_PERMANENT | netlink.NUD_NOARP

// neighWord packs a neighbour entry into 64 bits so that the hot path reads
// it with one atomic load: the MAC in bits 0-47, the NUD state in 48-55,
// flags above.
type neighWord uint64

const (
	nwUsable neighWord = 1 << 56 // a usable state with a valid unicast or multicast MAC
	nwStale  neighWord = 1 << 57 // NUD_STALE: use, and ask the kernel to verify
	nwKicked neighWord = 1 << 58 // a verification request is queued for this STALE episode
)

func packNeigh(state int, mac net.HardwareAddr) neighWord {
	w := neighWord(uint8(state)) << 48
	if len(mac) != 6 {
		return w
	}
	var m uint64
	for _, b := range mac {
		m = m<<8 | uint64(b)
	}
	if m == 0 {
		return w // an all-zero address is never a neighbour's
	}
	w |= neighWord(m)
	if state&usableStates != 0 {
		w |= nwUsable
		if state&netlink.NUD_STALE != 0 {
			w |= nwStale
		}
	}
	return w
}

func (w neighWord) usable() bool { return w&nwUsable != 0 }
func (w neighWord) state() int   { return int(uint8(w >> 48)) }

func (w neighWord) mac() (m [6]byte) {
	v := uint64(w)
	for i := 5; i >= 0; i-- {
		m[i] = byte(v)
		v >>= 8
	}
	return m
}

// neighRecord mirrors one kernel neighbour entry of our interface. word is
// written by the event goroutine and read by lookups without a lock; the
// other fields belong to the holder of RouteCache.mu.
type neighRecord struct {
	addr     netip.Addr
	word     atomic.Uint64
	kickedAt time.Time // last resolution request, to rate-limit them
}

func (r *neighRecord) load() neighWord      { return neighWord(r.word.Load()) }
func (r *neighRecord) store(w neighWord)    { r.word.Store(uint64(w)) }
func (r *neighRecord) set(n *netlink.Neigh) { r.store(packNeigh(n.State, n.HardwareAddr)) }

// requestVerify marks a STALE record as being verified, once per STALE
// episode: it reports whether the caller should queue the request.
func (r *neighRecord) requestVerify(w neighWord) bool {
	return w&(nwStale|nwKicked) == nwStale && r.word.CompareAndSwap(uint64(w), uint64(w|nwKicked))
}

// kick asks the kernel to resolve or verify the neighbour as if a packet
// were being sent to it: RTM_NEWNEIGH with NTF_USE runs the kernel's
// neigh_event_send (NONE/FAILED → INCOMPLETE with multicast or broadcast
// solicitations, STALE → DELAY → unicast PROBE) under the kernel's own
// timers and retry counts, creating the entry if needed.
//
// Why this and not the alternatives: a UDP datagram to the discard port
// also triggers resolution but puts a real packet on the wire to a host that
// may log it or answer with ICMP, and it follows the kernel's route choice
// again rather than the next hop we resolved; adding an entry ourselves in
// NUD_NONE/INCOMPLETE fights the kernel's state machine. NTF_USE sends only
// ARP/ND, to exactly the next hop, and needs CAP_NET_ADMIN, which AF_XDP
// needs anyway. One caution from the kernel source: NTF_USE clears
// NUD_PERMANENT, so it is never sent for an entry we know to be PERMANENT or
// NOARP (those are usable and never kicked). One cost, seen in the tests:
// without a packet to take a source address from, the kernel sends IPv6
// solicitations from the link-local address only, so in the first seconds
// after a link comes up (its link-local address still tentative, RFC 4862
// 5.4) IPv6 resolution waits for duplicate address detection to end.
func kick(h *netlink.Handle, ifindex int, addr netip.Addr) error {
	return h.NeighSet(&netlink.Neigh{
		LinkIndex: ifindex,
		IP:        addr.AsSlice(),
		State:     netlink.NUD_NONE,
		Flags:     netlink.NTF_USE,
	})
}

// normalizeAddr gives each destination one key: IPv4-mapped IPv6 becomes
// IPv4 and IPv6 zones are dropped (the interface is implied).
func normalizeAddr(a netip.Addr) netip.Addr {
	a = a.Unmap()
	if a.Zone() != "" {
		a = a.WithZone("")
	}
	return a
}

// ipAddr converts a netlink address to a normalized netip.Addr.
func ipAddr(ip net.IP) (netip.Addr, bool) {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

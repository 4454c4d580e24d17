package assoc

import (
	"net/netip"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// EventType names a user notification (RFC 6458 6.1 shapes them).
type EventType uint8

// Event types.
const (
	EventCommUp       EventType = iota + 1 // SCTP_ASSOC_CHANGE / COMM_UP
	EventCommLost                          // COMM_LOST: ABORT received or sent, retransmissions exhausted
	EventRestart                           // RESTART: the peer restarted (RFC 9260 5.2.4 case A)
	EventShutdownComp                      // SHUTDOWN_COMP: graceful close finished
	EventCantStrAssoc                      // CANT_STR_ASSOC: the handshake failed
	EventRemoteError                       // SCTP_REMOTE_ERROR: an ERROR chunk arrived
	EventAdaptation                        // SCTP_ADAPTATION_INDICATION: the peer's code point
	EventShutdown                          // SCTP_SHUTDOWN_EVENT: the peer sent SHUTDOWN

	// SCTP_PEER_ADDR_CHANGE (RFC 6458 6.1.2), Event.Addr names the address.
	EventAddrAvailable         // ADDR_AVAILABLE: an inactive or PF path answered again
	EventAddrUnreachable       // ADDR_UNREACHABLE: Path.Max.Retrans exceeded (RFC 9260 8.2)
	EventAddrPotentiallyFailed // ADDR_POTENTIALLY_FAILED: PF threshold exceeded (RFC 7829 5.1)
	EventAddrConfirmed         // ADDR_CONFIRMED: a HEARTBEAT ACK echoed our nonce (RFC 9260 5.4)
	EventAddrMadePrim          // ADDR_MADE_PRIM: SetPrimary
)

var eventNames = [...]string{"", "COMM_UP", "COMM_LOST", "RESTART", "SHUTDOWN_COMP",
	"CANT_STR_ASSOC", "REMOTE_ERROR", "ADAPTATION_INDICATION", "SHUTDOWN_EVENT",
	"ADDR_AVAILABLE", "ADDR_UNREACHABLE", "ADDR_POTENTIALLY_FAILED", "ADDR_CONFIRMED", "ADDR_MADE_PRIM"}

func (t EventType) String() string {
	if int(t) < len(eventNames) && t != 0 {
		return eventNames[t]
	}
	return "UNKNOWN"
}

// Event is a notification for the user.
type Event struct {
	Type  EventType
	State State // the association's state after the event
	// Cause is the first error cause of the ABORT or ERROR behind the event
	// (0 if none); Causes holds all of them (a copy of the chunk value).
	Cause      wire.CauseCode
	Causes     []byte
	Adaptation uint32 // EventAdaptation: the peer's Adaptation Code Point
	// TimedOut marks a COMM_LOST after Association.Max.Retrans
	// retransmissions went unanswered (RFC 9260 8.1).
	TimedOut bool
	// Addr is the peer address of an SCTP_PEER_ADDR_CHANGE event.
	Addr netip.Addr
}

// eventQueue is a FIFO reused without allocation once grown.
type eventQueue struct {
	q    []Event
	head int
}

func (e *eventQueue) push(ev Event) {
	if e.head == len(e.q) {
		e.q, e.head = e.q[:0], 0
	}
	e.q = append(e.q, ev)
}

func (e *eventQueue) pop() (Event, bool) {
	if e.head == len(e.q) {
		return Event{}, false
	}
	ev := e.q[e.head]
	e.q[e.head] = Event{}
	e.head++
	return ev, true
}

func (e *eventQueue) len() int { return len(e.q) - e.head }

// firstCause gives the first cause code in an ABORT or ERROR chunk value.
func firstCause(v []byte) wire.CauseCode {
	it := wire.Causes(v)
	if c, ok := it.Next(); ok {
		return c.Code()
	}
	return 0
}

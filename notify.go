package sctpxdp

import (
	"fmt"
	"net/netip"

	"github.com/sctp-xdp/sctp-xdp/assoc"
)

// Events selects the notifications RecvMsg delivers (RFC 6458 6.2.1,
// SCTP_EVENT): each kind is enabled on its own; none is by default.
type Events uint32

// Notification kinds (RFC 6458 6.1).
const (
	EventAssocChange     Events = 1 << iota // SCTP_ASSOC_CHANGE: COMM_UP, COMM_LOST, RESTART, SHUTDOWN_COMP, CANT_STR_ASSOC
	EventPeerAddrChange                     // SCTP_PEER_ADDR_CHANGE: ADDR_AVAILABLE, ADDR_UNREACHABLE, ...
	EventRemoteError                        // SCTP_REMOTE_ERROR: the peer sent an ERROR chunk
	EventShutdown                           // SCTP_SHUTDOWN_EVENT: the peer sent SHUTDOWN
	EventAdaptation                         // SCTP_ADAPTATION_INDICATION: the peer's code point
	EventPartialDelivery                    // SCTP_PARTIAL_DELIVERY_EVENT
	EventSendFailed                         // SCTP_SEND_FAILED_EVENT
	EventAuthentication                     // SCTP_AUTHENTICATION_EVENT (RFC 4895)
	EventSenderDry                          // SCTP_SENDER_DRY_EVENT
	EventStreamReset                        // SCTP_STREAM_RESET_EVENT (RFC 6525)
)

// notYet are the kinds whose protocol work comes later.
const notYet = EventPartialDelivery | EventSendFailed | EventAuthentication | EventSenderDry | EventStreamReset

func (ev Events) validate() error {
	if ev&notYet != 0 {
		return fmt.Errorf("%w: notifications %#x (partial delivery, send failed, authentication, sender dry and stream reset come later)",
			ErrNotSupported, uint32(ev&notYet))
	}
	return nil
}

// Notification is an event RecvMsg delivers in order with the data
// (RcvInfo.Notification; RFC 6458 MSG_NOTIFICATION).
type Notification struct {
	Kind Events // which notification: one bit of Events
	// Event is the specific event: COMM_UP, ADDR_CONFIRMED, SHUTDOWN_EVENT...
	Event assoc.EventType
	State string     // the association's RFC 9260 state after the event
	Addr  netip.Addr // the peer address concerned (SCTP_PEER_ADDR_CHANGE)
	// Cause is the first error cause of the ABORT or ERROR behind the
	// event (0 if none); Causes holds them all as sent.
	Cause      uint16
	Causes     []byte
	Adaptation uint32 // SCTP_ADAPTATION_INDICATION
}

func (n *Notification) String() string {
	return fmt.Sprintf("%s (%s)", n.Event, n.State)
}

// kindOf maps an engine event to its notification kind.
func kindOf(t assoc.EventType) Events {
	switch t {
	case assoc.EventCommUp, assoc.EventCommLost, assoc.EventRestart, assoc.EventShutdownComp, assoc.EventCantStrAssoc:
		return EventAssocChange
	case assoc.EventRemoteError:
		return EventRemoteError
	case assoc.EventAdaptation:
		return EventAdaptation
	case assoc.EventShutdown:
		return EventShutdown
	case assoc.EventAddrAvailable, assoc.EventAddrUnreachable, assoc.EventAddrPotentiallyFailed,
		assoc.EventAddrConfirmed, assoc.EventAddrMadePrim:
		return EventPeerAddrChange
	}
	return 0
}

// notify queues ev for a's reader, behind the data received before it, if
// the endpoint enabled its kind. It runs on the poller.
func (h *pollerHandler) notify(a *Assoc, ev *assoc.Event) {
	k := kindOf(ev.Type)
	if a.Events()&k == 0 { // per association (options.go) or the endpoint's
		return
	}
	// Data the engine holds was received before the event: it goes first
	// (but COMM_UP opens the association: DATA that came with the COOKIE
	// ECHO or the COOKIE ACK follows it).
	if ev.Type != assoc.EventCommUp {
		h.moveRx(a)
		for a.eng != nil && a.eng.Readable() > 0 {
			n, info, ok := a.eng.Recv(h.scratchBuf())
			if !ok {
				break
			}
			bp := getBuf(n)
			copy(*bp, h.scratch[:n])
			a.rxBacklog = append(a.rxBacklog, rxMsg{buf: bp, n: n, info: info})
		}
	}
	a.rxBacklog = append(a.rxBacklog, rxMsg{notif: &Notification{Kind: k, Event: ev.Type, State: ev.State.String(),
		Addr: ev.Addr, Cause: uint16(ev.Cause), Causes: ev.Causes, Adaptation: ev.Adaptation}})
	h.moveRx(a)
}

func (h *pollerHandler) scratchBuf() []byte {
	if h.scratch == nil {
		h.scratch = make([]byte, maxMessage)
	}
	return h.scratch
}

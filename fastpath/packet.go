package fastpath

import "github.com/sctp-xdp/sctp-xdp/wire"

// Packet is a received SCTP packet as the poller hands it to a handler: the
// L2/L3 view and the validated SCTP packet (CRC32c checked, every chunk's
// length and padding checked by wire.ParseSCTP). Its bytes are valid only
// during the handler call.
type Packet struct {
	Frame  wire.Frame
	SCTP   wire.SCTP
	Queue  int // the queue the frame arrived on
	Poller int // the poller that received it (not the handling one when Forwarded)
	// Forwarded: the frame arrived on another poller's queue and was copied here.
	Forwarded bool
	raw       []byte // the whole frame
}

// Raw is the whole Ethernet frame.
func (p *Packet) Raw() []byte { return p.raw }

// ICMP is an ICMP or ICMPv6 error quoting an SCTP packet we sent.
type ICMP struct {
	Frame wire.Frame
	Err   wire.ICMPError
	Queue int
}

// Handler is what a poller hands its work to: the association engines
// (plugged in by the endpoint) or, in tests, a stub. Every method runs on the
// poller's goroutine and must not block.
type Handler interface {
	// HandlePacket is called for each packet routed to this poller.
	HandlePacket(c *Ctx, p *Packet)
	// HandleICMP is called for ICMP errors about packets this poller's
	// associations sent.
	HandleICMP(c *Ctx, m *ICMP)
	// HandleControl runs a message sent with Poller.Send (the slow path's
	// hand-over of a new association, API requests).
	HandleControl(c *Ctx, msg any)
	// HandleTimer is called for each expired timer scheduled with Ctx.Schedule.
	HandleTimer(c *Ctx, t *Timer)
	// Flush is called once per batch, after the batch's packets, before
	// transmission: the place to bundle and emit what the batch produced.
	Flush(c *Ctx)
}

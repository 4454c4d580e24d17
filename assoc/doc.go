// Package assoc is the sans-IO SCTP association engine (RFC 9260): the
// association life cycle (handshake with cookie, INIT collision, restart,
// SHUTDOWN, ABORT, ERROR), the stateless responders used by the slow path
// and the pollers (INIT → INIT ACK, cookie check, out-of-the-blue answers),
// and a small demultiplexer (Endpoint) that ties them together.
//
// Nothing here owns a goroutine, a socket, a ring or a clock: time is an
// input (int64 nanoseconds, monotonic or virtual), randomness is an injected
// source, received packets come in as parsed wire.SCTP views with metadata,
// and output is pulled by the caller (NextPacket, NextEvent, Deadline).
// An Assoc, a Responder and an Endpoint are each owned by one goroutine.
//
// Data transfer (RFC 9260 6, 7): Send copies a message once into a send
// ring (sendqueue.go); NextPacket cuts it into DATA chunks sized to the
// path MTU and bundles them with control chunks and a due SACK
// (transmit.go). Loss recovery (inflight.go: SACK processing, gap acks,
// miss indications; retransmit.go: fast retransmit, T3-rtx) is kept apart
// from congestion control (cc.go, behind an interface) and the RTO
// (rto.go). The receive side records TSNs (tsnmap.go), decides when to
// SACK (sack.go), bounds memory by the advertised window (rwnd.go) and
// reassembles and orders messages for Recv (reassembly.go). PMTU comes
// from ICMP (pmtu.go) or probing (plpmtud.go). Counters are in stats.go.
// Steady state allocates nothing.
//
// Multi-homing (RFC 9260 5.4, 6.4, 8.1-8.3; RFC 7829): one path per peer
// address (path.go) with its own RTO, congestion window, PMTU, error
// counter and state (unconfirmed, active, potentially failed, inactive);
// HEARTBEATs with a 64-bit nonce confirm addresses and watch idle or
// failing paths (heartbeat.go); DATA takes the user's primary path, fails
// over to an alternate and comes back (multihome.go).
package assoc

package bpf

import "fmt"

// Reason is why the program did what it did with a frame; the values are
// the indexes of the per-CPU counters (enum reason in xdp_steer.c).
type Reason uint32

const (
	Steered     Reason = iota // SCTP to a registered endpoint: redirected
	NotSCTP                   // not SCTP (ARP, ND, TCP, UDP, ICMP not ours): passed
	NotOurs                   // SCTP to no registered endpoint: passed
	ICMPSteered               // ICMP/ICMPv6 error about a packet we sent: redirected
	Fragment                  // IP fragment of SCTP to an endpoint address: dropped
	Malformed                 // truncated or inconsistent headers: passed
	NoSocket                  // ours, but no socket on the receive queue: passed
	NumReasons
)

var reasonNames = [NumReasons]string{"steered", "not_sctp", "not_ours", "icmp_steered", "fragment", "malformed", "no_socket"}

func (r Reason) String() string {
	if r < NumReasons {
		return reasonNames[r]
	}
	return fmt.Sprintf("Reason(%d)", uint32(r))
}

// Counters are the program's counters summed over CPUs, indexed by Reason.
type Counters [NumReasons]uint64

// Counters reads the per-CPU counters and sums them. It allocates; call it
// at scrape time, not per packet.
func (p *Program) Counters() (Counters, error) {
	var c Counters
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return c, ErrClosed
	}
	var perCPU []uint64
	for r := Reason(0); r < NumReasons; r++ {
		if err := p.objs.Counters.Lookup(uint32(r), &perCPU); err != nil {
			return c, fmt.Errorf("bpf: read counter %v: %w", r, err)
		}
		for _, v := range perCPU {
			c[r] += v
		}
	}
	return c, nil
}

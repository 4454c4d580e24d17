package fastpath

import (
	"errors"
	"net/netip"
	"unsafe"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// Headroom is the space kept in front of an SCTP packet in a TX frame for
// the Ethernet and IP headers (Ethernet 14 + IPv6 40, rounded up).
const Headroom = 64

// NextHop is what framing needs beyond the destination address.
type NextHop struct {
	SrcMAC, DstMAC [6]byte
	Src            netip.Addr // the kernel's source address for the destination
}

// Resolver gives the next hop of a destination; the AF_XDP runtime backs it
// with the kernel's routes and neighbours (xdp package).
type Resolver interface {
	// Resolve returns the next hop for packets from src to dst, or an error:
	// one wrapping ErrNeighbourPending while the next hop's link-layer
	// address is being resolved (the packet is parked and Resolve asked
	// again later), any other when there is no way (the packet is dropped).
	Resolve(src, dst netip.Addr) (NextHop, error)
}

// Errors of the TX path.
var (
	ErrNoFrame      = errors.New("fastpath: no TX frame free")
	ErrNotTXBuffer  = errors.New("fastpath: packet is not in the buffer NewPacket returned")
	ErrAddrFamilies = errors.New("fastpath: source and destination addresses differ in family or are invalid")
)

// TTL of the packets we send.
const defaultTTL = 64

// NewPacket returns an empty buffer inside a TX frame for one SCTP packet,
// with room for Headroom bytes of headers in front; append the packet to it
// and pass the result to Send or Reply. It returns nil when no frame is free
// (counted as no_buffer). Only the latest buffer can be sent.
func (c *Ctx) NewPacket() []byte {
	p := c.p
	if p.txPending {
		p.link.Free(p.txCur[:1])
		p.txPending = false
	}
	if p.link.Alloc(p.txCur[:1]) == 0 {
		p.ctr.drops[DropNoBuffer].inc()
		p.txStarved = true
		return nil
	}
	p.txPending = true
	b := p.link.Bytes(p.txCur[0])
	return b[Headroom:Headroom:len(b)]
}

// Send frames pkt (the buffer from NewPacket, with an SCTP packet appended)
// with IP and Ethernet headers from src to dst and queues it for this batch.
// An invalid src takes the route's source address. ecn is the IP header's
// ECN field. While the next hop is being resolved (the Resolver answers
// ErrNeighbourPending) the packet is parked and leaves once it is resolved,
// in order with later packets to dst (park.go); Send then returns nil.
func (c *Ctx) Send(pkt []byte, src, dst netip.Addr, ecn uint8) error {
	return c.p.send(pkt, src, nil, false, dst, ecn)
}

// SendFrom is Send with the source address chosen among srcs (the
// addresses an endpoint is bound to): the route's preferred source when it
// is one of them, so that each peer address is reached from the address
// the kernel would pick for it, else the first of srcs. Empty srcs leave
// the choice to the route. A parked packet keeps srcs (not a copy) until it
// leaves: replace the slice rather than modify it in place.
func (c *Ctx) SendFrom(pkt []byte, srcs []netip.Addr, dst netip.Addr, ecn uint8) error {
	return c.p.send(pkt, netip.Addr{}, srcs, true, dst, ecn)
}

func (p *Poller) send(pkt []byte, src netip.Addr, srcs []netip.Addr, from bool, dst netip.Addr, ecn uint8) error {
	if err := p.checkPending(pkt); err != nil {
		return err
	}
	if !familiesMatch(src, dst) {
		p.dropPending()
		return ErrAddrFamilies
	}
	if p.parked.n > 0 && p.parked.holds(dst) {
		p.park(len(pkt), src, srcs, from, dst, ecn) // behind the packets waiting already
		return nil
	}
	hop, err := p.resolver.Resolve(src, dst)
	if err != nil {
		if isPending(err) {
			p.park(len(pkt), src, srcs, from, dst, ecn)
			return nil
		}
		p.ctr.txUnresolved.inc()
		p.dropPending()
		return err
	}
	if from {
		src = pickSource(hop.Src, srcs)
	} else if !src.IsValid() {
		src = hop.Src
	}
	eth := wire.EthernetHeader{Destination: hop.DstMAC, Source: hop.SrcMAC}
	return p.frame(pkt, &eth, src, dst, ecn)
}

// familiesMatch: dst is a valid IPv4 or IPv6 (not mapped) address and src,
// when given, is of the same family.
func familiesMatch(src, dst netip.Addr) bool {
	if !dst.IsValid() || dst.Is4In6() {
		return false
	}
	return !src.IsValid() || src.Is4() == dst.Is4() && !src.Is4In6()
}

// pickSource is SendFrom's choice: the route's source when it is one of
// srcs (or srcs is empty), else srcs[0].
func pickSource(route netip.Addr, srcs []netip.Addr) netip.Addr {
	if len(srcs) == 0 {
		return route
	}
	for _, a := range srcs {
		if a == route {
			return route
		}
	}
	return srcs[0]
}

// ErrNoReplyMAC: the request came to a group MAC address and the poller
// has no MAC of its own configured to answer from.
var ErrNoReplyMAC = errors.New("fastpath: no unicast MAC to reply from")

// Reply sends pkt (from NewPacket) back to the sender of in, at the link
// layer too: the frame goes to in's source MAC with in's VLAN tags, so that
// answering a spoofed INIT flood never touches the neighbour table
// (design.md section 4). It leaves from the MAC in was sent to, or from
// the poller's own MAC when that was a group address.
func (c *Ctx) Reply(in *Packet, pkt []byte) error {
	p := c.p
	if err := p.checkPending(pkt); err != nil {
		return err
	}
	e := &in.Frame.Eth
	eth := wire.EthernetHeader{Destination: e.Source, Source: e.Destination, Tags: e.Tags}
	if eth.Source[0]&1 != 0 { // a group address is no source
		if p.cfg.MAC == ([6]byte{}) {
			p.dropPending()
			return ErrNoReplyMAC
		}
		eth.Source = p.cfg.MAC
	}
	return p.frame(pkt, &eth, in.Frame.Destination, in.Frame.Source, 0)
}

func (p *Poller) checkPending(pkt []byte) error {
	if !p.txPending || len(pkt) == 0 {
		return ErrNotTXBuffer
	}
	b := p.link.Bytes(p.txCur[0])
	if unsafe.SliceData(pkt) != &b[Headroom] {
		return ErrNotTXBuffer
	}
	return nil
}

func (p *Poller) dropPending() {
	p.link.Free(p.txCur[:1])
	p.txPending = false
}

// frame writes the Ethernet (eth: addresses and tags) and IP headers in
// front of the SCTP packet in the pending frame and adds it to the batch.
func (p *Poller) frame(pkt []byte, eth *wire.EthernetHeader, src, dst netip.Addr, ecn uint8) error {
	p.txPending = false
	return p.frameAt(p.txCur[0], len(pkt), eth, src, dst, ecn)
}

// frameAt frames the n-byte SCTP packet at Headroom in f and adds f to the
// batch; on error f is given back to the link.
func (p *Poller) frameAt(f Frame, n int, eth *wire.EthernetHeader, src, dst netip.Addr, ecn uint8) error {
	b := p.link.Bytes(f)
	var l3 int
	switch {
	case src.Is4() && dst.Is4():
		l3 = wire.IPv4MinHeaderLen
	case src.Is6() && dst.Is6() && !src.Is4In6() && !dst.Is4In6():
		l3 = wire.IPv6HeaderLen
	default:
		p.freeFrame(f)
		return ErrAddrFamilies
	}
	eth.EtherType = wire.EtherTypeIPv4
	if l3 == wire.IPv6HeaderLen {
		eth.EtherType = wire.EtherTypeIPv6
	}
	l2 := eth.Len() // Headroom fits two VLAN tags and IPv6
	start := Headroom - l3 - l2
	hdr := wire.AppendEthernet(b[start:start], eth)
	var err error
	if l3 == wire.IPv4MinHeaderLen {
		p.ipID++
		f4 := wire.IPv4Fields{ECN: ecn, ID: p.ipID, TTL: defaultTTL, Protocol: wire.IPProtocolSCTP,
			Source: src.As4(), Destination: dst.As4()}
		hdr, _, err = wire.AppendIPv4Header(hdr, &f4)
		if err == nil {
			err = wire.FinishIPv4(b[start:Headroom+n], l2)
		}
	} else {
		f6 := wire.IPv6Fields{ECN: ecn, NextHeader: wire.IPProtocolSCTP, HopLimit: defaultTTL,
			Source: src.As16(), Destination: dst.As16()}
		hdr, _ = wire.AppendIPv6Header(hdr, &f6)
		err = wire.FinishIPv6(b[start:Headroom+n], l2)
	}
	if err != nil || len(hdr) != Headroom-start {
		p.freeFrame(f)
		return err
	}
	f.Off, f.Len = start, Headroom+n-start
	p.txBatch = append(p.txBatch, f)
	p.ctr.txPackets.inc()
	if len(p.txBatch) == cap(p.txBatch) {
		p.flushTX()
	}
	return nil
}

// flushTX hands the batch to the link: one kick per batch.
func (p *Poller) flushTX() {
	if len(p.txBatch) == 0 {
		return
	}
	n := p.link.Transmit(p.txBatch)
	if n < len(p.txBatch) {
		rest := p.txBatch[n:]
		p.link.Free(rest)
		p.ctr.drops[DropNoBuffer].add(uint64(len(rest)))
		p.ctr.txPackets.add(^uint64(len(rest) - 1)) // they did not leave
	}
	p.txBatch = p.txBatch[:0]
}

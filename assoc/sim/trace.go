package sim

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// Describe gives one line for a packet: ports, tag, and each chunk with its
// key fields.
func Describe(pkt []byte) string {
	s, err := wire.ParseSCTP(pkt)
	if err != nil {
		return "MALFORMED(" + err.Error() + ")"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d>%d vtag=%08x", s.SrcPort(), s.DstPort(), s.VerificationTag())
	for it := s.Chunks(); ; {
		c, ok := it.Next()
		if !ok {
			break
		}
		b.WriteString(" ")
		b.WriteString(c.Type().String())
		switch c.Type() {
		case wire.ChunkInit, wire.ChunkInitAck:
			ic := wire.InitChunk(c)
			fmt.Fprintf(&b, "[itag=%08x tsn=%d os=%d mis=%d]", ic.InitiateTag(), ic.InitialTSN(), ic.OutStreams(), ic.InStreams())
		case wire.ChunkAbort, wire.ChunkShutdownComplete:
			if c.Flags()&wire.FlagT != 0 {
				b.WriteString("[T]")
			}
			if c.Type() == wire.ChunkAbort {
				causes(&b, c.Value())
			}
		case wire.ChunkError:
			causes(&b, c.Value())
		case wire.ChunkShutdown:
			fmt.Fprintf(&b, "[cum=%d]", wire.ShutdownChunk(c).CumTSNAck())
		case wire.ChunkCookieEcho:
			fmt.Fprintf(&b, "[%dB]", len(c)-4)
		case wire.ChunkData:
			d := wire.DataChunk(c)
			fmt.Fprintf(&b, "[tsn=%d s=%d n=%d f=%x %dB]", d.TSN(), d.StreamID(), d.SSN(), d.Flags(), len(d.Payload()))
		case wire.ChunkSack:
			sk := wire.SackChunk(c)
			fmt.Fprintf(&b, "[cum=%d rwnd=%d", sk.CumTSNAck(), sk.ARwnd())
			for i := 0; i < sk.NumGapBlocks(); i++ {
				g := sk.GapBlock(i)
				fmt.Fprintf(&b, " gap=%d-%d", g.Start, g.End)
			}
			if sk.NumDupTSNs() > 0 {
				fmt.Fprintf(&b, " dups=%d", sk.NumDupTSNs())
			}
			b.WriteString("]")
		}
	}
	return b.String()
}

func causes(b *strings.Builder, v []byte) {
	for it := wire.Causes(v); ; {
		c, ok := it.Next()
		if !ok {
			return
		}
		fmt.Fprintf(b, "[cause=%d]", c.Code())
	}
}

// hasData reports whether a packet carries a DATA chunk.
func hasData(pkt []byte) bool {
	s, err := wire.ParseSCTP(pkt)
	if err != nil {
		return false
	}
	for it := s.Chunks(); ; {
		c, ok := it.Next()
		if !ok {
			return false
		}
		if c.Type() == wire.ChunkData {
			return true
		}
	}
}

func (n *Net) tracef(src, dst netip.Addr, what string, pkt []byte) {
	limit := n.TraceLines
	if limit == 0 {
		limit = 20000
	}
	if len(n.trace) >= limit {
		k := copy(n.trace, n.trace[len(n.trace)-limit/2:])
		n.trace = n.trace[:k]
	}
	n.trace = append(n.trace, fmt.Sprintf("%12.6fs %v→%v %-9s %s", float64(n.now)/1e9, src, dst, what, Describe(pkt)))
}

// Trace returns the packet trace so far, one line per packet event.
func (n *Net) Trace() string { return strings.Join(n.trace, "\n") }

package fastpath

import (
	"testing"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// nopHandler takes packets and does nothing: the poller's own cost.
type nopHandler struct{ n int }

func (h *nopHandler) HandlePacket(c *Ctx, p *Packet) { h.n++ }
func (h *nopHandler) HandleICMP(c *Ctx, m *ICMP)     {}
func (h *nopHandler) HandleControl(c *Ctx, msg any)  {}
func (h *nopHandler) HandleTimer(c *Ctx, t *Timer)   {}
func (h *nopHandler) Flush(c *Ctx)                   {}

// BenchmarkPollerMemLink measures receive → validate → CRC32c → route →
// handler on the in-memory link, in packets per second, for a 1-DATA packet
// of 100 bytes of payload. The copy into the link (the peer's "wire") is
// included, so this is a floor, not the poller alone.
func BenchmarkPollerMemLink(b *testing.B) {
	for _, c := range []struct {
		name  string
		vtag  uint32
		pollN int
	}{{"own", 0x100, 1}, {"forwarded", 0x101, 2}} {
		b.Run(c.name, func(b *testing.B) {
			h := &nopHandler{}
			g, peers := newTestGroup(b, 2, h, nil)
			frame := buildFrame(b, nil, frameOpts{vtag: c.vtag, chunk: wire.ChunkData})
			const batch = 64
			fs := make([]Frame, batch)
			b.ReportAllocs()
			b.SetBytes(int64(len(frame)))
			b.ResetTimer()
			for sent := 0; sent < b.N; sent += batch {
				n := peers[0].Alloc(fs)
				for i := range fs[:n] {
					fs[i].Len = copy(peers[0].Bytes(fs[i]), frame)
				}
				peers[0].Transmit(fs[:n])
				g.Pollers()[0].Poll()
				if c.pollN == 2 {
					g.Pollers()[1].Poll()
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(h.n)/b.Elapsed().Seconds(), "pkts/s")
		})
	}
}

package wire_test

import (
	"fmt"
	"net/netip"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// A sender bundles chunks up to the path MTU, then Finish stamps the CRC32c.
func ExampleBuilder() {
	buf := make([]byte, 0, 1500)
	var w wire.Builder
	w.Start(buf, 5001, 9, 0xA1B2C3D4)
	w.Sack(99, 65536, []wire.GapBlock{{Start: 2, End: 3}}, nil)
	payload := make([]byte, 400)
	tsn := uint32(1000)
	for w.Room(1500-20) >= wire.DataHeaderLen+len(payload) { // IPv4 MTU 1500
		w.Data(wire.FlagBeginning|wire.FlagEnd, tsn, 0, uint16(tsn-1000), 0, payload)
		tsn++
	}
	pkt, err := w.Finish()
	fmt.Println(len(pkt), tsn-1000, err)
	// Output: 1280 3 <nil>
}

// A receiver validates once, then walks chunks and their parameters by
// value, without allocating.
func ExampleParseSCTP() {
	var w wire.Builder
	w.Start(nil, 5001, 9, 0)
	w.BeginInit(0x11223344, 65536, 10, 10, 1)
	w.ParamAddr(netip.MustParseAddr("198.18.0.1"))
	w.ParamAddr(netip.MustParseAddr("2001:2::1"))
	w.ParamForwardTSNSupported()
	w.ParamSupportedExtensions([]byte{byte(wire.ChunkReconfig)})
	w.End()
	pkt, _ := w.Finish()

	s, err := wire.ParseSCTP(pkt)
	if err != nil {
		fmt.Println(err)
		return
	}
	it := s.Chunks()
	for c, ok := it.Next(); ok; c, ok = it.Next() {
		if c.Type() != wire.ChunkInit {
			continue
		}
		init := wire.InitChunk(c)
		var o wire.InitOptions
		init.Options(&o)
		fmt.Printf("%s tag=%#x os=%d forward-tsn=%v re-config=%v\n", c.Type(), init.InitiateTag(),
			init.OutStreams(), o.ForwardTSN, wire.Supports(o.SupportedExtensions, wire.ChunkReconfig))
		addrs := init.Addrs()
		for a, ok := addrs.Next(); ok; a, ok = addrs.Next() {
			fmt.Println(a)
		}
	}
	// Output:
	// INIT tag=0x11223344 os=10 forward-tsn=true re-config=true
	// 198.18.0.1
	// 2001:2::1
}

package wire

import "net/netip"

var (
	a4  = netip.MustParseAddr("198.18.0.1")
	a4b = netip.MustParseAddr("198.18.0.2")
	a6  = netip.MustParseAddr("2001:2::1")
)

type testPacket struct {
	name string
	b    []byte
}

// build runs f on a fresh Builder and returns the finished packet.
func build(f func(w *Builder)) []byte {
	var w Builder
	w.Start(make([]byte, 0, 2048), 5001, 9, 0x01020304)
	f(&w)
	b, err := w.Finish()
	if err != nil {
		panic(err)
	}
	return b
}

// testPackets covers every chunk type, parameter and error cause at least once.
func testPackets() []testPacket {
	return []testPacket{
		{"data", build(func(w *Builder) {
			w.Data(FlagBeginning|FlagEnd, 1000, 3, 7, 51, []byte("hello"))
		})},
		{"data-bundle", build(func(w *Builder) {
			w.Data(FlagBeginning, 1, 0, 0, 0, []byte("a"))
			w.Data(FlagUnordered, 2, 1, 0, 0, []byte("bc"))
			w.Data(FlagEnd|FlagImmediate, 3, 2, 9, 46, []byte("defg"))
		})},
		{"init", build(func(w *Builder) {
			w.BeginInit(0xA1B2C3D4, 65536, 10, 65535, 12345)
			w.ParamAddr(a4)
			w.ParamAddr(a6)
			w.ParamCookiePreservative(1000)
			w.ParamSupportedAddrTypes([]uint16{5, 6})
			w.ParamECN()
			w.ParamForwardTSNSupported()
			w.ParamSupportedExtensions([]byte{byte(ChunkForwardTSN), byte(ChunkAuth), byte(ChunkAsconf), byte(ChunkAsconfAck), byte(ChunkReconfig), byte(ChunkIData)})
			w.ParamAdaptation(0xCAFE)
			w.ParamRandom([]byte("0123456789abcdef0123456789abcdef"))
			w.ParamChunkList([]byte{byte(ChunkAsconf), byte(ChunkAsconfAck)})
			w.ParamHMACAlgos([]uint16{HMACSHA256, HMACSHA1})
			w.ParamZeroChecksum(1)
			w.ParamPadding(5)
			w.ParamHostName([]byte("h.example\x00"))
			w.Param(0xC0DE, []byte{1, 2, 3}) // unknown, skip+report
			w.End()
		})},
		{"init-ack", build(func(w *Builder) {
			w.BeginInitAck(0x11223344, 1<<20, 5, 5, 99)
			w.ParamStateCookie([]byte("a cookie of 27 bytes length"))
			w.ParamAddr(a4b)
			w.ParamUnrecognized(Param{0xC0, 0xDE, 0, 7, 1, 2, 3})
			w.End()
		})},
		{"sack", build(func(w *Builder) {
			w.Sack(500, 4096, []GapBlock{{2, 3}, {5, 9}}, []uint32{498, 499, 497})
		})},
		{"sack-empty", build(func(w *Builder) { w.Sack(7, 100, nil, nil) })},
		{"nr-sack", build(func(w *Builder) {
			w.NRSack(0, 800, 8192, []GapBlock{{2, 2}}, []GapBlock{{4, 6}, {8, 8}}, []uint32{790})
		})},
		{"heartbeat", build(func(w *Builder) { w.Heartbeat([]byte("hb-info-13byt")) })},
		{"heartbeat-ack", build(func(w *Builder) { w.HeartbeatAck([]byte("hb-info-13byt")) })},
		{"abort", build(func(w *Builder) {
			w.BeginAbort(true)
			w.CauseInvalidStream(77)
			w.CauseMissingParams([]ParamType{ParamStateCookie, ParamIPv4, ParamIPv6})
			w.CauseU32(CauseStaleCookie, 123456)
			w.CauseEmpty(CauseOutOfResource)
			w.BeginCause(CauseUnresolvableAddress)
			w.ParamAddr(a6)
			w.End()
			w.Cause(CauseUnrecognizedChunkType, []byte{0x3f, 0, 0, 5, 9})
			w.CauseEmpty(CauseInvalidMandatoryParam)
			w.BeginCause(CauseUnrecognizedParams)
			w.RawParam(Param{0xC0, 0xDE, 0, 6, 1, 2})
			w.RawParam(Param{0x80, 0x77, 0, 4})
			w.End()
			w.CauseU32(CauseNoUserData, 4242)
			w.CauseEmpty(CauseCookieWhileShuttingDown)
			w.BeginCause(CauseRestartNewAddresses)
			w.ParamAddr(a4)
			w.ParamAddr(a6)
			w.End()
			w.Cause(CauseUserInitiatedAbort, []byte("bye"))
			w.Cause(CauseProtocolViolation, []byte("bad"))
			w.End()
		})},
		{"error", build(func(w *Builder) {
			w.BeginError()
			w.CauseEncapsPort(9899, 9900)
			w.CauseUnsupportedHMAC(2)
			w.BeginCause(CauseDeleteLastAddress)
			w.ParamDeleteIP(7, a4)
			w.End()
			w.BeginCause(CauseResourceShortage)
			w.ParamAddIP(8, a6)
			w.End()
			w.BeginCause(CauseDeleteSourceAddress)
			w.ParamDeleteIP(9, a4b)
			w.End()
			w.CauseEmpty(CauseIllegalAsconfAck)
			w.BeginCause(CauseNoAuthorization)
			w.ParamSetPrimary(10, a4)
			w.End()
			w.Cause(0x7777, []byte{1})
			w.End()
		})},
		{"shutdown", build(func(w *Builder) { w.Shutdown(31337) })},
		{"shutdown-ack", build(func(w *Builder) { w.ShutdownAck() })},
		{"cookie-echo", build(func(w *Builder) {
			w.CookieEcho([]byte("a cookie of 27 bytes length"))
			w.Data(FlagBeginning|FlagEnd, 1, 0, 0, 0, []byte{0xFF})
		})},
		{"cookie-ack", build(func(w *Builder) {
			w.CookieAck()
			w.Sack(0, 1, nil, nil)
		})},
		{"ecne-cwr", build(func(w *Builder) {
			w.ECNE(1111)
			w.CWR(2222)
		})},
		{"shutdown-complete", build(func(w *Builder) { w.ShutdownComplete(true) })},
		{"auth", build(func(w *Builder) {
			off := w.Auth(1, HMACSHA256, 32)
			copy(w.Bytes()[off:], "0123456789abcdef0123456789abcdef")
			w.Data(FlagBeginning|FlagEnd, 5, 0, 0, 0, []byte("x"))
		})},
		{"i-data", build(func(w *Builder) {
			w.IData(FlagBeginning|FlagUnordered, 77, 4, 1, 51, []byte("first"))
			w.IData(FlagEnd, 78, 4, 1, 1, []byte("second"))
		})},
		{"asconf", build(func(w *Builder) {
			w.BeginAsconf(1, a4)
			w.ParamAddIP(100, a4b)
			w.ParamDeleteIP(101, a6)
			w.ParamSetPrimary(102, a4b)
			w.End()
		})},
		{"asconf-ack", build(func(w *Builder) {
			w.BeginAsconfAck(1)
			w.ParamSuccess(100)
			w.BeginParamErrorCauseIndication(101)
			w.BeginCause(CauseDeleteLastAddress)
			w.ParamDeleteIP(101, a6)
			w.End()
			w.End()
			w.End()
		})},
		{"reconfig-out-in", build(func(w *Builder) {
			w.BeginReconfig()
			w.ParamOutSSNReset(10, 20, 30, []uint16{1, 2, 3})
			w.ParamInSSNReset(11, []uint16{4})
			w.End()
		})},
		{"reconfig-tsn", build(func(w *Builder) {
			w.BeginReconfig()
			w.ParamSSNTSNReset(12)
			w.End()
			w.BeginReconfig()
			w.ParamReconfigResp(13, ReconfigSuccessPerformed)
			w.End()
			w.BeginReconfig()
			w.ParamReconfigRespTSNs(14, ReconfigSuccessPerformed, 1000, 2000)
			w.End()
			w.BeginReconfig()
			w.ParamAddOutStreams(15, 8)
			w.ParamAddInStreams(16, 9)
			w.End()
		})},
		{"pad", build(func(w *Builder) {
			w.Pad(7)
			w.Heartbeat([]byte{1, 2, 3, 4})
		})},
		{"forward-tsn", build(func(w *Builder) {
			w.ForwardTSN(4000, []StreamSSN{{1, 2}, {3, 4}})
		})},
		{"i-forward-tsn", build(func(w *Builder) {
			w.IForwardTSN(5000, []StreamMID{{1, true, 10}, {2, false, 20}})
		})},
		{"pktdrop", build(func(w *Builder) {
			w.PktDrop(FlagPktDropB|FlagPktDropT, 1000000, 2000, 1500,
				[]byte{0, 9, 0x13, 0x89, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0x14, 0, 0, 0, 1})
		})},
		{"unknown-chunks", build(func(w *Builder) {
			w.Chunk(0x3F, 0xAA, []byte{1, 2, 3})
			w.Chunk(0x7F, 0, nil)
			w.Chunk(0xBF, 1, []byte{9})
			w.Chunk(0xFF, 0, []byte{1, 2, 3, 4, 5})
		})},
	}
}

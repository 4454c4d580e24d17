package wire

// HeartbeatChunk is a view of a HEARTBEAT or HEARTBEAT ACK chunk (RFC 9260
// 3.3.5, 3.3.6): one Heartbeat Info parameter.
type HeartbeatChunk []byte

// Info is the Heartbeat Info parameter (its value is the sender's opaque
// information, echoed back unchanged).
func (c HeartbeatChunk) Info() Param {
	p, _, _ := tlvNext(c[4:])
	return Param(p)
}

func (c HeartbeatChunk) validate() error {
	if len(c) < 8 {
		return errHeartbeatShort
	}
	p, rest, err := tlvNext(c[4:])
	if err != nil {
		return err
	}
	if Param(p).Type() != ParamHeartbeatInfo || len(rest) != 0 {
		return errHeartbeatInfo
	}
	return nil
}

// AbortChunk is a view of an ABORT or ERROR chunk (RFC 9260 3.3.7, 3.3.10):
// zero or more error causes.
type AbortChunk []byte

// T reports the T bit (ABORT only: the tag is reflected).
func (c AbortChunk) T() bool { return c[1]&FlagT != 0 }

// Causes iterates over the error causes.
func (c AbortChunk) Causes() CauseIter { return Causes(c[4:]) }

// ShutdownChunk is a view of a SHUTDOWN chunk (RFC 9260 3.3.8).
type ShutdownChunk []byte

// CumTSNAck is the Cumulative TSN Ack.
func (c ShutdownChunk) CumTSNAck() uint32 { return be32(c[4:]) }

// ShutdownCompleteT reports the T bit of a SHUTDOWN COMPLETE chunk.
func ShutdownCompleteT(c Chunk) bool { return c[1]&FlagT != 0 }

// CookieEchoChunk is a view of a COOKIE ECHO chunk (RFC 9260 3.3.11).
type CookieEchoChunk []byte

// Cookie is the State Cookie echoed back.
func (c CookieEchoChunk) Cookie() []byte { return c[4:] }

// ECNChunk is a view of an ECNE or CWR chunk (RFC 9260 Appendix A).
type ECNChunk []byte

// LowestTSN is the Lowest TSN Number field.
func (c ECNChunk) LowestTSN() uint32 { return be32(c[4:]) }

// PadChunk is a view of a PAD chunk (RFC 4820 3).
type PadChunk []byte

// Padding is the Padding Data.
func (c PadChunk) Padding() []byte { return c[4:] }

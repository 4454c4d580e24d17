package wire

// SCTP parse and validation errors. Each is a package-level value: matching
// costs nothing and no packet allocates one.
var (
	errSCTPShort        = &Error{"SCTP: common header truncated", ErrTruncated, 0}
	errSCTPNoChunks     = &Error{"SCTP: packet without chunks", ErrLength, 0}
	errChunkHeaderShort = &Error{"SCTP: chunk header truncated", ErrTruncated, 0}
	errChunkLenZero     = &Error{"SCTP: chunk length below 4", ErrLength, 0}
	errChunkTruncated   = &Error{"SCTP: chunk length exceeds packet", ErrTruncated, 0}
	errChunkPadding     = &Error{"SCTP: chunk padding missing", ErrPadding, 0}
	errChunkFraming     = &Error{"SCTP: chunk length field disagrees with the chunk given", ErrLength, 0}

	errDataShort  = &Error{"DATA: chunk shorter than 16", ErrLength, 0}
	errDataEmpty  = &Error{"DATA: no user data", ErrLength, CauseNoUserData} // RFC 9260 6.2
	errIDataShort = &Error{"I-DATA: chunk shorter than 20", ErrLength, 0}
	errIDataEmpty = &Error{"I-DATA: no user data", ErrLength, CauseNoUserData} // RFC 8260 2.1

	errInitShort       = &Error{"INIT: chunk shorter than 20", ErrLength, 0}
	errInitTagZero     = &Error{"INIT: initiate tag is 0", ErrValue, 0} // RFC 9260 3.3.2: discard silently
	errInitStreamsZero = &Error{"INIT: zero inbound or outbound streams", ErrValue, CauseInvalidMandatoryParam}
	errInitAckNoCookie = &Error{"INIT ACK: no state cookie", ErrValue, CauseMissingMandatoryParam}
	errSackShort       = &Error{"SACK: chunk shorter than 16", ErrLength, 0}
	errSackCounts      = &Error{"SACK: gap block and duplicate TSN counts disagree with chunk length", ErrLength, 0}
	errNRSackShort     = &Error{"NR-SACK: chunk shorter than 20", ErrLength, 0}
	errNRSackCounts    = &Error{"NR-SACK: block counts disagree with chunk length", ErrLength, 0}
	errHeartbeatShort  = &Error{"HEARTBEAT: no heartbeat info parameter", ErrLength, 0}
	errHeartbeatInfo   = &Error{"HEARTBEAT: value is not one heartbeat info parameter", ErrValue, 0}
	errShutdownLen     = &Error{"SHUTDOWN: length is not 8", ErrLength, 0}
	errEmptyChunkLen   = &Error{"SCTP: SHUTDOWN ACK, COOKIE ACK or SHUTDOWN COMPLETE: length is not 4", ErrLength, 0}
	errECNLen          = &Error{"ECNE/CWR: length below 8", ErrLength, 0}
	errAuthShort       = &Error{"AUTH: chunk shorter than 8", ErrLength, 0}
	errAsconfShort     = &Error{"ASCONF: chunk shorter than 16", ErrLength, 0}
	errAsconfAckShort  = &Error{"ASCONF-ACK: chunk shorter than 8", ErrLength, 0}
	errReconfigShort   = &Error{"RE-CONFIG: no parameter", ErrLength, 0}
	errReconfigParam   = &Error{"RE-CONFIG: parameter is not a re-configuration parameter", ErrValue, 0}
	errReconfigCount   = &Error{"RE-CONFIG: more than two parameters", ErrValue, 0}
	errForwardTSNLen   = &Error{"FORWARD-TSN: length is not 8 + 4n", ErrLength, 0}
	errIForwardTSNLen  = &Error{"I-FORWARD-TSN: length is not 8 + 8n", ErrLength, 0}
	errPktDropShort    = &Error{"PKTDROP: chunk shorter than 16", ErrLength, 0}
	errTLVHeaderShort  = &Error{"SCTP: parameter or cause header truncated", ErrTruncated, 0}
	errTLVLen          = &Error{"SCTP: parameter or cause length below 4", ErrLength, 0}
	errTLVTruncated    = &Error{"SCTP: parameter or cause length exceeds its container", ErrTruncated, 0}
	errTLVPadding      = &Error{"SCTP: parameter or cause padding cut short", ErrPadding, 0}
	errNestTooDeep     = &Error{"SCTP: parameters and causes nested too deep", ErrUnsupported, 0}
	errParamIPv4Len    = &Error{"IPv4 Address parameter: length is not 8", ErrLength, 0}
	errParamIPv6Len    = &Error{"IPv6 Address parameter: length is not 20", ErrLength, 0}
	errParam8Len       = &Error{"parameter: length is not 8", ErrLength, 0}
	errParam4Len       = &Error{"parameter: length is not 4", ErrLength, 0}
	errParamU16List    = &Error{"parameter: list of 16-bit values has odd length", ErrLength, 0}
	errParamNotAddr    = &Error{"parameter: expected an IPv4 or IPv6 Address parameter", ErrValue, 0}

	errParamUnrecognizedLen = &Error{"Unrecognized Parameter parameter: not exactly one parameter inside", ErrLength, 0}
	errParamOutResetLen     = &Error{"Outgoing SSN Reset Request: bad length", ErrLength, 0}
	errParamInResetLen      = &Error{"Incoming SSN Reset Request: bad length", ErrLength, 0}
	errParamReconfigRespLen = &Error{"Re-configuration Response: length is not 12 or 20", ErrLength, 0}
	errParamAddStreamsLen   = &Error{"Add Streams Request: length is not 12", ErrLength, 0}
	errParamAsconfAddrLen   = &Error{"ASCONF parameter: not a correlation ID and one address parameter", ErrLength, 0}
	errParamCauseIndLen     = &Error{"Error Cause Indication: shorter than 8", ErrLength, 0}

	errCause8Len         = &Error{"error cause: length is not 8", ErrLength, 0}
	errCause4Len         = &Error{"error cause: length is not 4", ErrLength, 0}
	errCauseMissingCount = &Error{"Missing Mandatory Parameter cause: count disagrees with length", ErrLength, 0}
	errCauseHMACLen      = &Error{"Unsupported HMAC Identifier cause: length is not 6", ErrLength, 0}
	errCauseOneParam     = &Error{"error cause: expected exactly one parameter", ErrLength, 0}
	errCauseParamsLen    = &Error{"Unrecognized Parameters cause: no parameter inside", ErrLength, 0}
	errCauseChunkLen     = &Error{"Unrecognized Chunk Type cause: no chunk header inside", ErrLength, 0}
)

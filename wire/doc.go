// Package wire holds zero-copy typed views over packet bytes and
// append-builders for them: Ethernet (802.1Q/802.1ad), IPv4, IPv6, ICMP and
// ICMPv6 errors, the SCTP common header and every SCTP chunk, parameter and
// error cause (RFC 9260 and its extensions).
//
// A view is a byte slice with accessors named after the RFC's fields. Views are
// validated once (a Parse or Validate function checks every length against the
// bytes present and the type's minimum) and then read without further checks.
// Nothing here allocates per packet, copies a payload, or panics on any input.
// Builders append to a caller's buffer.
package wire

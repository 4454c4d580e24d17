// Package sctpxdp is a kernel-bypass SCTP endpoint (RFC 9260): an XDP program
// steers the SCTP packets addressed to our endpoints into AF_XDP sockets, and
// per-queue pollers run the protocol in user space.
//
// The architecture (package map, ownership, the AF_XDP layer) is described in
// the design document; README.md says how to run and test it.
package sctpxdp

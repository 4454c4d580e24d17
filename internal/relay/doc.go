// Package relay is an impairment relay for tests on real links (there is no
// netem here): in a middle namespace it forwards Ethernet frames between two
// interfaces over AF_PACKET, losing, duplicating, reordering and delaying
// SCTP frames by a seeded random source, and writes a pcap of what it
// forwards (tshark sees nothing on an interface with XDP attached, so the
// relay's capture is the independent record of a run between two XDP ends).
//
// Frames other than SCTP (ARP, ND, ICMP) are forwarded untouched, so that
// neighbour resolution is not what a test measures.
package relay

// Package sim is a deterministic simulator for the association engine:
// any number of hosts, each an assoc.Endpoint, over an in-memory network
// with a virtual clock (an event queue ordered by time) and seeded
// impairment per direction (loss, reordering, duplication, delay, jitter,
// bandwidth, a packet size limit without ICMP, black holes switched on and
// off at virtual times). A host's App hook plays the application (Send,
// Recv) each time the network settles. Every packet leaves a line in a
// trace, which tests print when they fail. Hosts may have several
// addresses: the i-th addresses of all hosts share network i (a host
// sends from the address in the position of the destination), so a black
// hole on one network leaves the others working: the multi-homing tests.
package sim

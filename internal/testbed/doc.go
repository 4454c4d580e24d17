// Package testbed builds the hosts privileged tests run against: network
// namespaces joined by veth pairs, addressed from the benchmarking ranges
// 198.18.0.0/15 and 2001:2::/48, with the reference peers (usrsctp example
// programs, small C peers), tshark captures and dissection.
//
// Every privileged test starts with RequirePriv, which checks capabilities
// (not the uid), serialises privileged tests machine-wide with a flock and
// sweeps what killed runs left behind. Everything a test creates carries the
// name prefix "sx" and the creating process's PID and start time, and is
// removed in t.Cleanup.
package testbed

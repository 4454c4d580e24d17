package wire

// For the external tests (package wire_test), which may import
// internal/testbed without an import cycle.

// SCTPTestPackets returns the named test packets covering every chunk,
// parameter and cause.
func SCTPTestPackets() (names []string, pkts [][]byte) {
	for _, tp := range testPackets() {
		names = append(names, tp.name)
		pkts = append(pkts, tp.b)
	}
	return names, pkts
}

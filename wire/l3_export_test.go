package wire

import "testing"

// L3TestFrames exposes the L2/L3 test frames to the external test package
// wire_test, whose tshark test imports internal/testbed (which imports
// internal/relay, which imports wire: a cycle for an internal test).
func L3TestFrames(t testing.TB) (names []string, frames [][]byte) {
	for _, c := range l3Cases(t) {
		names = append(names, c.name)
		frames = append(frames, c.frame)
	}
	return names, frames
}

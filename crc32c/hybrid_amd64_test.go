//go:build amd64 && !purego

package crc32c

import "testing"

// TestHybridMerge checks the merge multipliers of the hybrid kernel against x^k mod P computed
// by plain shifting: hybridMerge[n][j-1] = x^(j·8·hybridLane·n − 33) mod P, bit-reflected.
func TestHybridMerge(t *testing.T) {
	if hybridMerge[0] != [hybridStreams]uint64{} {
		t.Errorf("hybridMerge[0] = %#x, want zeros (unused)", hybridMerge[0])
	}
	for _, n := range []int{1, 2, 3, 17, 64, hybridMaxBlocks} {
		for j := 1; j <= hybridStreams; j++ {
			k := j*8*hybridLane*n - 33
			if got, want := hybridMerge[n][j-1], uint64(reverse32(xPowMod(k))); got != want {
				t.Errorf("hybridMerge[%d][%d] = %#08x, want x^%d mod P = %#08x", n, j-1, got, k, want)
			}
		}
	}
}

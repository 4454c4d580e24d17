package caps

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestEffectiveMatchesProc: capget(2) agrees with the kernel's own account
// in /proc/self/status (CapEff), whoever runs the test.
func TestEffectiveMatchesProc(t *testing.T) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	var want uint64
	found := false
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			want, err = strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			found = err == nil
		}
	}
	if !found {
		t.Fatal("no CapEff in /proc/self/status")
	}
	got, err := Effective()
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Effective %#x, /proc/self/status CapEff %#x", got, want)
	}
	if Has(NetAdmin) != (want&(1<<NetAdmin) != 0) {
		t.Error("Has(NetAdmin) disagrees")
	}
}

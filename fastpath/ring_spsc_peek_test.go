package fastpath

import "testing"

// TestSPSCPeek: Peek shows what the next Pop returns, across a producer
// running concurrently (run with -race), and never removes anything.
func TestSPSCPeek(t *testing.T) {
	r, err := NewSPSC[int](8, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Peek(); ok {
		t.Fatal("Peek on an empty ring")
	}
	const n = 20000
	go func() {
		for i := 1; i <= n; {
			if r.Push(i) {
				i++
			}
		}
	}()
	for want := 1; want <= n; {
		v, ok := r.Peek()
		if !ok {
			continue
		}
		if v2, _ := r.Peek(); v2 != v {
			t.Fatalf("two Peeks: %d then %d", v, v2)
		}
		got, ok := r.Pop()
		if !ok || got != v || got != want {
			t.Fatalf("Peek %d, Pop %d (%v), want %d", v, got, ok, want)
		}
		want++
	}
	if _, ok := r.Peek(); ok {
		t.Fatal("Peek after draining")
	}
}

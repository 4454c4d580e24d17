package sctpxdp

import (
	"errors"
	"os"
	"testing"
	"time"
)

// TestDeadlineErrAfterMove: a call that a deadline ended reports the
// timeout even when the deadline was moved after it fired (Done then gives
// a new channel): it must never read as success.
func TestDeadlineErrAfterMove(t *testing.T) {
	var d deadline
	d.set(time.Now().Add(-time.Second))
	done := d.Done()
	select {
	case <-done:
	default:
		t.Fatal("a past deadline has not fired")
	}
	d.set(time.Now().Add(time.Hour))
	if err := d.Err(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Err after the deadline moved: %v", err)
	}
	if d.passed() {
		t.Error("the moved deadline reads as passed")
	}
}

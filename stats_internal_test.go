package sctpxdp

import (
	"reflect"
	"testing"

	"github.com/sctp-xdp/sctp-xdp/assoc"
)

// TestAddStatsEveryField: addStats sums every counter of assoc.Stats (a
// field added there and forgotten here would vanish from endpoint totals)
// and keeps the larger MaxRTO.
func TestAddStatsEveryField(t *testing.T) {
	var one assoc.Stats
	v := reflect.ValueOf(&one).Elem()
	for i := range v.NumField() {
		switch f := v.Field(i); f.Kind() {
		case reflect.Uint64:
			f.SetUint(uint64(i + 1))
		case reflect.Int64:
			f.SetInt(int64(i + 1))
		default:
			t.Fatalf("field %s of kind %v", v.Type().Field(i).Name, f.Kind())
		}
	}
	var sum assoc.Stats
	addStats(&sum, &one)
	addStats(&sum, &one)
	s := reflect.ValueOf(sum)
	for i := range s.NumField() {
		name, want := s.Type().Field(i).Name, int64(2*(i+1))
		if name == "MaxRTO" {
			want = int64(i + 1)
		}
		got := int64(0)
		if f := s.Field(i); f.Kind() == reflect.Uint64 {
			got = int64(f.Uint())
		} else {
			got = f.Int()
		}
		if got != want {
			t.Errorf("%s: %d after adding %d twice, want %d", name, got, i+1, want)
		}
	}
}

// TestNoteEndReasons: how an ended association's event maps to the
// failure reasons of design.md 7.
func TestNoteEndReasons(t *testing.T) {
	var ps portStats
	st := assoc.Stats{DataRecvOrdered: 5}
	ps.noteEnd(&st, &assoc.Event{Type: assoc.EventShutdownComp}, false)
	ps.noteEnd(&st, &assoc.Event{Type: assoc.EventCommLost, TimedOut: true}, false)
	ps.noteEnd(&st, &assoc.Event{Type: assoc.EventCommLost, Cause: 12, Causes: []byte{0, 12, 0, 4}}, false)
	ps.noteEnd(&st, &assoc.Event{Type: assoc.EventCommLost, Cause: 12}, true)
	ps.noteEnd(&st, &assoc.Event{Type: assoc.EventCommLost, Cause: 13}, false)
	want := Failures{Timeout: 1, AbortReceived: 1, AbortSent: 2}
	if ps.failures != want || ps.ended.DataRecvOrdered != 25 {
		t.Errorf("failures %+v, DATA %d; want %+v, 25", ps.failures, ps.ended.DataRecvOrdered, want)
	}
}

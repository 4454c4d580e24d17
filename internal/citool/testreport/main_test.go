package main

import (
	"strings"
	"testing"

	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

func TestMarkerMatchesTestbed(t *testing.T) {
	if privMarker != testbed.PrivMarker {
		t.Fatalf("privMarker %q != testbed.PrivMarker %q", privMarker, testbed.PrivMarker)
	}
}

const stream = `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"    x_test.go:1: testbed: privileged test\n"}
{"Action":"pass","Package":"p","Test":"TestA"}
{"Action":"run","Package":"p","Test":"TestB"}
{"Action":"skip","Package":"p","Test":"TestB"}
{"Action":"run","Package":"p","Test":"TestC/sub"}
{"Action":"output","Package":"p","Test":"TestC/sub","Output":"boom\n"}
{"Action":"fail","Package":"p","Test":"TestC/sub"}
{"Action":"fail","Package":"p","Test":"TestC"}
{"Action":"fail","Package":"q"}
{"Action":"output","Package":"r","Test":"TestD","Output":"testbed: privileged test\n"}
{"Action":"pass","Package":"r","Test":"TestD"}
`

func TestProblems(t *testing.T) {
	rep, err := read(strings.NewReader("# build noise\n" + stream))
	if err != nil {
		t.Fatal(err)
	}
	priv, err := readPrivList(strings.NewReader("# privileged\np TestA\np TestE # gone\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(rep.problems(priv, true), "\n")
	want := strings.Join([]string{
		"FAIL p TestC",
		"FAIL p TestC/sub",
		"FAIL package q (build failure, panic or timeout)",
		"SKIP p TestB (no test may skip in CI)",
		"privileged test did not run and pass: p TestE",
		"privileged test missing from .ci/priv-tests.txt: r TestD",
	}, "\n")
	if got != want {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}
	if p := rep.problems(nil, false); strings.Contains(strings.Join(p, "\n"), "SKIP") {
		t.Errorf("skips reported without require-priv: %v", p)
	}
}

func TestCleanRunHasNoProblems(t *testing.T) {
	rep, err := read(strings.NewReader(`{"Action":"output","Package":"p","Test":"TestA","Output":"testbed: privileged test\n"}
{"Action":"pass","Package":"p","Test":"TestA"}
{"Action":"pass","Package":"p"}
`))
	if err != nil {
		t.Fatal(err)
	}
	if p := rep.problems([]key{{"p", "TestA"}}, true); len(p) != 0 {
		t.Errorf("problems in a clean run: %v", p)
	}
}

func TestBadPrivList(t *testing.T) {
	if _, err := readPrivList(strings.NewReader("p TestA extra\n")); err == nil {
		t.Error("malformed line accepted")
	}
}

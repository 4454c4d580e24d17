// Command testreport reads the JSON stream of `go test -json` and decides
// whether a CI run passed: no test failed, no package failed to build, no
// test was skipped when privileged tests are required, and every privileged
// test named in the committed list ran and passed. It also fails when a test
// that took privileges (it logs the test bed's marker) is missing from the
// list, so the list cannot silently fall behind.
//
// It ends with a line "N passed, N failed, N skipped".
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// privMarker must equal testbed.PrivMarker (a test checks it).
const privMarker = "testbed: privileged test"

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

type key struct{ pkg, test string }

func (k key) String() string { return k.pkg + " " + k.test }

// report is what a stream of events says.
type report struct {
	passed, failed, skipped map[key]bool
	privileged              map[key]bool // logged the marker
	pkgFailed               map[string]bool
	output                  map[key]*strings.Builder
}

func read(r io.Reader) (*report, error) {
	rep := &report{passed: map[key]bool{}, failed: map[key]bool{}, skipped: map[key]bool{},
		privileged: map[key]bool{}, pkgFailed: map[string]bool{}, output: map[key]*strings.Builder{}}
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 1<<20), 64<<20)
	for s.Scan() {
		line := s.Bytes()
		if len(line) == 0 || line[0] != '{' {
			continue // build output that is not JSON
		}
		var e event
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, fmt.Errorf("bad go test -json line %q: %w", line, err)
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "output":
			b := rep.output[k]
			if b == nil {
				b = &strings.Builder{}
				rep.output[k] = b
			}
			b.WriteString(e.Output)
			if e.Test != "" && strings.Contains(e.Output, privMarker) {
				top, _, _ := strings.Cut(e.Test, "/")
				rep.privileged[key{e.Package, top}] = true
			}
		case "pass":
			if e.Test != "" {
				rep.passed[k] = true
			}
		case "fail":
			if e.Test != "" {
				rep.failed[k] = true
			} else {
				rep.pkgFailed[e.Package] = true
			}
		case "skip":
			if e.Test != "" {
				rep.skipped[k] = true
			}
		}
	}
	return rep, s.Err()
}

// problems lists why the run fails CI, given the committed privileged tests.
func (rep *report) problems(priv []key, requirePriv bool) []string {
	var p []string
	for _, k := range sorted(rep.failed) {
		p = append(p, "FAIL "+k.String())
	}
	for pkg := range rep.pkgFailed {
		if !rep.anyFailedIn(pkg) {
			p = append(p, "FAIL package "+pkg+" (build failure, panic or timeout)")
		}
	}
	if requirePriv {
		for _, k := range sorted(rep.skipped) {
			p = append(p, "SKIP "+k.String()+" (no test may skip in CI)")
		}
	}
	listed := map[key]bool{}
	for _, k := range priv {
		listed[k] = true
		if !rep.passed[k] {
			p = append(p, "privileged test did not run and pass: "+k.String())
		}
	}
	for _, k := range sorted(rep.privileged) {
		if !listed[k] {
			p = append(p, "privileged test missing from .ci/priv-tests.txt: "+k.String())
		}
	}
	sort.Strings(p)
	return p
}

func (rep *report) anyFailedIn(pkg string) bool {
	for k := range rep.failed {
		if k.pkg == pkg {
			return true
		}
	}
	return false
}

func sorted(m map[key]bool) []key {
	var ks []key
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].String() < ks[j].String() })
	return ks
}

// readPrivList parses lines "package TestName"; # starts a comment.
func readPrivList(r io.Reader) ([]key, error) {
	var ks []key
	s := bufio.NewScanner(r)
	for n := 1; s.Scan(); n++ {
		line, _, _ := strings.Cut(s.Text(), "#")
		f := strings.Fields(line)
		switch len(f) {
		case 0:
		case 2:
			ks = append(ks, key{f[0], f[1]})
		default:
			return nil, fmt.Errorf("line %d: want \"package TestName\", got %q", n, s.Text())
		}
	}
	return ks, s.Err()
}

func main() {
	privPath := flag.String("priv", "", "file listing the privileged tests that must run and pass")
	requirePriv := flag.Bool("require-priv", os.Getenv("SCTPXDP_REQUIRE_PRIV") == "1", "fail on any skipped test")
	flag.Parse()
	var priv []key
	if *privPath != "" {
		f, err := os.Open(*privPath)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testreport:", err)
			os.Exit(2)
		}
		priv, err = readPrivList(f)
		f.Close()
		if err != nil {
			fmt.Fprintf(os.Stderr, "testreport: %s: %v\n", *privPath, err)
			os.Exit(2)
		}
	}
	var readers []io.Reader
	for _, path := range flag.Args() {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testreport:", err)
			os.Exit(2)
		}
		defer f.Close()
		readers = append(readers, f)
	}
	if len(readers) == 0 {
		readers = append(readers, os.Stdin)
	}
	rep, err := read(io.MultiReader(readers...))
	if err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(2)
	}
	problems := rep.problems(priv, *requirePriv)
	for _, k := range sorted(rep.failed) {
		if b := rep.output[k]; b != nil {
			fmt.Printf("=== output of %s\n%s", k, b.String())
		}
	}
	for pkg := range rep.pkgFailed {
		if b := rep.output[key{pkg, ""}]; b != nil && !rep.anyFailedIn(pkg) {
			fmt.Printf("=== output of package %s\n%s", pkg, b.String())
		}
	}
	for _, p := range problems {
		fmt.Println(p)
	}
	fmt.Printf("privileged tests: %d listed, %d ran\n", len(priv), len(rep.privileged))
	fmt.Printf("%d passed, %d failed, %d skipped\n", len(rep.passed), len(rep.failed)+len(rep.pkgFailed), len(rep.skipped))
	if len(problems) > 0 {
		os.Exit(1)
	}
}

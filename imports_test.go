package sctpxdp

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const module = "github.com/sctp-xdp/sctp-xdp"

// Third-party modules, by the roles design.md section 2 gives them.
const (
	xsys     = "golang.org/x/sys"
	ebpf     = "github.com/cilium/ebpf"
	netlink  = "github.com/vishvananda/netlink"
	netns    = "github.com/vishvananda/netns" // netlink's namespace handles
	asavie   = "github.com/asavie/xdp"
	promhttp = "github.com/prometheus/client_golang"
	gopacket = "github.com/gopacket/gopacket" // pcapgo: pcap files for tshark
)

// allowedImports is the import table of design.md section 2: for each
// package of this module, the module packages and third-party modules it may
// import directly (the standard library is always allowed). A package missing
// here fails TestImportTable: add it to design.md and here together.
var allowedImports = map[string][]string{
	"crc32c":                     {xsys},
	"wire":                       {"crc32c"},
	"bpf":                        {ebpf, xsys},
	"xdp":                        {xsys, netlink, netns, "bpf"},
	"assoc":                      {"wire", "crc32c"},
	"assoc/sim":                  {"assoc", "wire"},
	"fastpath":                   {"wire", "crc32c", "assoc", "xdp", "bpf", xsys}, // x/sys: CPU pinning
	"":                           {"crc32c", "wire", "bpf", "xdp", "assoc", "fastpath", "internal/caps", xsys},
	"metrics":                    {"", promhttp},
	"cmd/sctp-xdp":               {"", "metrics", "internal/testbed", "internal/caps", "bpf", xsys}, // bpf: InNetNS
	"internal/testbed":           {xsys, netlink, netns, asavie, "internal/relay", "internal/caps", gopacket},
	"internal/caps":              {xsys},
	"internal/relay":             {xsys, "wire", gopacket},
	"internal/citool/testreport": {},
	"bench":                      {"*"},
	"bench/e2e":                  {"*"}, // design.md 2: bench/ imports anything
}

// testOnlyImports may also be imported by _test.go files of any package.
var testOnlyImports = []string{"internal/testbed", "internal/relay"}

type listedPackage struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Standard     bool
}

func goList(t *testing.T) []listedPackage {
	t.Helper()
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd := exec.Command(gobin, "list", "-json", "./...")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(out)
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("go list: %v", err)
	}
	return pkgs
}

// isStd tells standard-library import paths: no dot in the first element.
func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// permitted reports whether rel (a package relative to the module) may import path.
func permitted(allowed []string, path string) bool {
	if isStd(path) {
		return true
	}
	for _, a := range allowed {
		if a == "*" {
			return true
		}
		if strings.Contains(a, ".") { // a third-party module and its packages
			if path == a || strings.HasPrefix(path, a+"/") {
				return true
			}
			continue
		}
		full := module
		if a != "" {
			full += "/" + a
		}
		if path == full {
			return true
		}
	}
	return false
}

func TestImportTable(t *testing.T) {
	pkgs := goList(t)
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	for _, p := range pkgs {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		allowed, ok := allowedImports[rel]
		if !ok {
			t.Errorf("package %s is not in the import table of design.md section 2", p.ImportPath)
			continue
		}
		for _, imp := range p.Imports {
			if !permitted(allowed, imp) {
				t.Errorf("%s imports %s, which design.md section 2 does not allow", p.ImportPath, imp)
			}
		}
		testAllowed := append(append([]string{rel}, allowed...), testOnlyImports...)
		for _, imp := range append(p.TestImports, p.XTestImports...) {
			if !permitted(testAllowed, imp) {
				t.Errorf("tests of %s import %s, which design.md section 2 does not allow", p.ImportPath, imp)
			}
		}
	}
}

func TestPermitted(t *testing.T) {
	for _, c := range []struct {
		allowed []string
		path    string
		want    bool
	}{
		{nil, "net/netip", true},
		{nil, module + "/wire", false},
		{[]string{"wire"}, module + "/wire", true},
		{[]string{"wire"}, module + "/wire/sub", false},
		{[]string{ebpf}, ebpf + "/link", true},
		{[]string{ebpf}, ebpf + "x/link", false},
		{[]string{""}, module, true},
		{[]string{"*"}, "example.com/anything", true},
	} {
		if got := permitted(c.allowed, c.path); got != c.want {
			t.Errorf("permitted(%v, %s) = %v", c.allowed, c.path, got)
		}
	}
}

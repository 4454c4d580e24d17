package testbed

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// TsharkPrefs make tshark verify what it can: SCTP's CRC32c (it verifies no
// SCTP checksum by default) and IPv4 header checksums (off by default).
// ICMP and ICMPv6 checksums are always verified.
var TsharkPrefs = []string{"-o", "sctp.checksum:CRC 32c", "-o", "ip.check_checksum:TRUE"}

// EnvKeepCaptures names a directory where the captures of failed tests are
// copied (they are removed with the test's temporary directory otherwise).
const EnvKeepCaptures = "SCTPXDP_KEEP_CAPTURES"

// Capture is tshark capturing on an interface; the interface must not have
// XDP attached (tshark sees nothing there), so capture on the peer's end.
type Capture struct {
	proc *Proc
	path string
}

// StartCapture starts tshark on iface inside n with a capture filter (may be
// empty) and returns once it captures.
func StartCapture(t testing.TB, n *Netns, iface, filter string) *Capture {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "capture.pcapng")
	if err := os.Chmod(dir, 0o777); err != nil { // dumpcap may drop privileges
		t.Fatal(err)
	}
	args := []string{"-i", iface, "-w", path, "-B", "64", "-q"}
	if filter != "" {
		args = append(args, "-f", filter)
	}
	c := &Capture{proc: n.Start(t, "tshark", args...), path: path}
	if keep := os.Getenv(EnvKeepCaptures); keep != "" {
		// Registered before TempDir's removal runs (cleanups run last
		// first), so the file is still there.
		t.Cleanup(func() {
			if !t.Failed() {
				return
			}
			dst := filepath.Join(keep, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())+".pcapng")
			if b, err := os.ReadFile(path); err == nil {
				if err := os.WriteFile(dst, b, 0o644); err == nil {
					t.Logf("testbed: capture kept in %s", dst)
				}
			}
		})
	}
	// "Capturing on" comes before dumpcap captures; "Capture started" after.
	if !c.proc.WaitOutput("Capture started", 20*time.Second) {
		t.Fatalf("testbed: tshark did not start on %s in %s:\n%s", iface, n.Name(), c.proc.Output())
	}
	return c
}

var (
	droppedRE  = regexp.MustCompile(`(\d+) packets? dropped`)
	capturedRE = regexp.MustCompile(`\d+ packets? captured`)
)

// Stop ends the capture and returns the file; t fails if tshark reports
// dropped packets.
func (c *Capture) Stop(t testing.TB) string {
	t.Helper()
	// dumpcap reads the kernel's ring by blocks, retired when full or after
	// its 250 ms read timeout; frames of the block still filling when SIGINT
	// comes are lost without being counted as drops. Wait for it to retire.
	time.Sleep(400 * time.Millisecond)
	c.proc.Signal(2) // SIGINT: tshark flushes and prints its statistics
	// Generous: on a loaded machine tshark can take seconds to end.
	if err := c.proc.Wait(30 * time.Second); err == ErrWaitTimeout {
		c.proc.Stop()
	}
	out := c.proc.Output()
	// tshark prints its statistics when it ends well; without them, drops
	// are unknown.
	if !capturedRE.MatchString(out) {
		t.Fatalf("testbed: tshark printed no capture statistics:\n%s", out)
	}
	for _, m := range droppedRE.FindAllStringSubmatch(out, -1) {
		if m[1] != "0" {
			t.Fatalf("testbed: capture dropped packets:\n%s", out)
		}
	}
	return c.path
}

// WritePcap writes Ethernet frames to a pcap file in t's temporary directory.
func WritePcap(t testing.TB, frames [][]byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "frames.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	ts := time.Unix(1_700_000_000, 0)
	for i, fr := range frames {
		ci := gopacket.CaptureInfo{Timestamp: ts.Add(time.Duration(i) * time.Millisecond),
			CaptureLength: len(fr), Length: len(fr)}
		if err := w.WritePacket(ci, fr); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// Fields are the values tshark decoded in one packet: field name to every
// occurrence, outermost first.
type Fields map[string][]string

// Get is the first occurrence of name, or "".
func (f Fields) Get(name string) string {
	if v := f[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// checksumFields are checked in every packet: the outermost occurrence
// (quoted headers inside ICMP errors may be unverifiable) must be Good (1)
// and no occurrence Bad (0).
var checksumFields = []string{"sctp.checksum.status", "ip.checksum.status",
	"icmp.checksum.status", "icmpv6.checksum.status"}

// Dissect runs tshark over a capture and returns the requested fields of
// each packet. t fails on a malformed packet or a checksum that is not Good.
func Dissect(t testing.TB, pcap string, fields ...string) []Fields {
	t.Helper()
	pkts, err := dissect(pcap, fields)
	if err != nil {
		t.Fatalf("testbed: %v", err)
	}
	return pkts
}

// Summary returns tshark's one-line summaries of frames first to last of
// pcap (1-based, inclusive), for a failure message.
func Summary(pcap string, first, last int) string {
	args := append([]string{"-r", pcap, "-n", "-Y", fmt.Sprintf("frame.number >= %d && frame.number <= %d", first, last)}, TsharkPrefs...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "tshark", args...).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("tshark -r %s: %v: %s", pcap, err, out)
	}
	return string(out)
}

func dissect(pcap string, fields []string) ([]Fields, error) {
	all := append([]string{"frame.number", "_ws.malformed"}, checksumFields...)
	all = append(all, fields...)
	args := append([]string{"-r", pcap, "-n"}, TsharkPrefs...)
	args = append(args, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=\x1f", "-E", "separator=\x1e")
	for _, f := range all {
		args = append(args, "-e", f)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "tshark", args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("tshark -r %s: %v: %s", pcap, err, stderr.String())
	}
	var pkts []Fields
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line == "" {
			continue
		}
		vals := strings.Split(line, "\x1e")
		if len(vals) != len(all) {
			return nil, fmt.Errorf("tshark: %d fields for %d names in %q", len(vals), len(all), line)
		}
		p := Fields{}
		for i, v := range vals {
			if v != "" {
				p[all[i]] = strings.Split(v, "\x1f")
			}
		}
		if err := p.check(); err != nil {
			return nil, fmt.Errorf("%s: %w", pcap, err)
		}
		pkts = append(pkts, p)
	}
	return pkts, nil
}

func (p Fields) check() error {
	n := p.Get("frame.number")
	if _, ok := p["_ws.malformed"]; ok {
		return fmt.Errorf("packet %s is malformed", n)
	}
	for _, name := range checksumFields {
		v := p[name]
		if len(v) == 0 {
			continue
		}
		if v[0] != "1" {
			return fmt.Errorf("packet %s: %s is %s, not Good (1)", n, name, v[0])
		}
		for _, o := range v {
			if o == "0" {
				return fmt.Errorf("packet %s: an inner %s is Bad", n, name)
			}
		}
	}
	return nil
}

// Ints parses every occurrence of name as an integer (decimal or 0x hex).
func (f Fields) Ints(name string) ([]uint64, error) {
	var r []uint64
	for _, s := range f[name] {
		v, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", name, err)
		}
		r = append(r, v)
	}
	return r, nil
}

package main

import (
	"fmt"
	"strings"
	"time"
)

// sizeName is 100 B, 1 KiB, 64 KiB.
func sizeName(n int) string {
	switch {
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d B", n)
	}
}

// row finds stack's row at size.
func (r *Result) row(stack string, size int) (Row, bool) {
	for _, x := range r.Rows {
		if x.Stack == stack && x.Size == size {
			return x, true
		}
	}
	return Row{}, false
}

// sizes lists the measured sizes in order of first appearance.
func (r *Result) sizes() []int {
	var out []int
	seen := map[int]bool{}
	for _, x := range r.Rows {
		if !seen[x.Size] {
			seen[x.Size] = true
			out = append(out, x.Size)
		}
	}
	return out
}

// Markdown is the table, with the machine, the date and the ratios against
// usrsctp measured in the same run; image names the plot beside it.
func (r *Result) Markdown(image string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# End-to-end benchmark\n\n")
	fmt.Fprintf(&b, "`go run ./bench/e2e` on %s: %s, %d cores, Linux %s, %s. "+
		"One veth pair between two namespaces (MTU 1500, one queue); pion/sctp over UDP on 127.0.0.1. "+
		"Each case sends on one association for %v; rates and CPU are the receiving side's "+
		"(its process's user + system time, or the receiving thread's for the AF_XDP ceiling). "+
		"The AF_XDP ceiling is frames an AF_XDP socket receives with nothing above it; "+
		"a 64 KiB message counts as the 1452-byte frames it needs. "+
		"Ratios are against usrsctp in the same run. "+
		"sctp-xdp's bench bundles small messages (Nagle is on in discard mode), so its 100 B messages/s can come near "+
		"the per-frame ceiling; Debian's usrsctp examples print a debug line per protocol event, which weighs on "+
		"their figures. The machine is shared: compare within a run.\n\n",
		r.Date.Format("2006-01-02 15:04 MST"), r.CPU, r.Cores, r.Kernel, r.GoVersion, r.Duration)
	b.WriteString("| stack | size | messages/s | Mbit/s | receiver CPU/message | messages/s × usrsctp | CPU/message × usrsctp |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|\n")
	for _, size := range r.sizes() {
		base, hasBase := r.row(stackUsrsctp, size)
		hasBase = hasBase && base.Err == nil && base.Messages > 0
		for _, st := range stacks {
			x, ok := r.row(st, size)
			if !ok {
				continue
			}
			if x.Err != nil {
				fmt.Fprintf(&b, "| %s | %s | failed: %s | | | | |\n", st, sizeName(size), oneLine(x.Err.Error()))
				continue
			}
			ratio, cpuRatio := "", ""
			if hasBase && st != stackUsrsctp {
				ratio = fmt.Sprintf("%.2f", x.MessagesPerSecond()/base.MessagesPerSecond())
				if base.CPUPerMessage() > 0 {
					cpuRatio = fmt.Sprintf("%.2f", float64(x.CPUPerMessage())/float64(base.CPUPerMessage()))
				}
			} else if st == stackUsrsctp {
				ratio, cpuRatio = "1", "1"
			}
			fmt.Fprintf(&b, "| %s | %s | %.0f | %.1f | %s | %s | %s |\n", st, sizeName(size),
				x.MessagesPerSecond(), x.MbitPerSecond(), micros(x.CPUPerMessage()), ratio, cpuRatio)
		}
	}
	if image != "" {
		fmt.Fprintf(&b, "\n![messages/s by stack and message size](%s)\n", image)
	}
	return b.String()
}

func micros(d time.Duration) string { return fmt.Sprintf("%.2f µs", float64(d)/1e3) }

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

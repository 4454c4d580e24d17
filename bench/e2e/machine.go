package main

import (
	"runtime"
	"strings"
)

func numCPU() int       { return runtime.NumCPU() }
func goVersion() string { return runtime.Version() }
func trim(s string) string {
	return strings.TrimSpace(s)
}

// cpuModel is /proc/cpuinfo's first "model name".
func cpuModel(cpuinfo string) string {
	for _, line := range strings.Split(cpuinfo, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

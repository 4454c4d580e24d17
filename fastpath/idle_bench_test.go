package fastpath

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// BenchmarkIdleRuntimeCPU measures the process's CPU time while a runtime
// with two pollers sits idle for two seconds (the pollers block in poll(2)).
func BenchmarkIdleRuntimeCPU(b *testing.B) {
	testbed.RequirePriv(b)
	na, nb := testbed.NewNetns(b), testbed.NewNetns(b)
	ours, _ := testbed.NewVeth(b, na, nb, testbed.VethConfig{Queues: 2})
	r, err := OpenRuntime(RuntimeConfig{Interface: ours.Name, NetNS: na.Path(),
		NewHandler: func(int) Handler { return &nopHandler{} }})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	time.Sleep(200 * time.Millisecond)
	var r0, r1 unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &r0)
	const idle = 2 * time.Second
	time.Sleep(idle)
	unix.Getrusage(unix.RUSAGE_SELF, &r1)
	cpu := time.Duration(r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano())
	b.ReportMetric(100*cpu.Seconds()/idle.Seconds(), "%cpu-idle")
	b.ReportMetric(0, "ns/op")
}

package xdp

import (
	"strings"
	"testing"

	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

func TestQueueCount(t *testing.T) {
	testbed.RequirePriv(t)
	na, nb := testbed.NewNetns(t), testbed.NewNetns(t)
	ns, err := OpenNetNS(na.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	for _, queues := range []int{1, 2, 3} {
		la, _ := testbed.NewVeth(t, na, nb, testbed.VethConfig{Queues: queues})
		// Independent count: ls of sysfs seen from inside the namespace.
		ls := na.Run(t, "ls", "/sys/class/net/"+la.Name+"/queues")
		if got := strings.Count(ls, "rx-"); got != queues {
			t.Fatalf("ls queues of %s: %q, want %d rx", la.Name, ls, queues)
		}
		q, err := ns.QueueCount(la.Index)
		if err != nil || q != queues {
			t.Errorf("QueueCount(%s) = %d, %v; want %d", la.Name, q, err, queues)
		}
		qe, err := ns.ethtoolRxQueues(la.Name)
		if err != nil || qe != queues {
			t.Errorf("ethtool path on %s: %d, %v; want %d", la.Name, qe, err, queues)
		}
		qs, err := ns.sysfsRxQueues(la.Name, la.Index)
		if err != nil || qs != queues {
			t.Errorf("sysfs path on %s: %d, %v; want %d", la.Name, qs, err, queues)
		}
	}
	// The package function works in the caller's namespace.
	var q int
	if err := na.Do(func() (err error) { q, err = QueueCount(1); return err }); err != nil || q != 1 {
		t.Errorf("QueueCount(lo) in the namespace = %d, %v; want 1", q, err)
	}
	// A wrong index and a wrong name fail cleanly.
	if _, err := ns.QueueCount(99999); err == nil {
		t.Error("QueueCount of a missing interface succeeded")
	}
	if _, err := ns.sysfsRxQueues("../../x", 1); err == nil {
		t.Error("sysfs path accepted a path-like name")
	}
	if _, err := ns.ethtoolRxQueues(strings.Repeat("x", 16)); err == nil {
		t.Error("ethtool path accepted a 16-byte name")
	}
}

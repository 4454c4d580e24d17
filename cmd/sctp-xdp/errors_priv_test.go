package main

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// TestErrorsSayWhatToDo runs serve and bench into each failure the CLI
// knows before or while attaching, and checks the exit status (1) and that
// the message names what is wrong and what to do.
func TestErrorsSayWhatToDo(t *testing.T) {
	testbed.RequirePriv(t)
	bin := sctpXDP(t)
	na, nb := testbed.NewNetns(t), testbed.NewNetns(t)
	srv, _ := testbed.NewVeth(t, na, nb, testbed.VethConfig{})
	nj, nk := testbed.NewNetns(t), testbed.NewNetns(t)
	jumbo, _ := testbed.NewVeth(t, nj, nk, testbed.VethConfig{MTU: 9000})
	_, _ = startServe(t, srv, "--mode", "discard", "--port", "5001") // holds srv for the port-in-use case
	peer := "198.18.0.1:5001"
	for _, c := range []struct {
		name string
		ns   *testbed.Netns
		argv []string
		want []string
	}{
		{"non-root user", na, []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
			bin, "serve", "--iface", srv.Name}, []string{"missing capabilities", "CAP_BPF", "run as root", "setcap"}},
		{"root without capabilities", na, []string{"setpriv", "--inh-caps=-all", "--bounding-set=-all",
			bin, "bench", "--iface", srv.Name, "--peer", peer}, []string{"missing capabilities", "CAP_NET_ADMIN", "run as root"}},
		{"interface missing", na, []string{bin, "serve", "--iface", "sx-nope0"},
			[]string{`interface "sx-nope0" not found`, srv.Name, "--iface", "--netns"}},
		{"interface missing (bench)", na, []string{bin, "bench", "--iface", "sx-nope0", "--peer", peer},
			[]string{`interface "sx-nope0" not found`}},
		{"XDP unsupported", na, []string{bin, "serve", "--iface", "lo"},
			[]string{"XDP unsupported on lo", "Ethernet interface"}},
		{"address not on the interface", na, []string{bin, "serve", "--iface", srv.Name, "--port", "5002", "--addr", "198.18.255.254"},
			[]string{"address 198.18.255.254 is not on " + srv.Name, srv.IPv4.String(), "--addr", "ip addr add 198.18.255.254"}},
		{"port in use", na, []string{bin, "serve", "--iface", srv.Name, "--port", "5001"},
			[]string{"port 5001 on " + srv.Name + " is in use", "another process", "choose another --port", "address in use"}},
		{"MTU above XDP's", nj, []string{bin, "serve", "--iface", jumbo.Name},
			[]string{"MTU 9000 of " + jumbo.Name + " is above 3498", "ip link set dev " + jumbo.Name + " mtu 3498"}},
	} {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			out, err := c.ns.Command(ctx, c.argv[0], c.argv[1:]...).CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1\n%s", err, out)
			}
			msg := string(out)
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, "panic") || strings.Count(strings.TrimSpace(msg), "\n") > 2 {
				t.Errorf("want a short message, got:\n%s", msg)
			}
		})
	}
}

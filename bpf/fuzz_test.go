package bpf

import (
	"testing"

	"github.com/cilium/ebpf"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// FuzzProgram feeds arbitrary frames to the program (BPF_PROG_TEST_RUN):
// exactly one counter moves, frames are dropped exactly when counted as
// fragments, and everything else passes (no socket is registered, so even
// ours passes, counted as no_socket).
func FuzzProgram(f *testing.F) {
	testbed.RequirePriv(f) // in fuzz workers, without the lock the coordinator holds
	p, err := Load(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { p.Close() })
	for _, e := range []Endpoint{{our4, ourPort}, {our6, ourPort}} {
		if err := p.AddEndpoint(e); err != nil {
			f.Fatal(err)
		}
	}
	f.Add(ether(0x0800, ipv4(peer4, our4, 132, 0, nil, sctp(peerPort, ourPort))))
	f.Add(ether(0x86dd, ipv6(peer6, our6, 132, []ext{{0, []byte{1, 4, 0, 0, 0, 0}}}, sctp(peerPort, ourPort))))
	f.Add(ether(0x0800, ipv4(other4, our4, 1, 0, nil, icmpErr(3, 4, ipv4(our4, peer4, 132, 0, nil, sctp(ourPort, peerPort)[:8])))))
	f.Fuzz(func(t *testing.T, frame []byte) {
		if len(frame) < 14 || len(frame) > 4000 {
			return // BPF_PROG_TEST_RUN wants at least an Ethernet header
		}
		before, err := p.Counters()
		if err != nil {
			t.Fatal(err)
		}
		act, err := p.XDPProgram().Run(&ebpf.RunOptions{Data: frame})
		if err != nil {
			t.Fatal(err)
		}
		after, err := p.Counters()
		if err != nil {
			t.Fatal(err)
		}
		moved := -1
		for r := Reason(0); r < NumReasons; r++ {
			if d := after[r] - before[r]; d == 1 && moved < 0 {
				moved = int(r)
			} else if d != 0 {
				t.Fatalf("counter %v moved by %d", r, d)
			}
		}
		switch {
		case moved < 0:
			t.Fatal("no counter moved")
		case Reason(moved) == Fragment && act != xdpDrop, Reason(moved) != Fragment && act != xdpPass:
			t.Fatalf("action %d for %v", act, Reason(moved))
		case Reason(moved) == Steered || Reason(moved) == ICMPSteered:
			t.Fatalf("%v without a socket", Reason(moved))
		}
	})
}

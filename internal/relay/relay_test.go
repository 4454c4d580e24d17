package relay_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/internal/relay"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

func TestImpairmentValidation(t *testing.T) {
	for _, im := range []relay.Impairment{{Loss: -0.1}, {Duplicate: 1.5}, {Delay: -time.Second}} {
		if _, err := relay.Start(relay.Config{A: "lo", B: "lo", AtoB: im}); err == nil {
			t.Errorf("%+v accepted", im)
		}
	}
}

// usrsctp's tsctp moves 1 000 messages through a relay that loses,
// duplicates and reorders SCTP frames: every message arrives (usrsctp
// recovers), the relay's counters show the impairment happened, and its
// pcap dissects cleanly.
func TestRelayImpairsSCTP(t *testing.T) {
	testbed.RequirePriv(t)
	a, m, b := testbed.NewNetns(t), testbed.NewNetns(t), testbed.NewNetns(t)
	path := testbed.NewRelayedPath(t, a, m, b, testbed.VethConfig{})
	im := relay.Impairment{Loss: 0.05, Duplicate: 0.05, Reorder: 0.05, Delay: time.Millisecond, Jitter: time.Millisecond}
	r, pcap := path.StartRelay(t, relay.Config{AtoB: im, BtoA: im, Seed: 1})
	srv := b.Start(t, testbed.USRSCTP("tsctp"), "-E", "0", "-n", "1000")
	testbed.WaitUsrsctp(t, b)
	out := a.Run(t, testbed.USRSCTP("tsctp"), "-E", "0", "-n", "1000", "-l", "100", path.B.IPv4.String())
	if !strings.Contains(out, "Sending of 1000 messages") {
		t.Fatalf("tsctp client:\n%s", out)
	}
	// Retransmission timers back off from usrsctp's 3 s initial RTO: allow
	// for a few consecutive losses on a loaded machine.
	if !srv.WaitOutput("100, 1000, ", 90*time.Second) {
		t.Fatalf("tsctp server did not receive 1000 messages:\n%s", srv.Output())
	}
	r.Close()
	ab, ba := r.Stats()
	t.Logf("A→B %+v, B→A %+v", ab, ba)
	if ab.Lost == 0 || ab.Duplicated == 0 || ab.Reordered == 0 {
		t.Errorf("impairment did not happen A→B: %+v", ab)
	}
	if ab.Forwarded+ba.Forwarded == 0 {
		t.Fatal("nothing forwarded")
	}
	if st, err := os.Stat(pcap); err != nil || st.Size() == 0 {
		t.Fatalf("pcap %s: %v", pcap, err)
	}
	pkts := testbed.Dissect(t, pcap, "sctp.chunk_type")
	if uint64(len(pkts)) != ab.Forwarded+ba.Forwarded {
		t.Errorf("pcap holds %d frames, relay forwarded %d", len(pkts), ab.Forwarded+ba.Forwarded)
	}
}

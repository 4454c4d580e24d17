package testbed

import (
	"strings"
	"testing"
)

// TestRawSCTPSocket: WaitUsrsctp's reading of /proc/net/raw and raw6 (the
// local address's port field is the protocol; 0x84 is SCTP).
func TestRawSCTPSocket(t *testing.T) {
	const head4 = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
	const head6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
	for table, want := range map[string]bool{
		head4: false,
		head4 + " 250: 00000000:0084 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1563721 2 0000000058a68d08 0\n":                                                  true,
		head4 + "   1: 00000000:0001 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1563721 2 0000000058a68d08 0\n":                                                  false,
		head4 + "   6: 00000000:0006 00000000:0084 07 00000000:00000000 00:00000000 00000000     0        0 1563721 2 0000000058a68d08 0\n":                                                  false,
		head6 + "  250: 00000000000000000000000000000000:0084 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1563723 2 000000005ea40777 0\n": true,
		"": false,
	} {
		var rows [][]string
		for _, l := range strings.Split(table, "\n")[1:] {
			if fs := strings.Fields(l); len(fs) > 1 {
				rows = append(rows, fs)
			}
		}
		if got := rawSCTPSocket(rows); got != want {
			t.Errorf("rawSCTPSocket(%q) = %v, want %v", table, got, want)
		}
	}
}

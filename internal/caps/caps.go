// Package caps reads the calling thread's effective Linux capabilities
// (capget(2)): the checks that say which privilege is missing, shared by
// the endpoint, the CLI and the test bed.
package caps

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Capability numbers (linux/capability.h) this project needs.
const (
	NetBindService = 10
	NetAdmin       = 12
	NetRaw         = 13
	IPCLock        = 14
	SysAdmin       = 21
	Perfmon        = 38
	BPF            = 39
)

// Effective is the effective capability set, bit n for capability n.
func Effective() (uint64, error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData // version 3: two 32-bit halves
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return 0, fmt.Errorf("capget: %w", err)
	}
	return uint64(data[1].Effective)<<32 | uint64(data[0].Effective), nil
}

// Has reports whether capability c is effective (false if it cannot tell).
func Has(c uint) bool {
	eff, err := Effective()
	return err == nil && eff&(1<<c) != 0
}

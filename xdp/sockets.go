package xdp

import (
	"errors"
	"fmt"
)

// NewQueueSockets creates one socket per receive queue of the interface
// (QueueCount, in opts.NetNS), so that whatever RSS spreads across the
// queues has a socket; opts.Queue is ignored. On error the sockets already
// created are closed.
func NewQueueSockets(opts Options) ([]*Socket, error) {
	ns, err := OpenNetNS(opts.NetNS)
	if err != nil {
		return nil, err
	}
	n, err := ns.QueueCount(opts.Ifindex)
	ns.Close()
	if err != nil {
		return nil, fmt.Errorf("xdp: queues of ifindex %d: %w", opts.Ifindex, err)
	}
	socks := make([]*Socket, 0, n)
	for q := 0; q < n; q++ {
		o := opts
		o.Queue = q
		s, err := NewSocket(o)
		if err != nil {
			errs := []error{err}
			for _, s := range socks {
				errs = append(errs, s.Close())
			}
			return nil, errors.Join(errs...)
		}
		socks = append(socks, s)
	}
	return socks, nil
}

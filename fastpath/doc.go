// Package fastpath is the per-interface runtime: pollers, association tables,
// timer wheels, TX framing, lock-free rings and the slow path.
//
// One runtime exists per (process, interface). It owns the XDP program and one
// AF_XDP socket and one poller goroutine per NIC queue. Each association
// belongs to exactly one poller, and only that goroutine touches it; frames
// that arrive on another queue travel to their owner through lock-free rings.
//
// The building blocks in this package are self-contained:
//
//   - [SPSC]: a bounded single-producer single-consumer ring, generic over
//     its element type, with batch push and pop and cached indexes.
//   - [MPSC]: a bounded multi-producer single-consumer ring (Vyukov's array
//     queue with per-slot sequence numbers) whose push fails when full.
//   - [Waiter]: the consumer's sleep/wake-up protocol shared by both rings;
//     it costs producers one atomic load while the consumer is busy.
//   - [Wheel]: a hierarchical hashed timer wheel with intrusive [Timer]s, one
//     per poller, driven by an external clock in int64 nanoseconds.
//
// None of them allocates in steady state.
package fastpath

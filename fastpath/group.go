package fastpath

import (
	"errors"
	"fmt"
	"sync"
)

// Group is the pollers of one interface (one per queue), the shared routing
// table and the slow path. It is the protocol-independent part of the
// per-interface runtime of design.md section 3.
type Group struct {
	pollers   []*Poller
	ownerBits int
	shared    *SharedTable
	slow      *SlowPath

	mu      sync.Mutex
	stop    chan struct{}
	wg      sync.WaitGroup
	errs    []error
	started bool
}

// GroupConfig configures a Group.
type GroupConfig struct {
	Pollers []PollerConfig // one per queue, at most MaxPollers
	Slow    SlowHandler    // nil: no slow path (packets handed to it are dropped)
}

// NewGroup makes the pollers; Start runs them.
func NewGroup(cfg GroupConfig) (*Group, error) {
	if len(cfg.Pollers) == 0 || len(cfg.Pollers) > MaxPollers {
		return nil, fmt.Errorf("%w: %d pollers (1 to %d)", ErrPollerConfig, len(cfg.Pollers), MaxPollers)
	}
	g := &Group{ownerBits: OwnerBits(len(cfg.Pollers)), shared: NewSharedTable()}
	for i, pc := range cfg.Pollers {
		p, err := newPoller(g, i, pc)
		if err != nil {
			return nil, fmt.Errorf("poller %d: %w", i, err)
		}
		g.pollers = append(g.pollers, p)
	}
	if cfg.Slow != nil {
		sp, err := newSlowPath(g, cfg.Slow)
		if err != nil {
			return nil, err
		}
		g.slow = sp
	}
	return g, nil
}

// Pollers returns the pollers, by queue.
func (g *Group) Pollers() []*Poller { return g.pollers }

// OwnerBits is how many low bits of our Initiate Tags name the owner.
func (g *Group) OwnerBits() int { return g.ownerBits }

// Shared is the routing table for packets without a usable tag.
func (g *Group) Shared() *SharedTable { return g.shared }

// Slow is the slow path, or nil.
func (g *Group) Slow() *SlowPath { return g.slow }

// ErrStarted is returned by Start on a running group.
var ErrStarted = errors.New("fastpath: group already started")

// Start runs a goroutine per poller and the slow path's.
func (g *Group) Start() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.started {
		return ErrStarted
	}
	g.started = true
	g.stop = make(chan struct{})
	for _, p := range g.pollers {
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			if err := p.run(g.stop); err != nil {
				g.mu.Lock()
				g.errs = append(g.errs, fmt.Errorf("poller %d: %w", p.index, err))
				g.mu.Unlock()
			}
		}()
	}
	if g.slow != nil {
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			g.slow.run(g.stop)
		}()
	}
	return nil
}

// Stop ends the goroutines and waits for them; it returns what made a
// poller end early (a failed CPU pinning, say).
func (g *Group) Stop() error {
	g.mu.Lock()
	if !g.started {
		g.mu.Unlock()
		return nil
	}
	close(g.stop)
	g.started = false
	g.mu.Unlock()
	for _, p := range g.pollers {
		p.link.Wake()
	}
	g.wg.Wait() // the slow path's Block returns on stop
	g.mu.Lock()
	defer g.mu.Unlock()
	return errors.Join(g.errs...)
}

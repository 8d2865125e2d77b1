// Package node is a running allot instance: it owns one engine per region,
// each driven by a single writer goroutine that decides commands against the
// in-memory engine, commits the resulting log entries, decisions and item
// states in one transaction (group commit: every command waiting when the
// writer is free shares that transaction and its fsync), and only then
// answers. A restart rebuilds every region by replaying its log through a fresh
// engine: the engine is deterministic, so the state is exactly what was
// acknowledged.
//
// The node drives real time: each region's writer wakes at the engine's next
// timer and applies a tick.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/engine"
	"github.com/allot/allot/store"
)

// Options configure a Node.
type Options struct {
	// Clock is the source of real time (default: the system clock).
	Clock allot.Clock
	// Logger receives operational logs (default: slog.Default()).
	Logger *slog.Logger
	// MaxBatch bounds how many commands share one commit (default 512).
	MaxBatch int
	// Metrics, when non-nil, is updated as the node works.
	Metrics *Metrics
	// TimeScale is how many seconds of Clock time pass per real second
	// (default 1). Tests run a fast clock; timers then sleep accordingly.
	TimeScale float64
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now().UTC() }

// Node owns the regions' engines. Its methods are safe for concurrent use.
type Node struct {
	st    store.Store
	clock allot.Clock
	log   *slog.Logger
	opts  Options

	mu      sync.RWMutex
	regions map[string]*region
	closed  bool

	globalMu   sync.Mutex // serialises the global chain (tokens)
	globalSeq  uint64
	globalHash string

	arenaReuses atomic.Uint64 // batches that reused a released arena (lease.go)
}

// ReusedArenas returns how many batches have cut their decisions'
// explanations from memory that an earlier batch released, across regions
// (lease.go): a diagnostic of Result.Release being called.
func (n *Node) ReusedArenas() uint64 { return n.arenaReuses.Load() }

// Open loads every region from st by replaying its log and starts its writer.
func Open(ctx context.Context, st store.Store, opts Options) (*Node, error) {
	if opts.Clock == nil {
		opts.Clock = systemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 512
	}
	if opts.TimeScale <= 0 {
		opts.TimeScale = 1
	}
	n := &Node{st: st, clock: opts.Clock, log: opts.Logger, opts: opts, regions: map[string]*region{}}
	seq, hash, err := st.Head(ctx, "")
	if err != nil {
		return nil, err
	}
	n.globalSeq, n.globalHash = seq, hash
	ids, err := st.Regions(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if id == "" {
			continue
		}
		start := time.Now()
		r, err := n.load(ctx, id)
		if err != nil {
			n.Close()
			return nil, fmt.Errorf("node: load region %q: %w", id, err)
		}
		n.log.Info("region loaded", "region", id, "entries", r.headSeq, "open_items", r.eng.OpenItems(), "took", time.Since(start).Round(time.Millisecond))
		n.regions[id] = r
		r.start()
	}
	return n, nil
}

// Close stops every region's writer after the commands already queued.
func (n *Node) Close() {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	n.closed = true
	rs := make([]*region, 0, len(n.regions))
	for _, r := range n.regions {
		rs = append(rs, r)
	}
	n.mu.Unlock()
	for _, r := range rs {
		r.stop()
	}
}

// Store returns the node's store, for reads.
func (n *Node) Store() store.Store { return n.st }

// Regions returns the ids of the loaded regions, sorted.
func (n *Node) Regions() []string {
	n.mu.RLock()
	defer n.mu.RUnlock()
	ids := make([]string, 0, len(n.regions))
	for id := range n.regions {
		ids = append(ids, id)
	}
	sortStrings(ids)
	return ids
}

func (n *Node) region(id string) (*region, error) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	if n.closed {
		return nil, errShuttingDown
	}
	r, ok := n.regions[id]
	if !ok {
		return nil, allot.Errorf(allot.ENOTFOUND, "no region %q", id)
	}
	return r, nil
}

var errShuttingDown = allot.Errorf(EUNAVAILABLE, "the server is shutting down")

// EUNAVAILABLE is the code of errors that a retry may cure (shutdown, a
// failed commit). Transports answer 503.
const EUNAVAILABLE = "unavailable"

// CreateRegion creates a region with its first config. It fails with
// ECONFLICT when the region exists.
func (n *Node) CreateRegion(ctx context.Context, actor string, cfg allot.Config) ([]allot.Decision, error) {
	rc, err := regionConfig(cfg)
	if err != nil {
		return nil, allot.Errorf(allot.EINVALID, "a region config holds exactly one region")
	}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil, errShuttingDown
	}
	if _, ok := n.regions[rc.ID]; ok {
		n.mu.Unlock()
		return nil, allot.Errorf(allot.ECONFLICT, "region %q already exists", rc.ID)
	}
	r := n.newRegion(rc.ID)
	now := n.clock.Now()
	r.clock.Set(now)
	eng, err := engine.New(cfg, rc.ID, r.clock)
	if err != nil {
		n.mu.Unlock()
		return nil, err
	}
	r.eng, r.cfg = eng, cfg.WithDefaults()
	// The first entry is committed before the region becomes visible.
	ev := engine.ConfigChanged{Config: cfg}
	b := &store.Batch{Region: rc.ID}
	if err := r.appendEntry(b, now, actor, ev); err != nil {
		n.mu.Unlock()
		return nil, err
	}
	if err := n.st.Commit(ctx, b); err != nil {
		n.mu.Unlock()
		return nil, err
	}
	r.cfgSeq = r.headSeq
	n.regions[rc.ID] = r
	n.mu.Unlock()
	r.start()
	return nil, nil
}

// Submit runs one command through the region's writer and returns after its
// commit. The result holds the decisions the command caused and the states
// of the items it changed.
func (n *Node) Submit(ctx context.Context, regionID string, c Command) (Result, error) {
	r, err := n.region(regionID)
	if err != nil {
		return Result{}, err
	}
	return r.submit(ctx, &c)
}

// Read runs fn on the region's engine inside its writer (a consistent view;
// fn must not keep references and must be quick).
func (n *Node) Read(ctx context.Context, regionID string, fn func(e *engine.Engine)) error {
	r, err := n.region(regionID)
	if err != nil {
		return err
	}
	done := make(chan struct{})
	c := &Command{read: func(e *engine.Engine) { fn(e); close(done) }}
	if _, err := r.submit(ctx, c); err != nil {
		return err
	}
	<-done
	return nil
}

// Heartbeat records that agent's client is alive. In a region with
// HeartbeatSeconds set, an agent that has sent heartbeats is set offline by
// the server when they stop for that long. Heartbeats are not logged.
func (n *Node) Heartbeat(ctx context.Context, regionID, agent string) error {
	r, err := n.region(regionID)
	if err != nil {
		return err
	}
	var herr error
	c := &Command{read: func(*engine.Engine) { herr = r.heartbeat(agent) }}
	if _, err := r.submit(ctx, c); err != nil {
		return err
	}
	return herr
}

// Config returns a deep copy of a region's current (defaulted) config: the
// caller may change it freely.
func (n *Node) Config(ctx context.Context, regionID string) (allot.Config, error) {
	cfg, _, err := n.ConfigVersion(ctx, regionID)
	return cfg, err
}

// ConfigVersion is Config with the config's version (the seq of the config
// entry in force), read together: a Command's IfConfigVersion based on it
// fails if the config changed in between.
func (n *Node) ConfigVersion(ctx context.Context, regionID string) (allot.Config, uint64, error) {
	var (
		cfg allot.Config
		seq uint64
	)
	r, err := n.region(regionID)
	if err != nil {
		return cfg, 0, err
	}
	var cerr error
	err = n.Read(ctx, regionID, func(*engine.Engine) { cfg, cerr = cloneConfig(r.cfg); seq = r.cfgSeq })
	if err == nil {
		err = cerr
	}
	return cfg, seq, err
}

// Ready reports whether the node serves commands (open and not shutting down).
func (n *Node) Ready() bool {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return !n.closed
}

// CreateToken appends a token_created entry to the global chain and stores
// the token, atomically.
func (n *Node) CreateToken(ctx context.Context, actor string, t store.Token) error {
	return n.globalCommit(ctx, actor, "token_created", t)
}

// RevokeToken marks a token revoked.
func (n *Node) RevokeToken(ctx context.Context, actor, id string) error {
	t, err := n.st.Token(ctx, id)
	if err != nil {
		return err
	}
	t.Revoked = true
	return n.globalCommit(ctx, actor, "token_revoked", t)
}

func (n *Node) globalCommit(ctx context.Context, actor, kind string, t store.Token) error {
	n.globalMu.Lock()
	defer n.globalMu.Unlock()
	e, err := appendGlobal(ctx, n.st, n.globalSeq, n.globalHash, n.clock.Now(), actor, kind, t)
	if err != nil {
		// Another process may have advanced the chain (a CLI token create
		// while serving): reload the head so the next attempt can succeed.
		if seq, hash, herr := n.st.Head(ctx, ""); herr == nil {
			n.globalSeq, n.globalHash = seq, hash
		}
		return err
	}
	n.globalSeq, n.globalHash = e.Seq, e.Hash
	return nil
}

// AppendToken stores a token change with its global audit entry, without a
// running node (the CLI's `allot token create`). kind is "token_created" or
// "token_revoked".
func AppendToken(ctx context.Context, st store.Store, actor, kind string, t store.Token) error {
	seq, hash, err := st.Head(ctx, "")
	if err != nil {
		return err
	}
	_, err = appendGlobal(ctx, st, seq, hash, time.Now().UTC(), actor, kind, t)
	return err
}

func appendGlobal(ctx context.Context, st store.Store, seq uint64, hash string, at time.Time, actor, kind string, t store.Token) (store.Entry, error) {
	payload, err := jsonMarshal(t)
	if err != nil {
		return store.Entry{}, err
	}
	e := store.Entry{Seq: seq + 1, At: at.UTC(), Actor: actor, Kind: kind, Payload: payload, PrevHash: hash}
	e.Hash = store.HashEntry(&e)
	return e, st.CommitGlobal(ctx, []store.Entry{e}, []store.Token{t})
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// IsUnavailable reports whether err is worth retrying.
func IsUnavailable(err error) bool {
	var e *allot.Error
	return errors.As(err, &e) && e.Code == EUNAVAILABLE
}

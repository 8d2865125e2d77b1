package node

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/engine"
	"github.com/allot/allot/store"
)

// Command is one request to a region's writer.
type Command struct {
	// Actor is who asks: a token id, "system" or "cli". It is logged.
	Actor string
	Event engine.Event

	// IdempotencyKey, when set, makes the command idempotent: a later
	// command with the same key and RequestHash gets Result.Replay (the
	// stored response) without doing anything; the same key with another
	// RequestHash fails with EINVALID. Respond builds the response to store;
	// it runs inside the writer before the commit.
	IdempotencyKey string
	RequestHash    string
	Respond        func(Result) (status int, body []byte)

	// EditConfig, instead of Event, edits a copy of the region's current
	// config inside the writer (so concurrent edits never lose one another)
	// and applies the result as a config change. An error from it fails the
	// command and changes nothing.
	EditConfig func(cfg *allot.Config) error

	// Check, when set, runs inside the writer just before the event is
	// applied, against the engine's current state (e.g. "the item is still
	// owned by this agent"); an error fails the command and changes nothing.
	// It must only read.
	Check func(e *engine.Engine) error

	// IfConfigVersion, when non-zero, makes an EditConfig conditional: it
	// applies only if the region's config version (the seq of the config
	// entry in force) is still this one, else it fails with ECONFLICT and
	// changes nothing (optimistic concurrency for whole-config writers).
	IfConfigVersion uint64

	// Reopen lets an ItemArrived reuse the id and external id of a closed
	// item (reopening it) instead of being answered with the existing item.
	Reopen bool

	read func(*engine.Engine)
}

// Result is what a command did, after its commit.
type Result struct {
	Decisions []allot.Decision
	// Items are the new states of every item the command changed, the
	// command's own item first.
	Items []allot.Item
	// Existing is set when an arriving item's external id matched an item
	// that already exists: nothing was created and Items holds that item.
	Existing bool
	// Replay is the stored response of an earlier command with the same
	// idempotency key: nothing was done.
	Replay *store.IdempotencyRecord
	// ConfigVersion is the version (the seq of its entry) of the config a
	// config change installed; 0 for other commands.
	ConfigVersion uint64

	lease Lease // the hold on the decisions' explanations (Release)
}

// Release tells the node that the caller is done with the result's
// decisions: it no longer reads, encodes or refers to their explanations,
// whose memory later decisions may then reuse (lease.go). Optional: a
// result never released is reclaimed by the garbage collector as usual.
// Releasing a result again, or a copy of it, does nothing.
func (r Result) Release() { r.lease.Release() }

// Lease returns the result's hold on its decisions' explanations, for a
// caller that releases it later without keeping the whole result.
func (r Result) Lease() Lease { return r.lease }

type reply struct {
	res Result
	err error
}

type pending struct {
	ctx   context.Context
	cmd   *Command
	reply chan reply
}

// region is one region's engine and its writer goroutine.
type region struct {
	n     *Node
	id    string
	clock *allot.ManualClock
	eng   *engine.Engine
	cfg   allot.Config // current config, defaulted

	headSeq  uint64
	cfgSeq   uint64 // seq of the config entry in force: decisions record it
	headHash string

	// extIDs maps every external id the region has seen to its item id
	// (closed items included), so intake dedupes without a store read.
	// Built by replay, extended after each successful commit.
	extIDs map[string]string

	cmds  chan pending
	quit  chan struct{}
	done  chan struct{}
	timer *time.Timer

	// beats holds the last heartbeat of each agent whose client sends them
	// (writer goroutine only). Heartbeats are not logged; only a lapse is,
	// as the presence change it causes. After a restart every watched agent
	// starts a fresh period.
	beats map[string]time.Time

	shadow *shadow // the candidate config running beside the live one, if any (shadow.go)

	// Writer goroutine only (see loop): the batch being committed, the one
	// being decided meanwhile, the idempotency records of batches not yet committed, and, once a reload
	// after a failed commit failed, the error every command gets.
	fl     *flight // committing
	next   *flight // decided, waiting for fl's commit
	idem   map[string]store.IdempotencyRecord
	failed error

	arenas arenaPool // the explanation arenas of released batches (lease.go)
}

func (n *Node) newRegion(id string) *region {
	return &region{n: n, id: id, clock: &allot.ManualClock{}, cmds: make(chan pending, 4096),
		quit: make(chan struct{}), done: make(chan struct{}), extIDs: map[string]string{}, beats: map[string]time.Time{},
		idem: map[string]store.IdempotencyRecord{}, arenas: arenaPool{reuses: &n.arenaReuses}}
}

// load replays a region's log into a fresh engine.
func (n *Node) load(ctx context.Context, id string) (*region, error) {
	r := n.newRegion(id)
	if err := r.replay(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// replayChunk is how many decoded entries the reader hands the engine at a
// time during replay.
const replayChunk = 256

// replayed is a log entry read and decoded for replay.
type replayed struct {
	e   store.Entry
	ev  engine.Event
	err error
}

// replay rebuilds r.eng from the store. Reading the log and decoding its
// payloads (about half of a replay's time) run on a goroutine of their own,
// ahead of the engine, which applies the entries in order on this one.
func (r *region) replay(ctx context.Context) error {
	r.eng, r.headSeq, r.headHash = nil, 0, ""
	r.shadow = nil
	r.extIDs = map[string]string{}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan []replayed, 4)
	var readErr error // the reader's; read after chunks is closed
	go func() {
		defer close(chunks)
		chunk := make([]replayed, 0, replayChunk)
		send := func() bool {
			select {
			case chunks <- chunk:
				chunk = make([]replayed, 0, replayChunk)
				return true
			case <-ctx.Done():
				return false
			}
		}
		readErr = r.n.st.Entries(ctx, r.id, 0, func(e store.Entry) error {
			ev, err := decode(e.Kind, e.Payload)
			if err != nil {
				err = fmt.Errorf("entry %d: %w", e.Seq, err)
			}
			e.Payload = nil // decoded; the engine does not need it
			chunk = append(chunk, replayed{e: e, ev: ev, err: err})
			if len(chunk) == replayChunk || err != nil {
				if !send() {
					return ctx.Err()
				}
			}
			return err // a bad entry ends the read: the engine reports it in order
		})
		if len(chunk) > 0 {
			send()
		}
	}()
	var err error
	defer func() {
		if r.eng != nil {
			r.eng.ReuseExplanations(false) // live decisions are stored and answered
		}
	}()
	for chunk := range chunks {
		if err != nil {
			continue // draining: the reader stops at the cancel
		}
		for i := range chunk {
			if err = r.replayEntry(&chunk[i]); err != nil {
				cancel()
				break
			}
		}
	}
	if err != nil {
		return err
	}
	if readErr != nil {
		return readErr
	}
	if r.eng == nil {
		return fmt.Errorf("region %q has no entries", r.id)
	}
	return nil
}

// replayEntry applies one decoded entry of the log to the engine.
func (r *region) replayEntry(x *replayed) error {
	if x.err != nil {
		return x.err
	}
	e, ev := &x.e, x.ev
	if arr, ok := ev.(engine.ItemArrived); ok && arr.Item.ExternalID != "" {
		r.extIDs[arr.Item.ExternalID] = arr.Item.ID
	}
	r.clock.Set(e.At)
	if r.eng == nil {
		cc, ok := ev.(engine.ConfigChanged)
		if !ok {
			return fmt.Errorf("entry %d: the first entry of a region must be a config, got %s", e.Seq, e.Kind)
		}
		eng, err := engine.New(cc.Config, r.id, r.clock)
		if err != nil {
			return fmt.Errorf("entry %d: %w", e.Seq, err)
		}
		// Replay drops each entry's decisions once the shadow (if any)
		// has seen them: their explanations' memory is reused until
		// replay ends.
		eng.ReuseExplanations(true)
		r.eng, r.cfg, r.cfgSeq = eng, cc.Config.WithDefaults(), e.Seq
	} else if r.replayShadow(ev) {
		// shadow mode (shadow.go): the live engine does not see it
	} else if ds, err := r.eng.Apply(ev); err != nil {
		// Logged events succeeded when they were decided; the same
		// events against the same state must succeed again.
		return fmt.Errorf("entry %d (%s): replay diverged: %w", e.Seq, e.Kind, err)
	} else {
		if cc, ok := ev.(engine.ConfigChanged); ok {
			r.cfg, r.cfgSeq = cc.Config.WithDefaults(), e.Seq
		}
		r.shadowMirror(ev, ds)
	}
	r.headSeq, r.headHash = e.Seq, e.Hash
	return nil
}

func (r *region) start() {
	r.timer = time.NewTimer(time.Hour)
	r.armTimer()
	go r.loop()
}

func (r *region) stop() {
	close(r.quit)
	<-r.done
}

func (r *region) submit(ctx context.Context, c *Command) (Result, error) {
	p := pending{ctx: ctx, cmd: c, reply: make(chan reply, 1)}
	select {
	case r.cmds <- p:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	case <-r.quit:
		return Result{}, errShuttingDown
	}
	// Once queued, wait for the answer even if ctx ends: the command may
	// commit, and the caller must not be told otherwise.
	select {
	case rep := <-p.reply:
		return rep.res, rep.err
	case <-r.done:
		// The writer stopped; it answers everything it took, so this only
		// happens for a command queued after its last batch.
		select {
		case rep := <-p.reply:
			return rep.res, rep.err
		default:
			return Result{}, errShuttingDown
		}
	}
}

func (r *region) armTimer() {
	if !r.timer.Stop() {
		select {
		case <-r.timer.C:
		default:
		}
	}
	if r.failed != nil {
		return // stopped: nothing to wake for
	}
	wake := r.eng.NextWake()
	if wake.IsZero() {
		return
	}
	d := time.Duration(float64(wake.Sub(r.n.clock.Now())) / r.n.opts.TimeScale)
	if d < 0 {
		d = 0 // overdue (e.g. it came due while the server was down): now
	}
	r.timer.Reset(d)
}

// The writer is a two-stage pipeline. The writer goroutine decides
// commands against the in-memory engine as they come (stage 1); a commit
// goroutine commits a decided batch (stage 2). While one batch commits, the
// writer keeps deciding the commands that arrive into the next batch, which
// starts committing as soon as the previous commit returns: group commit
// without the writer ever waiting for the disk. At most one batch commits
// at a time, in order.
//
// Every answer of a batch leaves only after that batch's own commit: the
// commit goroutine answers a batch after Store.Commit returned nil. A batch
// decided while the previous one committed saw that batch's effects (the
// engine holds them), so it is only ever committed after it.
//
// A failed commit leaves the engine ahead of the store: it holds the failed
// batch's effects, and those of the next batch decided on top of them. The
// writer then fails both batches (every command of them is answered
// EUNAVAILABLE, "nothing was changed, retry": neither reached the store;
// the next one's entries continue a chain the store does not have) and
// rebuilds the region from the store by replay before it decides anything
// else, so the engine again holds exactly what was committed. If the replay
// itself fails, the region stops: every command is answered EUNAVAILABLE
// from then on (fail stop) rather than decided against a state that may
// differ from the store.

// flight is a batch of decided commands: their replies and what to commit.
type flight struct {
	batch   []pending
	replies []reply
	b       *store.Batch
	decide  time.Duration // time spent deciding its commands
	idem    []string      // idempotency keys recorded by this batch
	done    chan struct{}
	err     error // the commit's, set before done is closed

	// lease holds the arena the batch's explanations are cut from until
	// the writer and every answer are done with them (lease.go); retired:
	// the writer's hold is dropped.
	lease   *lease
	retired bool
}

func (r *region) newFlight() *flight {
	return &flight{b: &store.Batch{Region: r.id}, done: make(chan struct{}), lease: r.arenas.newLease()}
}

// retire drops the writer's hold on f's arena, once: the commit goroutine
// is done with f (or never ran) and the engine no longer cuts from it.
func (f *flight) retire() {
	if !f.retired {
		f.retired = true
		f.lease.drop()
	}
}

func (r *region) loop() {
	defer close(r.done)
	batch := make([]pending, 0, r.n.opts.MaxBatch)
	watch := time.NewTicker(time.Second)
	defer watch.Stop()
	for {
		batch = batch[:0]
		var flDone chan struct{}
		if r.fl != nil {
			flDone = r.fl.done
		}
		room := r.n.opts.MaxBatch
		if r.next != nil {
			room -= len(r.next.batch)
		}
		cmds := r.cmds
		if room <= 0 {
			cmds = nil // the next batch is full: wait for the commit
		}
		select {
		case p := <-cmds:
			batch = append(batch, p)
		case <-r.timer.C:
			batch = append(batch, pending{ctx: context.Background(), cmd: &Command{Actor: "system", Event: engine.Tick{}}})
		case <-watch.C:
			batch = r.lapsedHeartbeats(batch)
			if len(batch) == 0 {
				continue
			}
		case <-flDone:
			ok := r.finish(r.fl)
			r.fl = nil
			if nx := r.next; nx != nil {
				r.next = nil
				if ok {
					r.fl = nx
					go r.commit(nx)
				} else {
					// Decided on top of the failed batch; finish rebuilt
					// the engine from the store without either.
					r.answerFailed(nx)
				}
			}
			r.armTimer()
			continue
		case <-r.quit:
			r.drainAndStop()
			return
		}
	drain:
		for len(batch) < room {
			select {
			case p := <-r.cmds:
				batch = append(batch, p)
			default:
				break drain
			}
		}
		if r.next == nil {
			r.next = r.newFlight()
		}
		r.decideInto(r.next, batch)
		if r.fl == nil {
			r.fl, r.next = r.next, nil
			go r.commit(r.fl)
		}
		r.armTimer()
	}
}

// drainAndStop commits what is decided, then decides, commits and answers
// whatever is still queued, one command at a time, and returns.
func (r *region) drainAndStop() {
	if r.fl != nil {
		ok := r.finish(r.fl)
		r.fl = nil
		if nx := r.next; nx != nil {
			r.next = nil
			if ok {
				r.commit(nx)
				r.finish(nx)
			} else {
				r.answerFailed(nx)
			}
		}
	}
	for {
		select {
		case p := <-r.cmds:
			f := r.newFlight()
			r.decideInto(f, []pending{p})
			r.commit(f)
			r.finish(f)
		default:
			return
		}
	}
}

// commit commits f (if it logged anything) and, when that succeeded,
// answers its commands; it runs on its own goroutine while the writer
// decides the next batch. It reads f.b but changes nothing the writer uses.
func (r *region) commit(f *flight) {
	defer close(f.done)
	start := time.Now()
	if len(f.b.Entries) > 0 {
		// The commit must not be cancelled by one caller going away.
		if f.err = r.n.st.Commit(context.Background(), f.b); f.err != nil {
			return
		}
	}
	if m := r.n.opts.Metrics; m != nil {
		m.observeBatch(r.id, f.b, f.decide, time.Since(start))
	}
	f.lease.hand(f.replies)
	for i, p := range f.batch {
		if p.reply != nil {
			p.reply <- f.replies[i]
		}
	}
}

// finish waits for f's commit. After a success the commit goroutine has
// answered f's commands; the writer forgets f's idempotency records (the
// store has them now). After a failure it answers every command of f
// EUNAVAILABLE and rebuilds the region from the store. It reports whether
// f committed.
func (r *region) finish(f *flight) bool {
	<-f.done
	f.retire()
	for _, k := range f.idem {
		delete(r.idem, k)
	}
	if f.err == nil {
		return true
	}
	r.answerFailed(f)
	if r.failed != nil {
		return false
	}
	r.n.log.Error("commit failed; reloading the region from the store", "region", r.id, "err", f.err)
	r.idem = map[string]store.IdempotencyRecord{}
	if err := r.replay(context.Background()); err != nil {
		// The engine may differ from the store now: stop deciding.
		r.failed = allot.Errorf(EUNAVAILABLE, "region %q is stopped: it could not be reloaded after a failed commit (%v); restart the server", r.id, err)
		r.n.log.Error("region reload failed; the region is stopped until a restart", "region", r.id, "err", err)
	}
	return false
}

// answerFailed answers every command of a batch that was not committed.
func (r *region) answerFailed(f *flight) {
	f.retire() // nothing of f is answered or stored
	for _, p := range f.batch {
		if p.reply == nil {
			continue
		}
		err := r.failed
		if err == nil {
			err = allot.Errorf(EUNAVAILABLE, "could not commit; nothing was changed, retry")
		}
		p.reply <- reply{err: err}
	}
}

// decideInto decides commands against the engine into f; it answers
// nothing (see commit and finish).
func (r *region) decideInto(f *flight, batch []pending) {
	start := time.Now()
	// The batch's explanations are cut from its arena; between batches
	// the engine cuts from none.
	if eng := r.eng; eng != nil {
		eng.UseArena(f.lease.arena)
		defer eng.UseArena(nil)
	}
	defer func() { f.decide += time.Since(start) }()
	base := len(f.batch)
	f.batch = append(f.batch, batch...)
	f.replies = append(f.replies, make([]reply, len(batch))...)
	b := f.b
	replies := f.replies[base:]
	for i, p := range batch {
		c := p.cmd
		if r.failed != nil {
			replies[i] = reply{err: r.failed}
			continue
		}
		if c.read != nil {
			c.read(r.eng)
			continue
		}
		if err := p.ctx.Err(); err != nil {
			replies[i] = reply{err: err}
			continue
		}
		if c.IdempotencyKey != "" {
			rec, seen := r.idem[c.IdempotencyKey]
			if !seen {
				stored, err := r.n.st.Idempotency(p.ctx, r.id, c.IdempotencyKey)
				switch allot.ErrorCode(err) {
				case "":
					rec, seen = stored, true
				case allot.ENOTFOUND:
				default:
					replies[i] = reply{err: err}
					continue
				}
			}
			if seen {
				if rec.RequestHash != c.RequestHash {
					replies[i] = reply{err: &allot.Error{Code: allot.EINVALID, Message: "this Idempotency-Key was used with a different request",
						Problems: allot.Problems{{Path: "Idempotency-Key", Message: "reused with a different method, path or body; use a new key"}}}}
				} else {
					cp := rec
					replies[i] = reply{res: Result{Replay: &cp}}
				}
				continue
			}
		}
		if c.EditConfig != nil && c.IfConfigVersion != 0 && c.IfConfigVersion != r.cfgSeq {
			replies[i] = reply{err: allot.Errorf(allot.ECONFLICT,
				"the region's config changed since version %d (it is now version %d): read it again and retry", c.IfConfigVersion, r.cfgSeq)}
			continue
		}
		if c.EditConfig != nil {
			cfg, err := cloneConfig(r.cfg)
			if err == nil {
				err = c.EditConfig(&cfg)
			}
			if err != nil {
				replies[i] = reply{err: err}
				continue
			}
			c.Event = engine.ConfigChanged{Config: cfg}
		}
		if arr, ok := c.Event.(engine.ItemArrived); ok && arr.Item.ExternalID != "" && !c.Reopen {
			if id, dup := r.extIDs[arr.Item.ExternalID]; dup {
				it, err := r.existing(p.ctx, b, id)
				if err != nil {
					replies[i] = reply{err: err}
				} else {
					replies[i] = reply{res: Result{Existing: true, Items: []allot.Item{it}}}
				}
				continue
			}
		}
		if c.Check != nil {
			if err := c.Check(r.eng); err != nil {
				replies[i] = reply{err: err}
				continue
			}
		}
		res, err := r.decide(b, c)
		if err != nil {
			replies[i] = reply{err: err}
			continue
		}
		if arr, ok := c.Event.(engine.ItemArrived); ok && arr.Item.ExternalID != "" {
			// Seen from now on, by this batch and the next: a failed commit
			// rebuilds the map with the engine.
			r.extIDs[arr.Item.ExternalID] = arr.Item.ID
		}
		if c.IdempotencyKey != "" && c.Respond != nil {
			status, body := c.Respond(res)
			rec := store.IdempotencyRecord{Region: r.id, Key: c.IdempotencyKey, RequestHash: c.RequestHash,
				Status: status, Body: body, CreatedAt: r.clock.Now()}
			r.idem[c.IdempotencyKey] = rec
			f.idem = append(f.idem, c.IdempotencyKey)
			b.Idempotency = append(b.Idempotency, rec)
		}
		replies[i] = reply{res: res}
	}
}

// existing returns the current state of an item that already exists: the
// engine's while it is open, else the latest state written by a batch not
// yet committed (this one or the one committing), else the store's.
func (r *region) existing(ctx context.Context, b *store.Batch, id string) (allot.Item, error) {
	if it, open := r.eng.Item(id); open {
		return it, nil
	}
	in := []*store.Batch{b} // this batch, then the one committing
	if r.fl != nil && r.fl.b != b {
		in = append(in, r.fl.b)
	}
	for _, bb := range in {
		for j := len(bb.Items) - 1; j >= 0; j-- {
			if bb.Items[j].ID == id {
				return bb.Items[j], nil
			}
		}
	}
	return r.n.st.Item(ctx, r.id, id)
}

// decide applies one command to the engine and appends its entry, decisions
// and item states to b. On error the engine is unchanged except for timers
// that came due, whose decisions are logged as a tick.
func (r *region) decide(b *store.Batch, c *Command) (Result, error) {
	now := r.n.clock.Now().UTC()
	if now.Before(r.clock.T) {
		now = r.clock.T
	}
	r.clock.Set(now)
	if res, ok, err := r.shadowCommand(b, c, now); ok {
		return res, err
	}
	var before allot.Item
	var closing bool
	if cl, ok := c.Event.(engine.ItemClosed); ok {
		before, closing = r.eng.Item(cl.ID)
	}
	ds, err := r.eng.Apply(c.Event)
	if err != nil {
		if len(ds) > 0 {
			if lerr := r.appendEntry(b, now, "system", engine.Tick{}); lerr != nil {
				return Result{}, lerr
			}
			r.stampVersion(ds)
			r.appendEffects(b, ds, "", allot.Item{}, false)
			r.shadowMirror(engine.Tick{}, ds)
		}
		return Result{}, err
	}
	if _, isTick := c.Event.(engine.Tick); isTick && len(ds) == 0 {
		return Result{}, nil // nothing happened: nothing to log
	}
	if cc, ok := c.Event.(engine.ConfigChanged); ok {
		r.cfg = cc.Config.WithDefaults()
	}
	if err := r.appendEntry(b, now, c.Actor, c.Event); err != nil {
		return Result{}, err
	}
	if _, ok := c.Event.(engine.ConfigChanged); ok {
		r.cfgSeq = r.headSeq // decided under the config this entry installs
	}
	r.stampVersion(ds)
	r.shadowMirror(c.Event, ds)
	var own string
	switch ev := c.Event.(type) {
	case engine.ItemArrived:
		own = ev.Item.ID
	case engine.ItemUpdated:
		own = ev.ID
	case engine.ItemTouched:
		own = ev.ID
	case engine.ItemReleased:
		own = ev.ID
	case engine.ItemClosed:
		own = ev.ID
	case engine.ItemTransferred:
		own = ev.ID
	}
	if closing {
		before.Status, before.Owner = allot.StatusClosed, ""
	}
	items := r.appendEffects(b, ds, own, before, closing)
	res := Result{Decisions: ds, Items: items}
	if _, ok := c.Event.(engine.ConfigChanged); ok {
		res.ConfigVersion = r.cfgSeq
	}
	return res, nil
}

// appendEffects adds decisions and the states of the items they and the
// command's own item changed to b, returning those states (own first).
func (r *region) appendEffects(b *store.Batch, ds []allot.Decision, own string, closed allot.Item, closing bool) []allot.Item {
	b.Decisions = append(b.Decisions, ds...)
	seen := map[string]bool{}
	var items []allot.Item
	add := func(id string) {
		if id == "" || seen[id] {
			return
		}
		seen[id] = true
		if it, ok := r.eng.Item(id); ok {
			items = append(items, it)
		} else if closing && id == own {
			items = append(items, closed)
		}
	}
	add(own)
	for _, d := range ds {
		add(d.Item)
	}
	b.Items = append(b.Items, items...)
	return items
}

// appendEntry logs ev as the region's next entry in b.
func (r *region) appendEntry(b *store.Batch, at time.Time, actor string, ev engine.Event) error {
	kind, item, payload, err := encode(ev)
	if err != nil {
		return err
	}
	e := store.Entry{Region: r.id, Seq: r.headSeq + 1, At: at.UTC(), Actor: actor, Kind: kind, Item: item, Payload: payload, PrevHash: r.headHash}
	e.Hash = store.HashEntry(&e)
	b.Entries = append(b.Entries, e)
	r.headSeq, r.headHash = e.Seq, e.Hash
	return nil
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// heartbeat records a heartbeat of agent (writer goroutine).
func (r *region) heartbeat(agent string) error {
	if _, ok := r.eng.Agent(agent); !ok {
		return allot.Errorf(allot.ENOTFOUND, "no agent %q in region %q", agent, r.id)
	}
	r.beats[agent] = r.n.clock.Now()
	return nil
}

// lapsedHeartbeats appends a presence change to offline for every watched
// agent whose heartbeats stopped for the region's HeartbeatSeconds while it
// is routable.
func (r *region) lapsedHeartbeats(batch []pending) []pending {
	if r.failed != nil {
		return batch
	}
	secs := r.eng.Region().HeartbeatSeconds
	if secs <= 0 || len(r.beats) == 0 {
		return batch
	}
	now := r.n.clock.Now()
	ids := make([]string, 0, len(r.beats))
	for id := range r.beats {
		ids = append(ids, id)
	}
	sortStrings(ids)
	for _, id := range ids {
		if now.Sub(r.beats[id]) < time.Duration(secs)*time.Second {
			continue
		}
		delete(r.beats, id) // watched again from its next heartbeat
		if st, ok := r.eng.Agent(id); !ok || !st.Routable {
			continue
		}
		batch = append(batch, pending{ctx: context.Background(), cmd: &Command{Actor: "system",
			Event: engine.AgentPresence{Agent: id, Status: "offline"}}})
	}
	return batch
}

// stampVersion records on each decision the config version it was made under
// (an item is decided entirely under one config version).
func (r *region) stampVersion(ds []allot.Decision) {
	for i := range ds {
		ds[i].ConfigVersion = r.cfgSeq
	}
}

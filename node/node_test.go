package node_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	_ "modernc.org/sqlite"

	"github.com/allot/allot"
	"github.com/allot/allot/engine"
	"github.com/allot/allot/node"
	"github.com/allot/allot/store"
	"github.com/allot/allot/store/sqlite"
)

func openStore(t *testing.T, path string) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func regionCfg(id string, agents int, capacity int) allot.Config {
	r := allot.Region{ID: id, DefaultQueue: "q"}
	var members []string
	for i := range agents {
		a := fmt.Sprintf("a%d", i)
		r.Agents = append(r.Agents, allot.Agent{ID: a, Capacity: allot.Capacity{Total: capacity}, Presence: "available"})
		members = append(members, a)
	}
	r.Queues = []allot.Queue{{ID: "q", Members: members, Policy: allot.RoundRobin}}
	r.Rules = []allot.Rule{{Name: "fr", When: `item.country == "FR"`, Queue: "q"}}
	return allot.Config{Regions: []allot.Region{r}}
}

func arrive(id, ext string) engine.ItemArrived {
	return engine.ItemArrived{Item: allot.Item{ID: id, Type: "lead", ExternalID: ext, Attributes: map[string]any{"country": "FR"}}}
}

func newNode(t *testing.T, st store.Store, m *node.Metrics) *node.Node {
	t.Helper()
	n, err := node.Open(context.Background(), st, node.Options{Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCommitThenRestartRebuildsTheSameState(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "allot.db")
	st := openStore(t, path)
	n := newNode(t, st, nil)
	if _, err := n.CreateRegion(ctx, "test", regionCfg("eu", 3, 2)); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		res, err := n.Submit(ctx, "eu", node.Command{Actor: "test", Event: arrive(fmt.Sprint("i", i), fmt.Sprint("e", i))})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Items) == 0 || res.Items[0].ID != fmt.Sprint("i", i) {
			t.Fatalf("result items %+v", res.Items)
		}
	}
	if _, err := n.Submit(ctx, "eu", node.Command{Actor: "test", Event: engine.ItemClosed{ID: "i0"}}); err != nil {
		t.Fatal(err)
	}
	var before []allot.Item
	n.Read(ctx, "eu", func(e *engine.Engine) { before = e.Items() })
	// The store holds what the engine holds.
	for _, it := range before {
		got, err := st.Item(ctx, "eu", it.ID)
		if err != nil || got.Owner != it.Owner || got.Status != it.Status {
			t.Fatalf("stored %+v (%v), engine %+v", got, err, it)
		}
	}
	closed, _ := st.Item(ctx, "eu", "i0")
	if closed.Status != allot.StatusClosed {
		t.Fatalf("closed item stored as %s", closed.Status)
	}
	n.Close()
	st.Close()

	st = openStore(t, path)
	defer st.Close()
	n = newNode(t, st, nil)
	defer n.Close()
	var after []allot.Item
	reusing := true
	n.Read(ctx, "eu", func(e *engine.Engine) { after, reusing = e.Items(), e.ReusingExplanations() })
	if reusing {
		t.Fatal("after replay the live engine still reuses explanations: the decisions it stores and answers would be overwritten")
	}
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("state after restart differs:\n%+v\n%+v", before, after)
	}
	rep, err := node.Verify(ctx, st)
	if err != nil || len(rep.Problems) > 0 {
		t.Fatalf("verify: %v %v", err, rep.Problems)
	}
	if rep.Regions[0].Chain.Entries != 12 || rep.Regions[0].Decisions == 0 {
		t.Fatalf("report %+v", rep)
	}
}

func TestGroupCommitSharesTransactions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "allot.db"))
	defer st.Close()
	var batches, entries atomic.Int64
	m := &node.Metrics{Batch: func(_ string, n int, _, _ time.Duration) {
		if n > 0 {
			batches.Add(1)
			entries.Add(int64(n))
		}
	}}
	n := newNode(t, st, m)
	defer n.Close()
	if _, err := n.CreateRegion(ctx, "test", regionCfg("eu", 10, 100)); err != nil {
		t.Fatal(err)
	}
	const N = 300
	var wg sync.WaitGroup
	errs := make(chan error, N)
	for i := range N {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := n.Submit(ctx, "eu", node.Command{Actor: "test", Event: arrive(fmt.Sprint("i", i), "")})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if entries.Load() != N {
		t.Fatalf("%d entries committed, want %d", entries.Load(), N)
	}
	if batches.Load() >= N {
		t.Fatalf("%d commits for %d concurrent commands: no group commit", batches.Load(), N)
	}
	t.Logf("%d commands in %d commits", N, batches.Load())
}

func TestIdempotencyKeyUnderConcurrency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "allot.db"))
	defer st.Close()
	n := newNode(t, st, nil)
	defer n.Close()
	if _, err := n.CreateRegion(ctx, "test", regionCfg("eu", 2, 10)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var created atomic.Int64
	bodies := make([]string, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := n.Submit(ctx, "eu", node.Command{Actor: "test", Event: arrive(fmt.Sprint("x", i), ""),
				IdempotencyKey: "k1", RequestHash: "h1",
				Respond: func(r node.Result) (int, []byte) { return 201, []byte(r.Items[0].ID) }})
			if err != nil {
				t.Error(err)
				return
			}
			if res.Replay != nil {
				bodies[i] = string(res.Replay.Body)
			} else {
				created.Add(1)
				bodies[i] = res.Items[0].ID
			}
		}()
	}
	wg.Wait()
	if created.Load() != 1 {
		t.Fatalf("%d items created under one key, want 1", created.Load())
	}
	for _, b := range bodies {
		if b != bodies[0] {
			t.Fatalf("responses differ: %q vs %q", b, bodies[0])
		}
	}
	_, err := n.Submit(ctx, "eu", node.Command{Actor: "test", Event: arrive("y", ""), IdempotencyKey: "k1", RequestHash: "other"})
	if allot.ErrorCode(err) != allot.EINVALID {
		t.Fatalf("same key, other request: %v, want invalid", err)
	}
}

func TestExternalIDIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "allot.db"))
	defer st.Close()
	n := newNode(t, st, nil)
	defer n.Close()
	n.CreateRegion(ctx, "test", regionCfg("eu", 2, 10))
	first, err := n.Submit(ctx, "eu", node.Command{Event: arrive("a", "crm-1")})
	if err != nil || first.Existing {
		t.Fatal(err, first.Existing)
	}
	again, err := n.Submit(ctx, "eu", node.Command{Event: arrive("b", "crm-1")})
	if err != nil || !again.Existing || again.Items[0].ID != "a" {
		t.Fatalf("second create with the same external id: %+v %v", again, err)
	}
}

func TestConcurrentConfigEditsAllLand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "allot.db"))
	defer st.Close()
	n := newNode(t, st, nil)
	defer n.Close()
	n.CreateRegion(ctx, "test", regionCfg("eu", 1, 10))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := n.Submit(ctx, "eu", node.Command{Actor: "test", EditConfig: func(cfg *allot.Config) error {
				r := &cfg.Regions[0]
				r.Agents = append(r.Agents, allot.Agent{ID: fmt.Sprint("new", i), Capacity: allot.Capacity{Total: 1}, Presence: "available"})
				return nil
			}})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	cfg, err := n.Config(ctx, "eu")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(cfg.Regions[0].Agents); got != 21 {
		t.Fatalf("%d agents after 20 concurrent additions, want 21", got)
	}
	// An invalid edit fails with the engine's problems and changes nothing.
	_, err = n.Submit(ctx, "eu", node.Command{EditConfig: func(cfg *allot.Config) error {
		cfg.Regions[0].Agents[0].Capacity.Total = -1
		return nil
	}})
	var ae *allot.Error
	if allot.ErrorCode(err) != allot.EINVALID || !strings.Contains(fmt.Sprint(err), "capacity.total") {
		t.Fatalf("invalid edit: %v (%T %v)", err, err, ae)
	}
	cfg, _ = n.Config(ctx, "eu")
	if cfg.Regions[0].Agents[0].Capacity.Total != 10 {
		t.Fatal("a failed edit changed the config")
	}
}

func TestFailedCommandsLogNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "allot.db"))
	defer st.Close()
	n := newNode(t, st, nil)
	defer n.Close()
	n.CreateRegion(ctx, "test", regionCfg("eu", 1, 10))
	seq0, _, _ := st.Head(ctx, "eu")
	for _, ev := range []engine.Event{engine.ItemClosed{ID: "nope"}, engine.AgentPresence{Agent: "a0", Status: "dancing"}, engine.ItemArrived{}} {
		if _, err := n.Submit(ctx, "eu", node.Command{Event: ev}); err == nil {
			t.Fatalf("%#v succeeded", ev)
		}
	}
	if seq, _, _ := st.Head(ctx, "eu"); seq != seq0 {
		t.Fatalf("failed commands appended entries: head %d → %d", seq0, seq)
	}
	if _, err := n.Submit(ctx, "nowhere", node.Command{Event: engine.Tick{}}); allot.ErrorCode(err) != allot.ENOTFOUND {
		t.Fatalf("unknown region: %v", err)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "allot.db")
	st := openStore(t, path)
	n := newNode(t, st, nil)
	n.CreateRegion(ctx, "test", regionCfg("eu", 2, 10))
	n.Submit(ctx, "eu", node.Command{Event: arrive("a", "")})
	n.Submit(ctx, "eu", node.Command{Event: arrive("b", "")})
	n.Close()
	st.Close()

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE entries SET payload = CAST(replace(CAST(payload AS TEXT), '"FR"', '"DE"') AS BLOB) WHERE region = 'eu' AND seq = 2`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	st = openStore(t, path)
	defer st.Close()
	rep, err := node.Verify(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(rep.Problems, "\n"), "entry 2 was altered") {
		t.Fatalf("tampering not detected: %v", rep.Problems)
	}
}

// syncClock is a Clock safe to move from the test while the node reads it.
type syncClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *syncClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *syncClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestHeartbeatLapseSetsAgentOffline runs in a synctest bubble: the node's
// heartbeat watcher, its store and the clock all use the bubble's fake time,
// so the test waits without sleeping on the wall clock.
func TestHeartbeatLapseSetsAgentOffline(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		st := openStore(t, filepath.Join(dir, "allot.db"))
		defer st.Close()
		n, err := node.Open(ctx, st, node.Options{}) // the system clock: fake inside the bubble
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		cfg := regionCfg("eu", 2, 5)
		cfg.Regions[0].HeartbeatSeconds = 30
		if _, err := n.CreateRegion(ctx, "test", cfg); err != nil {
			t.Fatal(err)
		}
		if err := n.Heartbeat(ctx, "eu", "nobody"); allot.ErrorCode(err) != allot.ENOTFOUND {
			t.Fatalf("heartbeat of an unknown agent: %v", err)
		}
		if err := n.Heartbeat(ctx, "eu", "a0"); err != nil {
			t.Fatal(err)
		}
		presence := func(id string) string {
			var p string
			n.Read(ctx, "eu", func(e *engine.Engine) { st, _ := e.Agent(id); p = st.Presence })
			return p
		}
		time.Sleep(29 * time.Second) // fake time
		n.Heartbeat(ctx, "eu", "a0") // still alive
		time.Sleep(29 * time.Second)
		synctest.Wait()
		if p := presence("a0"); p != "available" {
			t.Fatalf("a0 beat 29 s ago and is %s, want available", p)
		}
		time.Sleep(3 * time.Second) // 32 s since the last beat; the watcher runs every second
		synctest.Wait()
		if p := presence("a0"); p != "offline" {
			t.Fatalf("a0's heartbeats lapsed and it is %s, want offline", p)
		}
		if p := presence("a1"); p != "available" {
			t.Fatalf("a1 never sent heartbeats and is %s: unwatched agents must not change", p)
		}
		// The lapse is logged as a presence change by "system".
		var last store.Entry
		st.Entries(ctx, "eu", 0, func(e store.Entry) error { last = e; return nil })
		if last.Kind != node.KindAgentPresence || last.Actor != "system" {
			t.Fatalf("last entry %s by %s, want agent_presence by system", last.Kind, last.Actor)
		}
	})
}

// TestReassignmentsAndEscalationsAreVisible: every SLA re-assignment and
// escalation is committed as a decision with its reason (what the API's
// decisions and item history serve), counted by the SLA-breach metric, and
// backed by an audit-log entry (the tick that fired it).
func TestReassignmentsAndEscalationsAreVisible(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "allot.db"))
	defer st.Close()
	clock := &syncClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	var breaches atomic.Int64
	n, err := node.Open(ctx, st, node.Options{Clock: clock, Metrics: &node.Metrics{SLABreach: func(string, string) { breaches.Add(1) }}})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	cfg := regionCfg("eu", 3, 5)
	cfg.Regions[0].Queues[0].SLAMinutes = 1
	cfg.Regions[0].Queues[0].MaxReassignments = 1
	cfg.Regions[0].Queues[0].Supervisor = "a2"
	if _, err := n.CreateRegion(ctx, "test", cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Submit(ctx, "eu", node.Command{Actor: "test", Event: arrive("x", "")}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(5 * time.Minute)
	if _, err := n.Submit(ctx, "eu", node.Command{Actor: "system", Event: engine.Tick{}}); err != nil {
		t.Fatal(err)
	}
	ds, err := st.Decisions(ctx, store.DecisionQuery{Region: "eu", Item: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, d := range ds {
		kinds = append(kinds, string(d.Kind)+":"+d.Cause)
	}
	want := []string{
		"assigned:arrival",
		"reassigned:sla_breach: not touched within 1 minutes",
		"escalated:sla_breach: not touched within 1 minutes",
		"assigned:escalated",
	}
	if !reflect.DeepEqual(kinds, want) {
		t.Fatalf("stored decisions for x:\n%v\nwant\n%v", kinds, want)
	}
	if ds[3].Agent != "a2" || ds[3].Explanation == nil || ds[3].Explanation.Reason == "" {
		t.Fatalf("escalation to the supervisor %+v", ds[3])
	}
	if got := breaches.Load(); got != 2 {
		t.Fatalf("SLA breach metric counted %d, want 2 (two assignments went untouched; the second escalated)", got)
	}
	var ticks int
	st.Entries(ctx, "eu", 0, func(e store.Entry) error {
		if e.Kind == node.KindTick {
			ticks++
		}
		return nil
	})
	if ticks != 1 {
		t.Fatalf("%d tick entries in the audit log, want the one that fired the timers", ticks)
	}
}

func TestDecisionsRecordTheirConfigVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "allot.db")
	st := openStore(t, path)
	n := newNode(t, st, nil)
	n.CreateRegion(ctx, "test", regionCfg("eu", 2, 10)) // version 1
	n.Submit(ctx, "eu", node.Command{Event: arrive("a", "")})
	res, err := n.Submit(ctx, "eu", node.Command{EditConfig: func(cfg *allot.Config) error {
		cfg.Regions[0].Agents[0].Weight = 2
		return nil
	}}) // version 3 (entry 3)
	if err != nil {
		t.Fatal(err)
	}
	_ = res
	n.Submit(ctx, "eu", node.Command{Event: arrive("b", "")})
	n.Close()
	check := func() {
		ds, err := st.Decisions(ctx, store.DecisionQuery{Region: "eu"})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]uint64{}
		for _, d := range ds {
			got[d.Item] = d.ConfigVersion
		}
		if got["a"] != 1 || got["b"] != 3 {
			t.Fatalf("config versions %v, want a under 1 and b under 3", got)
		}
	}
	check()
	// After a restart (replay), new decisions carry the version in force.
	n = newNode(t, st, nil)
	defer n.Close()
	res, err = n.Submit(ctx, "eu", node.Command{Event: arrive("c", "")})
	if err != nil || len(res.Decisions) == 0 || res.Decisions[0].ConfigVersion != 3 {
		t.Fatalf("after restart: %+v %v, want version 3", res.Decisions, err)
	}
	check()
	st.Close()
}

// Replay reads and decodes the log ahead of the engine, in chunks: a log of
// several chunks rebuilds the same state, and an entry that does not decode,
// deep in the log, stops the start with an error naming it.
func TestReplayAcrossChunksAndABadEntry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "allot.db")
	st := openStore(t, path)
	n := newNode(t, st, nil)
	if _, err := n.CreateRegion(ctx, "test", regionCfg("eu", 4, 1000)); err != nil {
		t.Fatal(err)
	}
	for i := range 700 {
		if _, err := n.Submit(ctx, "eu", node.Command{Actor: "test", Event: arrive(fmt.Sprint("i", i), fmt.Sprint("e", i))}); err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 {
			if _, err := n.Submit(ctx, "eu", node.Command{Actor: "test", Event: engine.ItemClosed{ID: fmt.Sprint("i", i)}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var before []allot.Item
	n.Read(ctx, "eu", func(e *engine.Engine) { before = e.Items() })
	n.Close()
	st.Close()

	st = openStore(t, path)
	n = newNode(t, st, nil)
	var after []allot.Item
	reusing := true
	n.Read(ctx, "eu", func(e *engine.Engine) { after, reusing = e.Items(), e.ReusingExplanations() })
	if reusing {
		t.Fatal("after replay the live engine still reuses explanations: the decisions it stores and answers would be overwritten")
	}
	n.Close()
	st.Close()
	if len(before) < 500 || !reflect.DeepEqual(before, after) {
		t.Fatalf("state after a replay of %d items differs (%d items after)", len(before), len(after))
	}

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE entries SET payload = CAST('{' AS BLOB) WHERE region = 'eu' AND seq = 600`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	st = openStore(t, path)
	defer st.Close()
	if n, err := node.Open(ctx, st, node.Options{}); err == nil {
		n.Close()
		t.Fatal("a log with an undecodable entry loaded")
	} else if !strings.Contains(err.Error(), "entry 600") {
		t.Fatalf("the error %q does not name entry 600", err)
	}
}

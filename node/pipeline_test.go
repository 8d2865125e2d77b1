package node_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/engine"
	"github.com/allot/allot/node"
	"github.com/allot/allot/store"
)

// faultyStore wraps a store: it records what each successful Commit made
// durable, can hold a Commit until released, fail chosen commits, and fail
// the replay of a region's log.
type faultyStore struct {
	store.Store

	mu        sync.Mutex
	committed map[string]bool // item ids of entries the store has committed
	commits   int
	failAt    map[int]bool // commit numbers (1, 2, ...) that fail
	hold      map[int]chan struct{}
	holding   chan int // receives a commit's number when it starts being held
	entryErr  error    // when set, Entries fails with it
}

func newFaultyStore(st store.Store) *faultyStore {
	return &faultyStore{Store: st, committed: map[string]bool{}, failAt: map[int]bool{}, hold: map[int]chan struct{}{}, holding: make(chan int, 16)}
}

var errInjected = errors.New("injected commit failure")

func (f *faultyStore) Commit(ctx context.Context, b *store.Batch) error {
	f.mu.Lock()
	f.commits++
	k := f.commits
	fail, gate := f.failAt[k], f.hold[k]
	f.mu.Unlock()
	if gate != nil {
		f.holding <- k
		<-gate
	}
	if fail {
		return errInjected
	}
	if err := f.Store.Commit(ctx, b); err != nil {
		return err
	}
	f.mu.Lock()
	for _, e := range b.Entries {
		if e.Item != "" {
			f.committed[e.Item] = true
		}
	}
	f.mu.Unlock()
	return nil
}

func (f *faultyStore) Entries(ctx context.Context, region string, afterSeq uint64, fn func(store.Entry) error) error {
	f.mu.Lock()
	err := f.entryErr
	f.mu.Unlock()
	if err != nil {
		return err
	}
	return f.Store.Entries(ctx, region, afterSeq, fn)
}

func (f *faultyStore) isCommitted(item string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.committed[item]
}

func (f *faultyStore) setHold(k int) chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := make(chan struct{})
	f.hold[k] = g
	return g
}

func (f *faultyStore) setFail(k int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failAt[k] = true
}

func (f *faultyStore) commitCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.commits
}

func quietNode(t *testing.T, st store.Store) *node.Node {
	t.Helper()
	n, err := node.Open(context.Background(), st, node.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// sameAsStore checks that the node's engine holds exactly what a fresh
// replay of the store gives.
func sameAsStore(t *testing.T, n *node.Node, st store.Store, region string) {
	t.Helper()
	ctx := context.Background()
	var live []allot.Item
	if err := n.Read(ctx, region, func(e *engine.Engine) { live = e.Items() }); err != nil {
		t.Fatal(err)
	}
	fresh := quietNode(t, st)
	defer fresh.Close()
	var replayed []allot.Item
	if err := fresh.Read(ctx, region, func(e *engine.Engine) { replayed = e.Items() }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(live, replayed) {
		t.Fatalf("engine and store differ:\nengine %d items %+v\nstore  %d items %+v", len(live), live, len(replayed), replayed)
	}
}

// No answer leaves before its own commit: under concurrent load with
// commits of random speed, every item answered as created is committed at
// the moment the answer arrives.
func TestAnswersFollowTheirCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inner, fs, n := faultyRegion(t, 5, 1000)
	// Slow down some commits so that batches pile up behind them.
	stop := make(chan struct{})
	var releaser sync.WaitGroup
	releaser.Add(1)
	go func() {
		defer releaser.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			k := fs.commitCount() + 1
			g := fs.setHold(k)
			select {
			case <-fs.holding:
			case <-stop:
				close(g)
				return
			}
			time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
			close(g)
		}
	}()
	var wg sync.WaitGroup
	var early atomic.Int64
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				id := fmt.Sprintf("w%d-%d", w, i)
				res, err := n.Submit(ctx, "eu", node.Command{Actor: "test", Event: arrive(id, "ext-"+id)})
				if err != nil {
					t.Error(err)
					return
				}
				if res.Existing || !fs.isCommitted(id) {
					early.Add(1)
				}
				// A read sees the state its own answer implies.
				if err := n.Read(ctx, "eu", func(e *engine.Engine) {}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	releaser.Wait()
	if early.Load() > 0 {
		t.Fatalf("%d items were answered before their commit", early.Load())
	}
	sameAsStore(t, n, inner, "eu")
}

// A failed commit fails its batch and the batch decided on top of it; the
// region is rebuilt from the store, so nothing of either remains (their
// external ids are free again) and the next commands succeed.
func TestFailedCommitRebuildsTheRegion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inner, fs, n := faultyRegion(t, 3, 100)
	if _, err := n.Submit(ctx, "eu", node.Command{Actor: "test", Event: arrive("before", "ext-before")}); err != nil {
		t.Fatal(err)
	}
	k := fs.commitCount() + 1
	gate := fs.setHold(k)
	fs.setFail(k)
	type answer struct {
		id  string
		res node.Result
		err error
	}
	answers := make(chan answer, 10)
	submit := func(id string) {
		res, err := n.Submit(ctx, "eu", node.Command{Actor: "test", Event: arrive(id, "ext-"+id)})
		answers <- answer{id, res, err}
	}
	go submit("a") // its commit is held, then fails
	<-fs.holding
	// Decided while a's commit is held: on top of a's effects.
	for _, id := range []string{"b", "c"} {
		go submit(id)
	}
	// A read decided into the same batch must not answer either.
	readErr := make(chan error, 1)
	go func() {
		readErr <- n.Read(ctx, "eu", func(e *engine.Engine) {})
	}()
	select {
	case a := <-answers:
		t.Fatalf("%s answered while the commit before it was held: %+v %v", a.id, a.res, a.err)
	case err := <-readErr:
		t.Fatalf("a read answered while the commit before it was held: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(gate)
	for range 3 {
		a := <-answers
		switch {
		case a.id == "a" && !node.IsUnavailable(a.err):
			t.Fatalf("the failed commit's command: %+v %v, want unavailable", a.res, a.err)
		case a.err == nil && !fs.isCommitted(a.id):
			t.Fatalf("%s answered created but not committed", a.id)
		case a.err != nil && !node.IsUnavailable(a.err):
			t.Fatalf("%s: %v, want unavailable", a.id, a.err)
		}
	}
	if err := <-readErr; err != nil && !node.IsUnavailable(err) {
		t.Fatalf("read: %v", err)
	}
	sameAsStore(t, n, inner, "eu")
	// Nothing of a remains: its external id creates a new item.
	res, err := n.Submit(ctx, "eu", node.Command{Actor: "test", Event: arrive("a2", "ext-a")})
	if err != nil || res.Existing {
		t.Fatalf("ext-a after the failed commit: %+v %v; want a new item", res, err)
	}
	res, err = n.Submit(ctx, "eu", node.Command{Actor: "test", Event: arrive("x", "ext-before")})
	if err != nil || !res.Existing || res.Items[0].ID != "before" {
		t.Fatalf("ext-before after the failed commit: %+v %v; want the existing item", res, err)
	}
	sameAsStore(t, n, inner, "eu")
}

// When the region cannot be rebuilt after a failed commit, it stops: every
// command is answered unavailable instead of decided against a state the
// store does not have.
func TestFailedReloadStopsTheRegion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inner, fs, n := faultyRegion(t, 3, 100)
	fs.setFail(fs.commitCount() + 1)
	fs.mu.Lock()
	fs.entryErr = errors.New("injected read failure")
	fs.mu.Unlock()
	if _, err := n.Submit(ctx, "eu", node.Command{Actor: "test", Event: arrive("a", "")}); !node.IsUnavailable(err) {
		t.Fatalf("failed commit: %v, want unavailable", err)
	}
	// b is decided after the reload was tried (the writer reloads before
	// it decides anything else).
	if _, err := n.Submit(ctx, "eu", node.Command{Actor: "test", Event: arrive("b", "")}); !node.IsUnavailable(err) {
		t.Fatalf("command after the failed reload: %v, want unavailable", err)
	}
	// The store answers again; the region stays stopped until a restart.
	fs.mu.Lock()
	fs.entryErr = nil
	fs.mu.Unlock()
	for _, c := range []node.Command{{Actor: "test", Event: arrive("b", "")}, {Actor: "test", Event: engine.Tick{}}} {
		if _, err := n.Submit(ctx, "eu", c); !node.IsUnavailable(err) {
			t.Fatalf("command after the failed reload: %v, want unavailable", err)
		}
	}
	if err := n.Read(ctx, "eu", func(*engine.Engine) { t.Error("a read ran on a stopped region") }); !node.IsUnavailable(err) {
		t.Fatalf("read after the failed reload: %v, want unavailable", err)
	}
	if fs.isCommitted("b") {
		t.Fatal("a command was committed after the failed reload")
	}
	// A restart (here: a fresh node) loads the region from the store.
	fresh := quietNode(t, inner)
	defer fresh.Close()
	if _, err := fresh.Submit(ctx, "eu", node.Command{Actor: "test", Event: arrive("c", "")}); err != nil {
		t.Fatal(err)
	}
}

// Idempotency records of a batch not yet committed are seen by the next
// batch: the same key is answered with the first answer, not run twice.
func TestIdempotencyAcrossPipelinedBatches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, fs, n := faultyRegion(t, 3, 100)
	gate := fs.setHold(fs.commitCount() + 1)
	cmd := func(id string) node.Command {
		return node.Command{Actor: "test", Event: arrive(id, ""), IdempotencyKey: "k", RequestHash: "h",
			Respond: func(r node.Result) (int, []byte) { return 201, []byte(r.Items[0].ID) }}
	}
	first := make(chan error, 1)
	go func() {
		_, err := n.Submit(ctx, "eu", cmd("one"))
		first <- err
	}()
	<-fs.holding
	second := make(chan node.Result, 1)
	go func() {
		res, err := n.Submit(ctx, "eu", cmd("two"))
		if err != nil {
			t.Error(err)
		}
		second <- res
	}()
	time.Sleep(50 * time.Millisecond) // let the second be decided behind the held commit
	close(gate)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	res := <-second
	if res.Replay == nil || string(res.Replay.Body) != "one" {
		t.Fatalf("second command with the key: %+v, want the replay of the first", res)
	}
	if fs.isCommitted("two") {
		t.Fatal("the second command ran")
	}
}

// faultyRegion opens a real SQLite store behind a fault-injecting one, a
// node on it, and region "eu" with agents agents of capacity capacity; all
// are closed when the test ends.
func faultyRegion(t *testing.T, agents, capacity int) (store.Store, *faultyStore, *node.Node) {
	t.Helper()
	inner := openStore(t, filepath.Join(t.TempDir(), "allot.db"))
	t.Cleanup(func() { inner.Close() })
	fs := newFaultyStore(inner)
	n := quietNode(t, fs)
	t.Cleanup(func() { n.Close() })
	if _, err := n.CreateRegion(context.Background(), "test", regionCfg("eu", agents, capacity)); err != nil {
		t.Fatal(err)
	}
	return inner, fs, n
}

package node_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/allot/allot"
	"github.com/allot/allot/engine"
	"github.com/allot/allot/node"
	"github.com/allot/allot/store"
)

// shadowLive is a region whose every item goes to queue q (agent a0); queue
// fr (agent a1) exists but nothing routes to it.
func shadowLive() allot.Config {
	r := allot.Region{ID: "eu", DefaultQueue: "q",
		Agents: []allot.Agent{
			{ID: "a0", Capacity: allot.Capacity{Total: 100}, Presence: "available"},
			{ID: "a1", Capacity: allot.Capacity{Total: 100}, Presence: "available", Weight: 2},
		},
		Queues: []allot.Queue{
			{ID: "q", Members: []string{"a0"}, Policy: allot.RoundRobin},
			{ID: "fr", Members: []string{"a1"}, Policy: allot.RoundRobin},
		},
	}
	return allot.Config{Regions: []allot.Region{r}}
}

// shadowCandidate routes French items to queue fr.
func shadowCandidate() allot.Region {
	r := shadowLive().Regions[0]
	r.Rules = []allot.Rule{{Name: "french", When: `item.country == "FR"`, Queue: "fr"}}
	return r
}

func item(id, country string) engine.ItemArrived {
	return engine.ItemArrived{Item: allot.Item{ID: id, Type: "lead", Attributes: map[string]any{"country": country}}}
}

func submit(t *testing.T, n *node.Node, ev engine.Event) node.Result {
	t.Helper()
	res, err := n.Submit(context.Background(), "eu", node.Command{Actor: "test", Event: ev})
	if err != nil {
		t.Fatalf("%T: %v", ev, err)
	}
	return res
}

func report(t *testing.T, n *node.Node) node.ShadowReport {
	t.Helper()
	rep, err := n.ShadowReport(context.Background(), "eu")
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestShadowComparesRestoresPromotesAndEnds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "allot.db")
	st := openStore(t, path)
	n := newNode(t, st, nil)
	if _, err := n.CreateRegion(ctx, "test", shadowLive()); err != nil {
		t.Fatal(err)
	}
	// Work before the shadow: copied into it, not compared.
	submit(t, n, item("old-fr", "FR"))
	submit(t, n, item("old-de", "DE"))

	// No shadow yet.
	if _, err := n.ShadowReport(ctx, "eu"); allot.ErrorCode(err) != allot.ENOTFOUND {
		t.Fatalf("report without a shadow: %v", err)
	}
	// A bad candidate is refused with its problems and changes nothing.
	bad := shadowCandidate()
	bad.Rules[0].Queue = "nowhere"
	err := n.StartShadow(ctx, "eu", "test", bad)
	var ae *allot.Error
	if allot.ErrorCode(err) != allot.EINVALID || !errors.As(err, &ae) || len(ae.Problems) == 0 {
		t.Fatalf("bad candidate: %v", err)
	}
	if _, err := n.ShadowReport(ctx, "eu"); allot.ErrorCode(err) != allot.ENOTFOUND {
		t.Fatalf("a refused candidate left a shadow: %v", err)
	}
	other := shadowCandidate()
	other.ID = "us"
	if err := n.StartShadow(ctx, "eu", "test", other); allot.ErrorCode(err) != allot.EINVALID {
		t.Fatalf("candidate of another region: %v", err)
	}

	if err := n.StartShadow(ctx, "eu", "mgr", shadowCandidate()); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		submit(t, n, item(fmt.Sprint("fr", i), "FR"))
	}
	for i := range 2 {
		submit(t, n, item(fmt.Sprint("de", i), "DE"))
	}
	// a0 accepts fr0: in the shadow a1 owns it, so the touch is skipped.
	submit(t, n, engine.ItemTouched{ID: "fr0", Agent: "a0"})
	// Closing works in both.
	submit(t, n, engine.ItemClosed{ID: "de0"})

	rep := report(t, n)
	if rep.StartedBy != "mgr" || rep.Candidate.Rules[0].Name != "french" {
		t.Fatalf("report header %+v", rep)
	}
	if rep.Arrivals != 5 || rep.Agreements != 2 || rep.Disagreements != 3 {
		t.Fatalf("arrivals %d agreements %d disagreements %d", rep.Arrivals, rep.Agreements, rep.Disagreements)
	}
	want := map[string]int64{"rule": 3, "queue": 3, "agent": 3}
	if !reflect.DeepEqual(rep.ByField, want) {
		t.Fatalf("by field %v, want %v", rep.ByField, want)
	}
	if len(rep.Examples) != 3 {
		t.Fatalf("examples %+v", rep.Examples)
	}
	for i, ex := range rep.Examples {
		if ex.Item != fmt.Sprint("fr", i) || ex.Live.Queue != "q" || ex.Live.Agent != "a0" || ex.Shadow.Queue != "fr" ||
			ex.Shadow.Agent != "a1" || ex.Shadow.Rule != "french" || ex.Live.Kind != ex.Shadow.Kind || ex.Reason == "" {
			t.Fatalf("example %d: %+v", i, ex)
		}
	}
	if rep.Skipped != 1 || rep.SkippedByKind[node.KindItemTouched] != 1 || rep.LastSkip == "" {
		t.Fatalf("skipped %d %v %q", rep.Skipped, rep.SkippedByKind, rep.LastSkip)
	}
	if rep.SeedSkipped != 0 {
		t.Fatalf("seed skipped %d", rep.SeedSkipped)
	}
	agents := map[string]node.ShadowAgent{}
	for _, a := range rep.Agents {
		agents[a.Agent] = a
	}
	// Live: a0 got all 5 and holds 6 (old-fr, old-de, fr0-2, de1); shadow:
	// a0 got the 2 German ones and holds old ones + de1, a1 the 3 French.
	if a := agents["a0"]; a.LiveAssignments != 5 || a.ShadowAssignments != 2 || a.LiveLoad != 6 || a.ShadowLoad != 3 {
		t.Fatalf("a0 %+v", a)
	}
	if a := agents["a1"]; a.LiveAssignments != 0 || a.ShadowAssignments != 3 || a.LiveLoad != 0 || a.ShadowLoad != 3 || a.ShadowWeight != 2 {
		t.Fatalf("a1 %+v", a)
	}
	if rep.Live.Assignments != 5 || rep.Shadow.Assignments != 5 || rep.Live.Load != 6 || rep.Shadow.Load != 6 {
		t.Fatalf("sides live %+v shadow %+v", rep.Live, rep.Shadow)
	}
	// Live: all to a0 (x = 5, 0): gini 0.5. Shadow: 2/1 and 3/2 → 2, 1.5.
	if rep.Live.Fairness != 0.5 || rep.Shadow.Fairness <= 0 || rep.Shadow.Fairness >= rep.Live.Fairness {
		t.Fatalf("fairness live %v shadow %v", rep.Live.Fairness, rep.Shadow.Fairness)
	}

	// Restart: the shadow and its report come back by replay.
	n.Close()
	st.Close()
	st = openStore(t, path)
	defer st.Close()
	n = newNode(t, st, nil)
	defer n.Close()
	again := report(t, n)
	if !reflect.DeepEqual(rep, again) {
		t.Fatalf("report after restart differs:\n%+v\n%+v", rep, again)
	}
	submit(t, n, item("fr3", "FR"))
	submit(t, n, item("de2", "DE"))
	rep = report(t, n)
	if rep.Arrivals != 7 || rep.Disagreements != 4 || rep.Agreements != 3 || rep.ByField["queue"] != 4 {
		t.Fatalf("after restart: %+v", rep)
	}
	if vr, err := node.Verify(ctx, st); err != nil || len(vr.Problems) > 0 {
		t.Fatalf("verify: %v %v", err, vr.Problems)
	}

	// Promote: the live engine now decides like the shadow did.
	before, _ := n.Config(ctx, "eu")
	if len(before.Regions[0].Rules) != 0 {
		t.Fatalf("live rules before promotion %+v", before.Regions[0].Rules)
	}
	v, err := n.PromoteShadow(ctx, "eu", "mgr")
	if err != nil || v == 0 {
		t.Fatalf("promote: %d %v", v, err)
	}
	if _, err := n.ShadowReport(ctx, "eu"); allot.ErrorCode(err) != allot.ENOTFOUND {
		t.Fatalf("shadow after promotion: %v", err)
	}
	after, _ := n.Config(ctx, "eu")
	if len(after.Regions[0].Rules) != 1 || after.Regions[0].Rules[0].Name != "french" {
		t.Fatalf("live rules after promotion %+v", after.Regions[0].Rules)
	}
	res := submit(t, n, item("fr4", "FR"))
	if it := res.Items[0]; it.Queue != "fr" || it.Owner != "a1" || it.Rule != "french" {
		t.Fatalf("after promotion fr4 %+v", it)
	}
	// The promotion is a config version at the returned seq.
	found := false
	st.Entries(ctx, "eu", v-1, func(e store.Entry) error {
		if e.Seq == v && e.Kind == node.KindConfig {
			found = true
		}
		return nil
	})
	if !found {
		t.Fatalf("no config entry at version %d", v)
	}
	if _, err := n.PromoteShadow(ctx, "eu", "mgr"); allot.ErrorCode(err) != allot.ENOTFOUND {
		t.Fatalf("promote without a shadow: %v", err)
	}

	// End: start one again and stop it.
	if err := n.StartShadow(ctx, "eu", "mgr", shadowLive().Regions[0]); err != nil {
		t.Fatal(err)
	}
	submit(t, n, item("fr5", "FR"))
	if rep := report(t, n); rep.Arrivals != 1 || rep.ByField["queue"] != 1 {
		t.Fatalf("second shadow %+v", rep)
	}
	if err := n.EndShadow(ctx, "eu", "mgr"); err != nil {
		t.Fatal(err)
	}
	if _, err := n.ShadowReport(ctx, "eu"); allot.ErrorCode(err) != allot.ENOTFOUND {
		t.Fatalf("shadow after end: %v", err)
	}
	if err := n.EndShadow(ctx, "eu", "mgr"); allot.ErrorCode(err) != allot.ENOTFOUND {
		t.Fatalf("end without a shadow: %v", err)
	}
	if vr, err := node.Verify(ctx, st); err != nil || len(vr.Problems) > 0 {
		t.Fatalf("verify: %v %v", err, vr.Problems)
	}
}

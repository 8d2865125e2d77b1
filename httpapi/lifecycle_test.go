package httpapi_test

import (
	"slices"
	"testing"

	"github.com/allot/allot/store"
)

// TestItemLifecycle: create → assigned; accept; close (the agent is pushed
// the next waiting item); reopen; transfer; release (never back to the
// releasing agent: it goes to another one).
func TestItemLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const R = "/v1/regions/life"
	// ana and ben take one item each; cy is offline (transfer target).
	e.must(t, 201, "POST", "/v1/regions", e.admin, map[string]any{
		"id": "life",
		"agents": []any{
			map[string]any{"id": "ana", "presence": "available", "capacity": map[string]any{"total": 1}},
			map[string]any{"id": "ben", "presence": "available", "capacity": map[string]any{"total": 1}},
			map[string]any{"id": "cy", "presence": "offline", "capacity": map[string]any{"total": 1}},
		},
		"queues": []any{map[string]any{"id": "q", "members": []string{"ana", "ben", "cy"}}},
		"rules":  []any{map[string]any{"name": "all", "queue": "q"}},
	})
	manager := e.token(t, store.RoleManager, "life", "", nil)
	agentTok := map[string]string{}
	for _, a := range []string{"ana", "ben", "cy"} {
		agentTok[a] = e.token(t, store.RoleAgent, "life", a, nil)
	}
	integ := e.token(t, store.RoleIntegration, "life", "", nil)

	i1 := e.createItem(t, "life", integ, map[string]any{"type": "lead", "external_id": "L1"})
	i2 := e.createItem(t, "life", integ, map[string]any{"type": "lead", "external_id": "L2"})
	i3 := e.createItem(t, "life", integ, map[string]any{"type": "lead", "external_id": "L3"})
	x1, x2 := i1["owner"].(string), i2["owner"].(string)
	if i1["status"] != "assigned" || i2["status"] != "assigned" || x1 == x2 || slices.Contains([]string{x1, x2}, "cy") {
		t.Fatalf("i1 %v/%v, i2 %v/%v: want both assigned, to ana and ben", i1["status"], x1, i2["status"], x2)
	}
	if i3["status"] != "queued" {
		t.Fatalf("i3 is %v, want queued (everyone is full)", i3["status"])
	}
	id1, id2, id3 := i1["id"].(string), i2["id"].(string), i3["id"].(string)

	// Accept (agent token of the owner).
	r := e.must(t, 200, "POST", R+"/items/"+id1+"/accept", agentTok[x1], nil).M(t)
	if it := r["item"].(map[string]any); it["status"] != "working" {
		t.Fatalf("after accept: %v", it)
	}
	// Another agent may not act on it.
	wantProblem(t, e.do(t, "POST", R+"/items/"+id1+"/close", agentTok[x2], nil), 403)
	wantProblem(t, e.do(t, "POST", R+"/items/"+id1+"/release", agentTok[x2], map[string]any{"agent": x1}), 403)

	// Close: x1 is pushed the waiting i3.
	r = e.must(t, 200, "POST", R+"/items/"+id1+"/close", agentTok[x1], nil).M(t)
	if it := r["item"].(map[string]any); it["status"] != "closed" || it["owner"] != nil {
		t.Fatalf("after close: %v", it)
	}
	if !hasDecision(r, id3, x1, "assigned") {
		t.Fatalf("closing did not push i3 to %s: %v", x1, r["decisions"])
	}
	// The agent lists its own items only.
	var mine struct{ Items []map[string]any }
	e.must(t, 200, "GET", R+"/items?status=assigned", agentTok[x1], nil).JSON(t, &mine)
	if len(mine.Items) != 1 || mine.Items[0]["id"] != id3 {
		t.Fatalf("%s's assigned items: %v", x1, mine.Items)
	}
	wantProblem(t, e.do(t, "GET", R+"/items?owner="+x2, agentTok[x1], nil), 403)
	wantProblem(t, e.do(t, "GET", R+"/items/"+id2, agentTok[x1], nil), 403)

	// Reopen (manager): everyone with presence is full, so it waits.
	wantProblem(t, e.do(t, "POST", R+"/items/"+id2+"/reopen", manager, nil), 409) // not closed
	wantProblem(t, e.do(t, "POST", R+"/items/"+id1+"/reopen", agentTok[x1], nil), 403)
	r = e.must(t, 200, "POST", R+"/items/"+id1+"/reopen", manager, nil).M(t)
	if it := r["item"].(map[string]any); it["status"] != "queued" || it["external_id"] != "L1" {
		t.Fatalf("after reopen: %v", it)
	}

	// Transfer to cy (offline, but with room: the manager's call).
	r = e.must(t, 200, "POST", R+"/items/"+id1+"/transfer", manager, map[string]any{"to": "cy", "reason": "knows the account"}).M(t)
	if it := r["item"].(map[string]any); it["owner"] != "cy" || it["status"] != "assigned" {
		t.Fatalf("after transfer: %v", it)
	}
	// cy has no room left: a second transfer to cy is a conflict.
	wantProblem(t, e.do(t, "POST", R+"/items/"+id2+"/transfer", manager, map[string]any{"to": "cy"}), 409)

	// Release by cy: never back to cy. Everyone else is full, so it waits;
	// when x2 closes its item, x2 gets it.
	r = e.must(t, 200, "POST", R+"/items/"+id1+"/release", agentTok["cy"], map[string]any{"reason": "on leave"}).M(t)
	if it := r["item"].(map[string]any); it["owner"] != nil || it["status"] != "queued" {
		t.Fatalf("after release: %v", it)
	}
	e.must(t, 200, "PUT", R+"/agents/cy/presence", agentTok["cy"], map[string]any{"status": "available"})
	if got := e.must(t, 200, "GET", R+"/items/"+id1, manager, nil).M(t); got["owner"] != nil {
		t.Fatalf("the released item went back to its releaser: %v", got)
	}
	// cy asks for work: the only waiting item is the one it released.
	if r := e.do(t, "POST", R+"/agents/cy/next", agentTok["cy"], nil); r.Status != 204 {
		t.Fatalf("next for cy: %d %s, want 204", r.Status, r.Body)
	}
	r = e.must(t, 200, "POST", R+"/items/"+id2+"/close", agentTok[x2], nil).M(t)
	if !hasDecision(r, id1, x2, "assigned") {
		t.Fatalf("the released item did not go to %s: %v", x2, r["decisions"])
	}

	// The history tells the whole story.
	got := e.must(t, 200, "GET", R+"/items/"+id1, manager, nil).M(t)
	var kinds []string
	for _, h := range got["history"].([]any) {
		kinds = append(kinds, h.(map[string]any)["kind"].(string))
	}
	for _, k := range []string{"item_arrived", "item_touched", "item_closed", "item_transferred", "item_released", "assigned"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("history lacks %s: %v", k, kinds)
		}
	}
	if got["explanation"] == nil {
		t.Error("no explanation")
	}
	// Stats see it all.
	st := e.must(t, 200, "GET", R+"/stats", manager, nil).M(t)
	today := st["today"].(map[string]any)
	if today["arrivals"].(float64) < 4 || today["decisions"].(float64) < 6 {
		t.Errorf("today's counts: %v", today)
	}
}

func hasDecision(r map[string]any, item, agent, kind string) bool {
	ds, _ := r["decisions"].([]any)
	for _, d := range ds {
		m := d.(map[string]any)
		if m["item"] == item && m["agent"] == agent && m["kind"] == kind {
			return true
		}
	}
	return false
}

package httpapi_test

import (
	"slices"
	"testing"
)

// TestConfigEndpoints: agents, queues, rules and scoring rules are edited
// one object at a time, each edit checked against the whole region.
func TestConfigEndpoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.setupRegion(t, "cfg", 2, "ana", "ben")
	R := "/v1/regions/" + f.Region
	manager := e.token(t, "manager", f.Region, "", nil)

	// Agents.
	got := e.must(t, 201, "POST", R+"/agents", manager, map[string]any{"id": "cy", "skills": map[string]int{"french": 4},
		"capacity": map[string]any{"total": 3}, "absences": []any{map[string]any{"start": "2030-01-01T09:00:00+02:00", "end": "2030-01-10T00:00:00+02:00"}}}).M(t)
	if got["weight"].(float64) != 1 || got["presence"] != "offline" {
		t.Errorf("created agent not defaulted: %v", got)
	}
	if ab := got["absences"].([]any)[0].(map[string]any); ab["start"] != "2030-01-01T07:00:00Z" {
		t.Errorf("absence not in UTC: %v", ab)
	}
	wantProblem(t, e.do(t, "POST", R+"/agents", manager, map[string]any{"id": "cy"}), 409)
	wantProblem(t, e.do(t, "POST", R+"/agents", manager, map[string]any{"name": "no id"}), 422, "body.id")
	e.must(t, 200, "PUT", R+"/agents/cy", manager, map[string]any{"capacity": map[string]any{"total": 4}, "weight": 3})
	if a := e.must(t, 200, "GET", R+"/agents/cy", manager, nil).M(t); a["weight"].(float64) != 3 || a["id"] != "cy" {
		t.Errorf("PUT agent: %v", a)
	}
	var agents struct{ Items []map[string]any }
	e.must(t, 200, "GET", R+"/agents", manager, nil).JSON(t, &agents)
	if len(agents.Items) != 3 {
		t.Errorf("%d agents", len(agents.Items))
	}

	// Queues: add cy; deleting ana also removes it from the queue.
	e.must(t, 200, "PUT", R+"/queues/"+f.Queue, manager, map[string]any{"members": []string{"ana", "ben", "cy"}, "policy": "least_loaded"})
	e.must(t, 204, "DELETE", R+"/agents/ana", manager, nil)
	q := e.must(t, 200, "GET", R+"/queues/"+f.Queue, manager, nil).M(t)
	if !slices.Equal(toStrings(q["members"]), []string{"ben", "cy"}) || q["policy"] != "least_loaded" {
		t.Errorf("queue after deleting ana: %v", q)
	}
	wantProblem(t, e.do(t, "GET", R+"/agents/ana", manager, nil), 404)
	e.must(t, 201, "POST", R+"/queues", manager, map[string]any{"id": "vip", "members": []string{"cy"}, "order": "fifo"})

	// Rules: insert at a position; validate; replace; delete.
	e.must(t, 201, "POST", R+"/rules?position=0", manager, map[string]any{"name": "vip", "when": "item.score >= 50", "queue": "vip"})
	var rules struct{ Items []map[string]any }
	e.must(t, 200, "GET", R+"/rules", manager, nil).JSON(t, &rules)
	if len(rules.Items) != 2 || rules.Items[0]["name"] != "vip" {
		t.Fatalf("rules: %v", rules.Items)
	}
	v := e.must(t, 200, "POST", R+"/rules/validate", manager, map[string]any{"name": "vip", "when": "item.score >=", "queue": "nope"}).M(t)
	if v["valid"] != false || len(v["problems"].([]any)) < 2 {
		t.Errorf("validate bad rule: %v", v)
	}
	locs := map[string]bool{}
	for _, p := range v["problems"].([]any) {
		locs[p.(map[string]any)["location"].(string)] = true
	}
	if !locs["body.when"] || !locs["body.queue"] {
		t.Errorf("validate problems at %v, want body.when and body.queue", locs)
	}
	v = e.must(t, 200, "POST", R+"/rules/validate", manager, map[string]any{"name": "new", "when": `item.country in ["FR", "BE"]`, "queue": "vip"}).M(t)
	if v["valid"] != true {
		t.Errorf("validate good rule: %v", v)
	}
	e.must(t, 200, "PUT", R+"/rules/vip", manager, map[string]any{"when": "item.score >= 60", "queue": "vip"})
	if r := e.must(t, 200, "GET", R+"/rules/vip", manager, nil).M(t); r["when"] != "item.score >= 60" {
		t.Errorf("PUT rule: %v", r)
	}
	// The vip queue is used by a rule: it cannot go.
	wantProblem(t, e.do(t, "DELETE", R+"/queues/vip", manager, nil), 422, "config.rules[0].queue")
	e.must(t, 204, "DELETE", R+"/rules/vip", manager, nil)
	e.must(t, 204, "DELETE", R+"/queues/vip", manager, nil)
	wantProblem(t, e.do(t, "DELETE", R+"/rules/vip", manager, nil), 404)

	// Scoring rules.
	e.must(t, 201, "POST", R+"/scoring-rules", manager, map[string]any{"name": "fr", "when": `item.country == "FR"`, "points": 30})
	wantProblem(t, e.do(t, "POST", R+"/scoring-rules", manager, map[string]any{"name": "bad", "when": "item.score > 1", "points": 1}), 422, "body.when")
	it := e.createItem(t, f.Region, manager, map[string]any{"type": "lead", "attributes": map[string]any{"country": "FR", "vip": true}})
	if it["score"].(float64) != 80 {
		t.Errorf("score %v, want 80 (vip 50 + fr 30)", it["score"])
	}

	// The whole config: validate (dry run) and replace.
	cfg := e.must(t, 200, "GET", R, manager, nil).M(t)
	cfg["default_queue"] = "nope"
	v = e.must(t, 200, "POST", R+"/config/validate", manager, cfg).M(t)
	if v["valid"] != false || v["problems"].([]any)[0].(map[string]any)["location"] != "body.default_queue" {
		t.Errorf("validate config: %v", v)
	}
	cfg["default_queue"] = f.Queue
	cfg["name"] = "Configured"
	e.must(t, 200, "PUT", R+"/config", manager, cfg)
	if got := e.must(t, 200, "GET", R, manager, nil).M(t); got["name"] != "Configured" || got["default_queue"] != f.Queue {
		t.Errorf("PUT config: %v", got)
	}
	cfg["id"] = "other"
	wantProblem(t, e.do(t, "PUT", R+"/config", manager, cfg), 422, "body.id")
	// Managers may not create regions.
	wantProblem(t, e.do(t, "POST", "/v1/regions", manager, map[string]any{"id": "mine"}), 403)
	wantProblem(t, e.do(t, "POST", "/v1/regions", e.admin, map[string]any{"id": f.Region}), 409)
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

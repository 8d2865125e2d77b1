package httpapi_test

import (
	"encoding/json"
	"testing"
)

// TestShadowEndpoints: a manager runs a candidate in shadow, reads the
// report, promotes it (a new config version) and stops another; another
// region's manager gets 404, an agent 403.
func TestShadowEndpoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.setupRegion(t, "S", 5, "ana", "ben")
	e.setupRegion(t, "T", 5, "tom")
	R := "/v1/regions/" + f.Region
	manager := e.token(t, "manager", f.Region, "", nil)
	otherManager := e.token(t, "manager", "T", "", nil)
	agent := e.token(t, "agent", f.Region, "ana", nil)

	var live map[string]any
	e.must(t, 200, "GET", R, manager, nil).JSON(t, &live)
	candidate := func(queue string) map[string]any {
		var c map[string]any
		b, _ := json.Marshal(live)
		json.Unmarshal(b, &c)
		c["queues"] = append(c["queues"].([]any), map[string]any{"id": "S-fr", "members": []string{"ben"}})
		c["rules"] = append([]any{map[string]any{"name": "french", "when": `item.country == "FR"`, "queue": queue}}, c["rules"].([]any)...)
		return c
	}

	e.must(t, 404, "GET", R+"/shadow", manager, nil)
	wantProblem(t, e.do(t, "PUT", R+"/shadow", manager, candidate("nowhere")), 422, "body.rules[0].queue")
	e.must(t, 404, "GET", R+"/shadow", manager, nil)

	var rep struct {
		Arrivals, Agreements, Disagreements int64
		ByField                             map[string]int64 `json:"by_field"`
		StartedBy                           string           `json:"started_by"`
		Examples                            []struct {
			Item   string
			Live   struct{ Queue, Agent string }
			Shadow struct{ Queue, Agent string }
			Reason string
		}
		Agents []struct {
			Agent             string
			LiveAssignments   int64 `json:"live_assignments"`
			ShadowAssignments int64 `json:"shadow_assignments"`
		}
		Live, Shadow struct {
			Assignments int64
			Fairness    float64 `json:"fairness_gini"`
		}
	}
	e.must(t, 200, "PUT", R+"/shadow", manager, candidate("S-fr")).JSON(t, &rep)
	if rep.Arrivals != 0 || rep.StartedBy == "" {
		t.Fatalf("fresh report %+v", rep)
	}
	fr := e.createItem(t, f.Region, e.admin, map[string]any{"type": "lead", "attributes": map[string]any{"country": "FR"}})
	e.createItem(t, f.Region, e.admin, map[string]any{"type": "lead", "attributes": map[string]any{"country": "DE"}})
	e.must(t, 200, "GET", R+"/shadow", manager, nil).JSON(t, &rep)
	// The French item goes to S-fr (ben); round robin then gives the German
	// one to ana in the shadow, to ben live.
	if rep.Arrivals != 2 || rep.Disagreements != 2 || rep.ByField["queue"] != 1 || rep.ByField["rule"] != 1 || rep.ByField["agent"] != 2 || len(rep.Examples) != 2 {
		t.Fatalf("report %+v", rep)
	}
	if ex := rep.Examples[0]; ex.Item != fr["id"] || ex.Live.Queue != f.Queue || ex.Shadow.Queue != "S-fr" || ex.Shadow.Agent != "ben" || ex.Reason == "" {
		t.Fatalf("example %+v", ex)
	}
	if rep.Live.Assignments != 2 || rep.Shadow.Assignments != 2 || len(rep.Agents) != 2 {
		t.Fatalf("sides %+v", rep)
	}

	// Another region's manager: the shadow does not exist for it; an agent
	// may not touch it.
	for _, c := range []struct{ method, path string }{
		{"GET", R + "/shadow"}, {"PUT", R + "/shadow"}, {"POST", R + "/shadow/promote"}, {"DELETE", R + "/shadow"},
	} {
		var body any
		if c.method == "PUT" {
			body = candidate("S-fr")
		}
		e.must(t, 404, c.method, c.path, otherManager, body)
		e.must(t, 403, c.method, c.path, agent, body)
	}

	// Promote: a new config version; the shadow is gone.
	var prom struct {
		Version uint64
		Config  struct{ Rules []struct{ Name string } }
	}
	e.must(t, 200, "POST", R+"/shadow/promote", manager, nil).JSON(t, &prom)
	if prom.Version == 0 || len(prom.Config.Rules) != 2 || prom.Config.Rules[0].Name != "french" {
		t.Fatalf("promoted %+v", prom)
	}
	var versions struct{ Items []struct{ Seq uint64 } }
	e.must(t, 200, "GET", R+"/config/versions", manager, nil).JSON(t, &versions)
	if last := versions.Items[len(versions.Items)-1]; last.Seq != prom.Version {
		t.Fatalf("versions %+v, promoted as %d", versions.Items, prom.Version)
	}
	e.must(t, 404, "GET", R+"/shadow", manager, nil)
	e.must(t, 404, "POST", R+"/shadow/promote", manager, nil)
	it := e.createItem(t, f.Region, e.admin, map[string]any{"type": "lead", "attributes": map[string]any{"country": "FR"}})
	if it["queue"] != "S-fr" || it["owner"] != "ben" {
		t.Fatalf("after promotion %v", it)
	}

	// Stop: a shadow of the old config, deleted.
	e.must(t, 200, "PUT", R+"/shadow", manager, live)
	e.must(t, 204, "DELETE", R+"/shadow", manager, nil)
	e.must(t, 404, "GET", R+"/shadow", manager, nil)
	e.must(t, 404, "DELETE", R+"/shadow", manager, nil)
}

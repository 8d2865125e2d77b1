package httpapi_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/allot/allot/store"
)

// TestAnswersSurviveArenaReuse: the server cuts each batch's explanations
// from memory that later batches reuse once the answers are written
// (node.Result.Release). Under concurrent single and bulk creates (batches
// of many commands, answers written while the next batch decides), every
// answer's explanation is the one the store holds, byte for byte in JSON,
// and released memory was reused. Run with -race (as CI does), a handler
// that read an explanation after its release would also be a reported race.
func TestAnswersSurviveArenaReuse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var agents []any
	var members []string
	for i := range 6 {
		id := fmt.Sprintf("a%d", i)
		agents = append(agents, map[string]any{"id": id, "presence": "available", "capacity": map[string]any{"total": 1000}})
		members = append(members, id)
	}
	e.must(t, 201, "POST", "/v1/regions", e.admin, map[string]any{
		"id": "ar", "agents": agents,
		"queues": []any{map[string]any{"id": "q", "members": members, "policy": "least_loaded"}},
		"rules":  []any{map[string]any{"name": "all", "queue": "q"}},
		"scoring_rules": []any{map[string]any{"name": "big", "when": "item.budget > 500", "points": 40},
			map[string]any{"name": "fr", "when": `item.country == "FR"`, "points": 25}},
	})
	integ := e.token(t, store.RoleIntegration, "ar", "", nil)
	body := func(w, i int) map[string]any {
		c := []string{"FR", "DE"}[i%2]
		return map[string]any{"type": "lead", "external_id": fmt.Sprintf("w%d-%d", w, i),
			"attributes": map[string]any{"country": c, "budget": (i * 137) % 1000}}
	}
	var mu sync.Mutex
	answered := map[string]string{} // item id → its decision's explanation as answered
	record := func(it map[string]any) {
		d, _ := it["decision"].(map[string]any)
		if d == nil || d["explanation"] == nil {
			t.Errorf("item %v answered without a decision's explanation", it["id"])
			return
		}
		js, _ := json.Marshal(d["explanation"])
		mu.Lock()
		answered[it["id"].(string)] = string(js)
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				if w%2 == 0 { // single creates
					record(e.createItem(t, "ar", integ, body(w, i)))
					continue
				}
				var items []any // bulk creates of 4
				for k := range 4 {
					items = append(items, body(w, 4*i+k))
				}
				var out struct {
					Results []struct{ Item map[string]any }
				}
				e.must(t, 200, "POST", "/v1/regions/ar/items:bulk", integ, map[string]any{"items": items}).JSON(t, &out)
				for _, r := range out.Results {
					record(r.Item)
				}
			}
		}()
	}
	wg.Wait()
	if len(answered) != 4*25*1+4*25*4 {
		t.Fatalf("%d items answered, want %d", len(answered), 4*25+4*100)
	}
	for id, want := range answered {
		var ds struct{ Items []map[string]any }
		e.must(t, 200, "GET", "/v1/regions/ar/decisions?item="+id, integ, nil).JSON(t, &ds)
		if len(ds.Items) != 1 {
			t.Fatalf("item %s: %d stored decisions, want 1", id, len(ds.Items))
		}
		got, _ := json.Marshal(ds.Items[0]["explanation"])
		if string(got) != want {
			t.Fatalf("item %s: the answer's explanation differs from the stored one:\nanswer %s\nstored %s", id, want, got)
		}
	}
	if e.n.ReusedArenas() == 0 {
		t.Error("no batch reused the explanation memory of an answered one: the handlers do not release their results")
	}
}

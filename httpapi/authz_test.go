package httpapi_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/allot/allot/store"
)

// matrixOp is one operation of the OpenAPI document, filled with region
// B's objects and a valid body.
type matrixOp struct {
	id, method, path string
	body             any
	regional         bool
}

// TestAuthorizationMatrix: every operation of the OpenAPI document, aimed
// at region B's objects, called with region A's manager, agent and
// integration tokens, an expired, a revoked, a malformed and no token:
// never a success. Region tokens get 404 for anything in region B (its
// existence is not revealed) and 403 for what their role may not do
// outside regions; the others get 401. The same requests with an admin
// token succeed, so they are well-formed and the test can fail.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.setupRegion(t, "A", 5, "a1", "a2")
	b := e.setupRegion(t, "B", 5, "b1", "b2")
	itemA := e.createItem(t, "A", e.admin, map[string]any{"type": "lead"})["id"].(string)
	itemB := e.createItem(t, "B", e.admin, map[string]any{"type": "lead"})["id"].(string)
	_ = itemA
	tokenB := e.token(t, store.RoleManager, "B", "", nil)
	tokenBID := strings.SplitN(strings.TrimPrefix(tokenB, "allot_"), "_", 2)[0]

	past := time.Now().Add(-time.Minute)
	revoked := e.token(t, store.RoleAdmin, "", "", nil)
	e.must(t, 204, "DELETE", "/v1/tokens/"+strings.SplitN(strings.TrimPrefix(revoked, "allot_"), "_", 2)[0], e.admin, nil)
	callers := []struct {
		name, token string
		unauth      bool
	}{
		{"manager of A", e.token(t, store.RoleManager, a.Region, "", nil), false},
		{"agent of A", e.token(t, store.RoleAgent, a.Region, a.Agents[0], nil), false},
		{"integration of A", e.token(t, store.RoleIntegration, a.Region, "", nil), false},
		{"expired admin", e.token(t, store.RoleAdmin, "", "", &past), true},
		{"revoked admin", revoked, true},
		{"wrong secret", revoked[:len(revoked)-4] + "0000", true},
		{"malformed", "allot_nope", true},
		{"none", "", true},
	}

	var cfgB json.RawMessage
	e.must(t, 200, "GET", "/v1/regions/B", e.admin, nil).JSON(t, &cfgB)
	e.must(t, 200, "PUT", "/v1/regions/B/shadow", e.admin, cfgB) // so that GET .../shadow answers the admin
	bodies := map[string]any{
		"create-region":          map[string]any{"id": "C"},
		"put-region-config":      cfgB,
		"validate-region-config": cfgB,
		"put-region-shadow":      cfgB,
		"create-agent":           map[string]any{"id": "b9", "capacity": map[string]any{"total": 1}},
		"put-agent":              map[string]any{"capacity": map[string]any{"total": 3}, "presence": "available"},
		"set-agent-presence":     map[string]any{"status": "available"},
		"create-queue":           map[string]any{"id": "B-q2", "members": []string{b.Agents[0]}},
		"put-queue":              map[string]any{"members": b.Agents},
		"create-rule":            map[string]any{"name": "B-r2", "when": `item.country == "FR"`, "queue": b.Queue},
		"validate-rule":          map[string]any{"name": "B-r2", "when": `item.country == "FR"`, "queue": b.Queue},
		"put-rule":               map[string]any{"when": "true", "queue": b.Queue},
		"create-scoring-rule":    map[string]any{"name": "B-s2", "when": "true", "points": 1},
		"validate-scoring-rule":  map[string]any{"name": "B-s2", "when": "true", "points": 1},
		"put-scoring-rule":       map[string]any{"when": "true", "points": 2},
		"create-item":            map[string]any{"type": "lead", "attributes": map[string]any{"country": "FR"}},
		"bulk-create-items":      map[string]any{"items": []any{map[string]any{"type": "lead"}}},
		"update-item":            map[string]any{"attributes": map[string]any{"country": "DE"}, "priority": 3},
		"accept-item":            map[string]any{},
		"touch-item":             map[string]any{},
		"release-item":           map[string]any{"reason": "test"},
		"transfer-item":          map[string]any{"to": b.Agents[1]},
		"explain":                map[string]any{"type": "lead"},
		"create-token":           map[string]any{"role": "manager", "region": "B"},
	}
	fill := strings.NewReplacer("{region}", b.Region, "{agent}", b.Agents[0], "{queue}", b.Queue, "{item}", itemB, "{id}", tokenBID, "{seq}", "1")

	spec := readSpec(t, e)
	var ops []matrixOp
	for path, methods := range spec.Paths {
		for method, op := range methods {
			p := fill.Replace(path)
			if strings.Contains(path, "/scoring-rules/") {
				p = strings.ReplaceAll(p, "{rule}", b.Scoring)
			} else {
				p = strings.ReplaceAll(p, "{rule}", b.Rule)
			}
			if strings.Contains(p, "{") {
				t.Fatalf("%s %s: a path parameter the test does not know", method, path)
			}
			mo := matrixOp{id: op.OperationID, method: strings.ToUpper(method), path: p, regional: strings.Contains(path, "{region}")}
			if op.RequestBody != nil {
				body, ok := bodies[op.OperationID]
				if !ok {
					t.Fatalf("%s: no sample body; add one to the matrix", op.OperationID)
				}
				mo.body = body
			}
			ops = append(ops, mo)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].id < ops[j].id })
	if len(ops) < 45 {
		t.Fatalf("only %d operations in the document", len(ops))
	}

	before := e.snapshot(t, b.Region)
	for _, c := range callers {
		for _, op := range ops {
			r := e.do(t, op.method, op.path, c.token, op.body)
			where := c.name + ": " + op.method + " " + op.path
			if msg := problemErr(r); r.Status >= 300 && msg != "" {
				t.Errorf("%s: %d is not a valid problem (%s): %s", where, r.Status, msg, r.Body)
			}
			switch {
			case c.unauth:
				if r.Status != 401 {
					t.Errorf("%s: status %d, want 401: %s", where, r.Status, r.Body)
				}
			case op.regional:
				if r.Status != 404 || !strings.Contains(string(r.Body), `no region \"B\"`) {
					t.Errorf("%s: status %d, want 404 (region B is not theirs): %s", where, r.Status, r.Body)
				}
			case op.id == "list-regions":
				if r.Status != 200 || strings.Contains(string(r.Body), `"B"`) {
					t.Errorf("%s: status %d, want 200 without region B: %s", where, r.Status, r.Body)
				}
			default:
				if r.Status != 403 {
					t.Errorf("%s: status %d, want 403: %s", where, r.Status, r.Body)
				}
			}
		}
	}
	if after := e.snapshot(t, b.Region); after != before {
		t.Fatalf("region B changed under region A's tokens")
	}
	// Region A's tokens do reach region A (the matrix's 404s are about B).
	e.must(t, 200, "GET", "/v1/regions/A/items", callers[0].token, nil)
	e.must(t, 200, "GET", "/v1/regions/A/items", callers[2].token, nil)

	// Admin: every read and the dry runs and intake succeed on B.
	n := 0
	for _, op := range ops {
		if op.method != "GET" && !strings.Contains(op.id, "validate") && op.id != "explain" && op.id != "create-item" && op.id != "bulk-create-items" {
			continue
		}
		r := e.do(t, op.method, op.path, e.admin, op.body)
		if r.Status < 200 || r.Status > 299 {
			t.Errorf("admin: %s %s: status %d: %s", op.method, op.path, r.Status, r.Body)
		}
		n++
	}
	if n < 20 {
		t.Errorf("admin sample has only %d operations", n)
	}
}

// TestAgentToken: inside its region an agent token reaches only its
// presence, its items and next; the rest is 403.
func TestAgentToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.setupRegion(t, "R", 1, "ana", "ben")
	R := "/v1/regions/R"
	ana := e.token(t, store.RoleAgent, "R", "ana", nil)
	it := e.createItem(t, "R", e.admin, map[string]any{"type": "lead"})
	other := e.createItem(t, "R", e.admin, map[string]any{"type": "lead"})
	mine, theirs := it["id"].(string), other["id"].(string)
	if it["owner"] != "ana" {
		mine, theirs = theirs, mine
	}
	for _, c := range []struct{ method, path string }{
		{"GET", R}, {"GET", R + "/agents"}, {"GET", R + "/agents/ana"}, {"PUT", R + "/agents/ben/presence"},
		{"POST", R + "/agents/ben/next"}, {"POST", R + "/items"}, {"GET", R + "/decisions"}, {"GET", R + "/audit"},
		{"GET", R + "/stats"}, {"GET", R + "/items/" + theirs}, {"POST", R + "/items/" + theirs + "/accept"},
		{"POST", R + "/items/" + theirs + "/close"}, {"POST", R + "/items/" + mine + "/transfer"},
		{"POST", R + "/items/" + mine + "/reopen"}, {"PATCH", R + "/items/" + mine}, {"GET", "/v1/tokens"},
		{"GET", R + "/rules"}, {"POST", R + "/explain"},
	} {
		r := e.do(t, c.method, c.path, ana, nil)
		if r.Status != 403 {
			t.Errorf("agent: %s %s: %d, want 403: %s", c.method, c.path, r.Status, r.Body)
		}
	}
	e.must(t, 200, "PUT", R+"/agents/ana/presence", ana, map[string]any{"status": "break"})
	e.must(t, 200, "GET", R+"/items/"+mine, ana, nil)
	e.must(t, 200, "POST", R+"/items/"+mine+"/touch", ana, nil)
	e.must(t, 204, "POST", R+"/agents/ana/next", ana, nil)
	var regions struct{ Items []map[string]any }
	e.must(t, 200, "GET", "/v1/regions", ana, nil).JSON(t, &regions)
	if len(regions.Items) != 1 || regions.Items[0]["id"] != f.Region {
		t.Errorf("agent sees regions %v", regions.Items)
	}
}

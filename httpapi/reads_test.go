package httpapi_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/allot/allot/httpapi"
	"github.com/allot/allot/store"
)

// TestReads: item list filters and cursor pages, decisions, audit pages,
// explain, stats.
func TestReads(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.setupRegion(t, "rd", 3, "ana", "ben")
	R := "/v1/regions/" + f.Region
	integ := e.token(t, store.RoleIntegration, "", "", nil) // every region
	for i := range 8 {
		e.createItem(t, f.Region, integ, map[string]any{"type": []string{"lead", "case"}[i%2], "external_id": fmt.Sprint("x", i)})
	}
	// Pages of 3 cover the 8 items exactly once, oldest first.
	var ids []string
	cursor := ""
	for pages := 0; ; pages++ {
		var page struct {
			Items      []map[string]any
			NextCursor string `json:"next_cursor"`
		}
		e.must(t, 200, "GET", R+"/items?limit=3&cursor="+cursor, integ, nil).JSON(t, &page)
		for _, it := range page.Items {
			ids = append(ids, it["external_id"].(string))
		}
		if page.NextCursor == "" || pages > 5 {
			break
		}
		cursor = page.NextCursor
	}
	if strings.Join(ids, ",") != "x0,x1,x2,x3,x4,x5,x6,x7" {
		t.Fatalf("pages gave %v", ids)
	}
	var page struct{ Items []map[string]any }
	e.must(t, 200, "GET", R+"/items?status=queued&type=case", integ, nil).JSON(t, &page)
	for _, it := range page.Items {
		if it["status"] != "queued" || it["type"] != "case" {
			t.Errorf("filtered list holds %v", it)
		}
	}
	e.must(t, 200, "GET", R+"/items?owner=ana", integ, nil).JSON(t, &page)
	if len(page.Items) != 3 {
		t.Errorf("ana owns %d items, want 3", len(page.Items))
	}

	// Decisions: 8 arrivals, in seq order, paged.
	var ds struct {
		Items      []map[string]any
		NextCursor string `json:"next_cursor"`
	}
	e.must(t, 200, "GET", R+"/decisions?limit=5", integ, nil).JSON(t, &ds)
	if len(ds.Items) != 5 || ds.NextCursor == "" {
		t.Fatalf("decisions page: %d, cursor %q", len(ds.Items), ds.NextCursor)
	}
	first := ds.Items[0]["seq"].(float64)
	e.must(t, 200, "GET", R+"/decisions?limit=5&cursor="+ds.NextCursor, integ, nil).JSON(t, &ds)
	if len(ds.Items) != 3 || ds.Items[0]["seq"].(float64) != first+5 {
		t.Fatalf("second decisions page: %v", ds.Items)
	}
	e.must(t, 200, "GET", R+"/decisions?agent=ben", integ, nil).JSON(t, &ds)
	for _, d := range ds.Items {
		if d["agent"] != "ben" {
			t.Errorf("agent filter gave %v", d)
		}
	}

	// Audit: entry 1 is the config; the chain links.
	var audit struct {
		Items      []map[string]any
		NextCursor string `json:"next_cursor"`
	}
	e.must(t, 200, "GET", R+"/audit?limit=4", e.admin, nil).JSON(t, &audit)
	if len(audit.Items) != 4 || audit.Items[0]["kind"] != "config" || audit.NextCursor != "4" {
		t.Fatalf("audit page: %v, cursor %q", audit.Items, audit.NextCursor)
	}
	for i := 1; i < len(audit.Items); i++ {
		if audit.Items[i]["prev_hash"] != audit.Items[i-1]["hash"] {
			t.Errorf("audit entry %d does not link to %d", i, i-1)
		}
	}
	if p, _ := audit.Items[1]["payload"].(map[string]any); p == nil || p["item"] == nil {
		t.Errorf("audit payload is not the event: %v", audit.Items[1]["payload"])
	}
	wantProblem(t, e.do(t, "GET", R+"/audit", integ, nil), 403)

	// Explain changes nothing and tells why.
	before := e.snapshot(t, f.Region)
	d := e.must(t, 200, "POST", R+"/explain", e.admin, map[string]any{"type": "lead", "attributes": map[string]any{"vip": true}}).M(t)
	exp := d["explanation"].(map[string]any)
	if d["kind"] != "queued" || exp["score"].(float64) != 50 || len(exp["candidates"].([]any)) != 2 {
		t.Errorf("explain: %v", d)
	}
	if e.snapshot(t, f.Region) != before {
		t.Error("explain changed the region")
	}

	// Stats: ana and ben are full (3 each), 2 wait.
	st := e.must(t, 200, "GET", R+"/stats", e.admin, nil).M(t)
	q := st["queues"].([]any)[0].(map[string]any)
	if q["depth"].(float64) != 2 || q["oldest_item"] == nil || st["open_items"].(float64) != 8 {
		t.Errorf("stats: %v", st)
	}
	for _, a := range st["agents"].([]any) {
		if a := a.(map[string]any); a["load"].(float64) != 3 || a["open"].(float64) != 3 {
			t.Errorf("agent stats: %v", a)
		}
	}
	today := st["today"].(map[string]any)
	if today["arrivals"].(float64) != 8 || today["by_kind"].(map[string]any)["assigned"].(float64) != 6 {
		t.Errorf("today: %v", today)
	}
	// Counting again continues where it stopped.
	e.createItem(t, f.Region, integ, map[string]any{"type": "lead"})
	today = e.must(t, 200, "GET", R+"/stats", e.admin, nil).M(t)["today"].(map[string]any)
	if today["arrivals"].(float64) != 9 {
		t.Errorf("today after one more: %v", today)
	}
}

// TestTokens: create (shown once), use, list (no secrets), revoke.
func TestTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setupRegion(t, "tk", 1, "ana")
	nt := e.must(t, 201, "POST", "/v1/tokens", e.admin, map[string]any{"role": "agent", "region": "tk", "agent": "ana", "name": "Ana's phone"}).M(t)
	plain := nt["token"].(string)
	if !strings.HasPrefix(plain, "allot_"+nt["id"].(string)+"_") || nt["role"] != "agent" {
		t.Fatalf("created token: %v", nt)
	}
	e.must(t, 200, "PUT", "/v1/regions/tk/agents/ana/presence", plain, map[string]any{"status": "available"})
	list := e.must(t, 200, "GET", "/v1/tokens", e.admin, nil)
	if bytes.Contains(list.Body, []byte(plain[len(plain)-20:])) || bytes.Contains(list.Body, []byte("secret")) {
		t.Fatalf("the token list shows secrets: %s", list.Body)
	}
	wantProblem(t, e.do(t, "POST", "/v1/tokens", e.admin, map[string]any{"role": "agent", "region": "tk", "agent": "zoe"}), 422, "body.agent")
	wantProblem(t, e.do(t, "POST", "/v1/tokens", e.admin, map[string]any{"role": "admin", "expires_at": "2000-01-01T00:00:00Z"}), 422, "body.expires_at")
	wantProblem(t, e.do(t, "POST", "/v1/tokens", plain, map[string]any{"role": "admin"}), 403)
	e.must(t, 204, "DELETE", "/v1/tokens/"+nt["id"].(string), e.admin, nil)
	r := e.do(t, "PUT", "/v1/regions/tk/agents/ana/presence", plain, map[string]any{"status": "break"})
	wantProblem(t, r, 401)
	if r.Header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	wantProblem(t, e.do(t, "DELETE", "/v1/tokens/nope", e.admin, nil), 404)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestOperations: /healthz, /readyz and /metrics need no token; requests
// are logged with their token id.
func TestOperations(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	e := newEnv(t, func(o *httpapi.Options) { o.Logger = slog.New(slog.NewTextHandler(io.MultiWriter(&logs), nil)) })
	e.setupRegion(t, "ops", 1, "ana")
	e.createItem(t, "ops", e.admin, map[string]any{"type": "lead"})
	e.createItem(t, "ops", e.admin, map[string]any{"type": "lead"})
	if r := e.must(t, 200, "GET", "/healthz", "", nil).M(t); r["status"] != "ok" || r["version"] != "test" {
		t.Errorf("healthz: %v", r)
	}
	e.must(t, 200, "GET", "/readyz", "", nil)
	m := string(e.must(t, 200, "GET", "/metrics", "", nil).Body)
	for _, want := range []string{
		`allot_items_created_total{region="ops"} 2`,
		`allot_decisions_total{kind="assigned",region="ops"} 1`,
		`allot_decisions_total{kind="queued",region="ops"} 1`,
		`allot_items_queued{queue="ops-q",region="ops"} 1`,
		`allot_items_open{region="ops"} 2`,
		`allot_decision_seconds_bucket`, `allot_commit_seconds_bucket`,
		`allot_sla_breaches_total 0`, `allot_http_requests_total`, `go_goroutines`, `process_`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	id := strings.SplitN(strings.TrimPrefix(e.admin, "allot_"), "_", 2)[0]
	if l := logs.String(); !strings.Contains(l, "path=/v1/regions/ops/items") || !strings.Contains(l, "token="+id) || !strings.Contains(l, "status=201") {
		t.Errorf("access log lacks the request: %s", l)
	}
}

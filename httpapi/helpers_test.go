package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/allot/allot/httpapi"
	"github.com/allot/allot/node"
	"github.com/allot/allot/store"
	"github.com/allot/allot/store/sqlite"
)

// env is a real server on loopback over a real SQLite store.
type env struct {
	t     *testing.T
	srv   *httptest.Server
	n     *node.Node
	st    store.Store
	admin string // an admin token
}

// newEnv starts a server; opts may adjust the API options.
func newEnv(t testing.TB, opts ...func(*httpapi.Options)) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "allot.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	reg := prometheus.NewRegistry()
	n, err := node.Open(ctx, st, node.Options{Metrics: httpapi.NewMetrics(reg), Logger: quietLog()})
	if err != nil {
		st.Close()
		t.Fatalf("open node: %v", err)
	}
	o := httpapi.Options{Registry: reg, Logger: quietLog(), Version: "test"}
	for _, f := range opts {
		f(&o)
	}
	srv := httptest.NewServer(httpapi.New(n, o))
	e := &env{srv: srv, n: n, st: st}
	if tt, ok := t.(*testing.T); ok {
		e.t = tt
	}
	t.Cleanup(func() {
		srv.Close()
		n.Close()
		st.Close()
	})
	e.admin = e.token(t, store.RoleAdmin, "", "", nil)
	return e
}

func quietLog() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
}

// token stores a new token directly (as the CLI does) and returns it.
func (e *env) token(t testing.TB, role store.Role, region, agent string, expires *time.Time) string {
	t.Helper()
	plain, tok := httpapi.NewToken(role, region, agent, string(role)+" "+region+" "+agent, expires)
	if err := e.n.CreateToken(context.Background(), "test", tok); err != nil {
		t.Fatalf("create token: %v", err)
	}
	return plain
}

// resp is an answer.
type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r resp) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %d %s: %v", r.Status, r.Body, err)
	}
}

// M decodes the body as an object.
func (r resp) M(t testing.TB) map[string]any {
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// do sends a request. body is a []byte or string sent as is, or a value
// sent as JSON; nil sends no body.
func (e *env) do(t testing.TB, method, path, token string, body any, hdr ...string) resp {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp{Status: res.StatusCode, Header: res.Header, Body: b}
}

// must sends a request and fails the test unless the status is want.
func (e *env) must(t testing.TB, want int, method, path, token string, body any, hdr ...string) resp {
	t.Helper()
	r := e.do(t, method, path, token, body, hdr...)
	if r.Status != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.Status, want, r.Body)
	}
	return r
}

// problemErr describes why r is not a valid problem+json answer ("" when
// it is): Content-Type application/problem+json, a JSON object with title
// and status, the status equal to the HTTP status.
func problemErr(r resp) string {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/problem+json" {
		return "Content-Type " + r.Header.Get("Content-Type")
	}
	var p struct {
		Status *int    `json:"status"`
		Title  *string `json:"title"`
	}
	if err := json.Unmarshal(r.Body, &p); err != nil {
		return "not JSON: " + err.Error()
	}
	if p.Status == nil || p.Title == nil || *p.Title == "" {
		return "no status or title"
	}
	if *p.Status != r.Status {
		return "status in body differs from the HTTP status"
	}
	return ""
}

// locations lists the locations of a problem's errors.
func locations(t testing.TB, r resp) []string {
	t.Helper()
	var p struct {
		Errors []struct {
			Location string `json:"location"`
			Message  string `json:"message"`
		} `json:"errors"`
	}
	r.JSON(t, &p)
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Location)
	}
	return out
}

// wantProblem checks r is a problem with status and, when locs are given,
// an error at each location.
func wantProblem(t testing.TB, r resp, status int, locs ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	if msg := problemErr(r); msg != "" {
		t.Fatalf("not a valid problem+json answer (%s): %s", msg, r.Body)
	}
	got := locations(t, r)
	for _, l := range locs {
		found := false
		for _, g := range got {
			if g == l {
				found = true
			}
		}
		if !found {
			t.Errorf("no error at %q; got %q in %s", l, got, r.Body)
		}
	}
}

// fixture is a region set up for tests: agents, a queue, a rule, a scoring
// rule.
type fixture struct {
	Region  string
	Agents  []string
	Queue   string
	Rule    string
	Scoring string
}

// setupRegion creates region id with agents (available, capacity each),
// one queue holding them, a catch-all rule and a scoring rule.
func (e *env) setupRegion(t testing.TB, id string, capacity int, agents ...string) fixture {
	t.Helper()
	f := fixture{Region: id, Agents: agents, Queue: id + "-q", Rule: id + "-all", Scoring: id + "-vip"}
	var as []map[string]any
	for _, a := range agents {
		as = append(as, map[string]any{"id": a, "presence": "available", "capacity": map[string]any{"total": capacity}})
	}
	e.must(t, 201, "POST", "/v1/regions", e.admin, map[string]any{
		"id": id, "agents": as,
		"queues":        []any{map[string]any{"id": f.Queue, "members": agents}},
		"rules":         []any{map[string]any{"name": f.Rule, "when": "", "queue": f.Queue}},
		"scoring_rules": []any{map[string]any{"name": f.Scoring, "when": `item.vip == true`, "points": 50}},
	})
	return f
}

// createItem creates an item and returns its JSON.
func (e *env) createItem(t testing.TB, region, token string, body any) map[string]any {
	t.Helper()
	return e.must(t, 201, "POST", "/v1/regions/"+region+"/items", token, body).M(t)
}

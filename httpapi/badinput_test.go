package httpapi_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/allot/allot/httpapi"
)

// snapshot is everything a request could change in a region, as the API
// shows it.
func (e *env) snapshot(t *testing.T, region string) string {
	t.Helper()
	var b bytes.Buffer
	for _, p := range []string{"", "/items?limit=1000", "/audit?limit=1000", "/decisions?limit=1000"} {
		b.Write(e.must(t, 200, "GET", "/v1/regions/"+region+p, e.admin, nil).Body)
	}
	b.Write(e.must(t, 200, "GET", "/v1/tokens", e.admin, nil).Body)
	return b.String()
}

// TestBadInput: each bad request gets the right problem, naming the field,
// and no failed request changes anything.
func TestBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *httpapi.Options) { o.MaxBodyBytes = 64 << 10 })
	f := e.setupRegion(t, "bad", 2, "ana")
	e.createItem(t, f.Region, e.admin, map[string]any{"type": "lead", "external_id": "x1"})
	R := "/v1/regions/" + f.Region
	before := e.snapshot(t, f.Region)

	big := `{"type": "lead", "attributes": {"blob": "` + strings.Repeat("x", 65<<10) + `"}}`
	cases := []struct {
		name         string
		method, path string
		body         string
		status       int
		locs         []string
	}{
		{"unknown item field", "POST", R + "/items", `{"type": "lead", "colour": "red"}`, 422, []string{"body.colour"}},
		{"malformed JSON", "POST", R + "/items", `{"type": "lead",`, 400, nil},
		{"not an object", "POST", R + "/items", `[1, 2]`, 422, nil},
		{"oversized body", "POST", R + "/items", big, 413, nil},
		{"missing type", "POST", R + "/items", `{"attributes": {"a": 1}}`, 422, []string{"body.type"}},
		{"reserved attribute", "POST", R + "/items", `{"type": "lead", "attributes": {"score": 99}}`, 422, []string{"body.attributes.score"}},
		{"nested attribute", "POST", R + "/items", `{"type": "lead", "attributes": {"a": {"b": 1}}}`, 422, []string{"body.attributes.a"}},
		{"bad attribute name", "POST", R + "/items", `{"type": "lead", "attributes": {"9lives": 1}}`, 422, []string{"body.attributes"}},
		{"bad due_at", "POST", R + "/items", `{"type": "lead", "due_at": "tomorrow"}`, 422, []string{"body.due_at"}},
		{"bad priority", "POST", R + "/items", `{"type": "lead", "priority": 1.5}`, 422, []string{"body.priority"}},
		{"bad policy", "POST", R + "/queues", `{"id": "q2", "members": ["ana"], "policy": "fastest"}`, 422, []string{"body.policy"}},
		{"unknown queue member", "POST", R + "/queues", `{"id": "q2", "members": ["zoe"]}`, 422, []string{"body.members[0]"}},
		{"duplicate queue", "POST", R + "/queues", `{"id": "` + f.Queue + `", "members": []}`, 409, nil},
		{"bad CEL", "POST", R + "/rules", `{"name": "r2", "when": "item.country ==", "queue": "` + f.Queue + `"}`, 422, []string{"body.when"}},
		{"rule to unknown queue", "POST", R + "/rules", `{"name": "r2", "queue": "nope"}`, 422, []string{"body.queue"}},
		{"rule position out of range", "POST", R + "/rules?position=9", `{"name": "r2", "queue": "` + f.Queue + `"}`, 422, []string{"query.position"}},
		{"scoring rule without condition", "POST", R + "/scoring-rules", `{"name": "s2", "points": 3}`, 422, []string{"body.when"}},
		{"queue still used by a rule", "DELETE", R + "/queues/" + f.Queue, ``, 422, []string{"config.rules[0].queue"}},
		{"agent capacity too big", "PUT", R + "/agents/ana", `{"capacity": {"total": 2000000}}`, 422, []string{"body.capacity.total"}},
		{"agent id differs from path", "PUT", R + "/agents/ana", `{"id": "bob", "capacity": {"total": 1}}`, 422, []string{"body.id"}},
		{"unknown agent", "PUT", R + "/agents/zoe", `{"capacity": {"total": 1}}`, 404, nil},
		{"unknown presence", "PUT", R + "/agents/ana/presence", `{"status": "dancing"}`, 422, []string{"body.status"}},
		{"config with a bad time zone", "PUT", R + "/config", `{"time_zone": "Mars/Olympus"}`, 422, []string{"body.time_zone"}},
		{"unknown item", "POST", R + "/items/itm_nope/close", ``, 404, nil},
		{"transfer to unknown agent", "POST", R + "/items/itm_nope/transfer", `{"to": "ana"}`, 404, nil},
		{"bad status filter", "GET", R + "/items?status=lost", ``, 422, []string{"query.status"}},
		{"bad cursor", "GET", R + "/items?cursor=not-a-cursor", ``, 422, []string{"query.cursor"}},
		{"token for unknown region", "POST", "/v1/tokens", `{"role": "manager", "region": "nowhere"}`, 422, []string{"body.region"}},
		{"token with bad role", "POST", "/v1/tokens", `{"role": "root"}`, 422, []string{"body.role"}},
		{"bulk with a bad top level", "POST", R + "/items:bulk", `{"items": [], "extra": 1}`, 422, nil},
		{"bulk malformed", "POST", R + "/items:bulk", `{"items": [`, 400, nil},
		{"unknown region", "GET", "/v1/regions/nowhere/items", ``, 404, nil},
		{"no token", "GET", R + "/items", ``, 401, nil},
		{"unknown endpoint", "GET", "/v2/nothing", ``, 404, nil},
		{"wrong method", "PATCH", "/v1/regions", `{}`, 405, nil},
		// Time settings: omitted means "none"; an explicit zero or negative is refused.
		{"zero SLA", "POST", R + "/queues", `{"id": "q2", "members": ["ana"], "sla_minutes": 0}`, 422, []string{"body.sla_minutes"}},
		{"negative SLA", "POST", R + "/queues", `{"id": "q2", "members": ["ana"], "sla_minutes": -5}`, 422, []string{"body.sla_minutes"}},
		{"zero offer timeout", "POST", R + "/queues", `{"id": "q2", "members": ["ana"], "offer_timeout_seconds": 0}`, 422, []string{"body.offer_timeout_seconds"}},
		{"zero rule SLA", "POST", R + "/rules", `{"name": "r2", "queue": "` + f.Queue + `", "sla_minutes": 0}`, 422, []string{"body.sla_minutes"}},
		{"absence ending before it starts", "PUT", R + "/agents/ana", `{"capacity": {"total": 1}, "absences": [{"start": "2026-12-02T00:00:00Z", "end": "2026-12-01T00:00:00Z"}]}`, 422, []string{"body.absences[0].end"}},
		{"overlapping absences", "PUT", R + "/agents/ana", `{"capacity": {"total": 1}, "absences": [{"start": "2026-12-01T00:00:00Z", "end": "2026-12-03T00:00:00Z"}, {"start": "2026-12-02T00:00:00Z", "end": "2026-12-04T00:00:00Z"}]}`, 422, []string{"body.absences[1]"}},
		{"unknown agent time zone", "PUT", R + "/agents/ana", `{"capacity": {"total": 1}, "schedule": {"time_zone": "Moon/Base", "shifts": [{"days": "mon", "start": "09:00", "end": "17:00"}]}}`, 422, []string{"body.schedule.time_zone"}},
		{"working hours that do not parse", "PUT", R + "/agents/ana", `{"capacity": {"total": 1}, "schedule": {"time_zone": "UTC", "shifts": [{"days": "someday", "start": "9am", "end": "17:00"}]}}`, 422, []string{"body.schedule.shifts[0].days", "body.schedule.shifts[0].start"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body any
			if c.body != "" {
				body = c.body
			}
			tok := e.admin
			if c.name == "no token" {
				tok = ""
			}
			wantProblem(t, e.do(t, c.method, c.path, tok, body), c.status, c.locs...)
		})
	}
	// A bulk create with bad items reports them one by one and creates the
	// good ones... but here every item is bad, so nothing changes.
	var bulk struct {
		Results []struct {
			Status  int
			Problem map[string]any
		}
		Failed int
	}
	e.must(t, 200, "POST", R+"/items:bulk", e.admin, `{"items": [{"type": ""}, {"type": "lead", "attributes": {"tier": 1}}, {"type": "lead", "bogus": true}]}`).JSON(t, &bulk)
	if bulk.Failed != 3 {
		t.Fatalf("bulk: %+v", bulk)
	}
	for i, r := range bulk.Results {
		if r.Status != 422 || r.Problem == nil {
			t.Errorf("bulk item %d: %+v", i, r)
		}
	}
	if after := e.snapshot(t, f.Region); after != before {
		t.Fatalf("failed requests changed the region:\nbefore %s\nafter  %s", before, after)
	}

	// A bulk create with good and bad items creates the good ones.
	e.must(t, 200, "POST", R+"/items:bulk", e.admin, `{"items": [{"type": "lead"}, {"type": "lead", "attributes": {"tier": 1}}, {"type": "case"}]}`).JSON(t, &bulk)
	if bulk.Failed != 1 || bulk.Results[0].Status != 201 || bulk.Results[1].Status != 422 || bulk.Results[2].Status != 201 {
		t.Fatalf("mixed bulk: %+v", bulk)
	}
	locs := bulk.Results[1].Problem["errors"].([]any)[0].(map[string]any)["location"]
	if locs != "body.items[1].attributes.tier" {
		t.Fatalf("bulk problem location %v", locs)
	}
}

// TestBulkLimits: more than 1000 items is refused whole.
func TestBulkLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.setupRegion(t, "bulk", 10, "ana")
	items := make([]map[string]any, 1001)
	for i := range items {
		items[i] = map[string]any{"type": "lead"}
	}
	wantProblem(t, e.do(t, "POST", "/v1/regions/"+f.Region+"/items:bulk", e.admin, map[string]any{"items": items}), 422, "body.items")
	var bulk struct{ Created int }
	e.must(t, 200, "POST", "/v1/regions/"+f.Region+"/items:bulk", e.admin, map[string]any{"items": items[:1000]}).JSON(t, &bulk)
	if bulk.Created != 1000 {
		t.Fatalf("created %d, want 1000", bulk.Created)
	}
}

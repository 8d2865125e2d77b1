package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/allot/allot"
	"github.com/allot/allot/configfile"
	"github.com/allot/allot/store"
)

// concurrentEdit wraps the API so that, just before the first PUT of a
// region's config reaches it, another writer changes that region (sets the
// first queue's SLA to sla minutes) — the race every whole-config writer of
// the CLI (apply, import agents, config rollback) must lose safely.
type concurrentEdit struct {
	once  sync.Once
	token string
	sla   int
	done  bool
}

func (c *concurrentEdit) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/config") {
			c.once.Do(func() {
				region := strings.TrimSuffix(r.URL.Path, "/config")
				get := httptest.NewRequest(http.MethodGet, region, nil)
				get.Header.Set("Authorization", "Bearer "+c.token)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, get)
				var live allot.Region
				if err := json.Unmarshal(rec.Body.Bytes(), &live); err != nil || rec.Code != http.StatusOK {
					return
				}
				live.Queues[0].SLAMinutes = c.sla
				b, _ := json.Marshal(live)
				put := httptest.NewRequest(http.MethodPut, r.URL.Path, bytes.NewReader(b))
				put.Header.Set("Authorization", "Bearer "+c.token)
				put.Header.Set("Content-Type", "application/json")
				rec = httptest.NewRecorder()
				h.ServeHTTP(rec, put)
				c.done = rec.Code == http.StatusOK
			})
		}
		h.ServeHTTP(w, r)
	})
}

// TestWritersDoNotOverwriteConcurrentChanges: apply, import agents and
// rollback base their replacement on the version they read (If-Match), so a
// change made in between makes them fail with nothing changed, and the
// other writer's change stays.
func TestWritersDoNotOverwriteConcurrentChanges(t *testing.T) {
	t.Parallel()
	edit := &concurrentEdit{sla: 77}
	url, token := testServerWith(t, edit.wrap)
	admin := token(store.RoleAdmin, "")
	edit.token = admin
	// Creation is a POST: the wrapper leaves it alone.
	if code, out, errb := cli(t, "apply", "-f", example, "--url", url, "--token", admin, "--create"); code != 0 {
		t.Fatalf("setup: %s%s", out, errb)
	}
	slaOf := func() int {
		var r allot.Region
		if getJSON(t, url, admin, "/v1/regions/fr", &r) != http.StatusOK {
			t.Fatal("GET region fr failed")
		}
		return r.Queues[0].SLAMinutes
	}

	// apply: an edited copy of the example, raced by the wrapper's edit.
	f := loadExample(t)
	f.Regions[0].Queues[0].Members = f.Regions[0].Queues[0].Members[:1]
	edited := writeConfig(t, f)
	code, out, errb := cli(t, "apply", "-f", edited, "--url", url, "--token", admin, "--yes")
	if !edit.done {
		t.Fatal("the concurrent edit did not happen")
	}
	if code != 1 || !strings.Contains(errb, "changed since it was read") || !strings.Contains(errb, "409") {
		t.Fatalf("apply raced by another writer: exit %d, want 1 with a 409 conflict\n%s%s", code, out, errb)
	}
	if got := slaOf(); got != 77 {
		t.Fatalf("the other writer's change was overwritten: SLA %d, want 77", got)
	}
	// Run again: it now sees (and keeps) the other change in its diff base,
	// and applies.
	if code, out, errb := cli(t, "apply", "-f", edited, "--url", url, "--token", admin, "--yes"); code != 0 || !strings.Contains(out, "applied as version") {
		t.Fatalf("apply again: exit %d\n%s%s", code, out, errb)
	}

	// import agents, raced the same way.
	edit2 := &concurrentEdit{sla: 78, token: admin}
	url2, token2 := testServerWith(t, edit2.wrap)
	admin2 := token2(store.RoleAdmin, "")
	edit2.token = admin2
	if code, out, errb := cli(t, "apply", "-f", example, "--url", url2, "--token", admin2, "--create"); code != 0 {
		t.Fatalf("setup 2: %s%s", out, errb)
	}
	csv := writeFile(t, "agents.csv", "id,name,capacity\nzoe,Zoé Petit,4\n")
	code, out, errb = cli(t, "import", csv, "--region", "fr", "--url", url2, "--token", admin2)
	if !edit2.done || code != 1 || !strings.Contains(errb, "changed since it was read") {
		t.Fatalf("import raced by another writer: edit %v, exit %d, want 1 with a conflict\n%s%s", edit2.done, code, out, errb)
	}
	var r allot.Region
	getJSON(t, url2, admin2, "/v1/regions/fr", &r)
	if r.Queues[0].SLAMinutes != 78 || hasAgent(r, "zoe") {
		t.Fatalf("after the refused import: SLA %d (want 78), zoe imported %v (want not)", r.Queues[0].SLAMinutes, hasAgent(r, "zoe"))
	}
}

func hasAgent(r allot.Region, id string) bool {
	for _, a := range r.Agents {
		if a.ID == id {
			return true
		}
	}
	return false
}

func loadExample(t *testing.T) *configfile.File {
	t.Helper()
	f, err := configfile.LoadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// writeConfig writes f's config as a YAML file and returns its path.
func writeConfig(t *testing.T, f *configfile.File) string {
	t.Helper()
	b, err := configfile.Encode(f.Config)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "config.yaml", string(b))
}

// putRecorder records the Prefer header of every whole-config replacement
// (PUT .../config) and the status and body size of its answer.
type putRecorder struct {
	mu   sync.Mutex
	puts []recordedPut
}

type recordedPut struct {
	prefer, applied, etag string
	status, bodyBytes     int
}

func (p *putRecorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || !strings.HasSuffix(r.URL.Path, "/config") {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		p.mu.Lock()
		p.puts = append(p.puts, recordedPut{prefer: r.Header.Get("Prefer"), applied: rec.Header().Get("Preference-Applied"),
			etag: rec.Header().Get("ETag"), status: rec.Code, bodyBytes: rec.Body.Len()})
		p.mu.Unlock()
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}

// TestWritersPreferMinimal: apply, import agents and config rollback ask
// for return=minimal (the server answers 204 with only the version, not the
// whole config) and still report the version the server made.
func TestWritersPreferMinimal(t *testing.T) {
	t.Parallel()
	rec := &putRecorder{}
	url, token := testServerWith(t, rec.wrap)
	admin := token(store.RoleAdmin, "")
	if code, out, errb := cli(t, "apply", "-f", example, "--url", url, "--token", admin, "--create"); code != 0 {
		t.Fatalf("setup: %s%s", out, errb)
	}
	f := loadExample(t)
	f.Regions[0].Queues[0].Members = f.Regions[0].Queues[0].Members[:1]
	code, out, errb := cli(t, "apply", "-f", writeConfig(t, f), "--url", url, "--token", admin, "--yes")
	if code != 0 || !strings.Contains(out, "applied as version") {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errb)
	}
	csv := writeFile(t, "agents.csv", "id,name,capacity\nzoe,Zoé Petit,4\n")
	if code, out, errb := cli(t, "import", csv, "--region", "fr", "--url", url, "--token", admin); code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errb)
	}
	if code, out, errb := cli(t, "config", "rollback", "1", "--region", "fr", "--url", url, "--token", admin, "--yes"); code != 0 {
		t.Fatalf("rollback: exit %d\n%s%s", code, out, errb)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.puts) != 3 {
		t.Fatalf("%d replacements, want 3 (apply, import, rollback): %+v", len(rec.puts), rec.puts)
	}
	for i, p := range rec.puts {
		if p.prefer != "return=minimal" || p.status != http.StatusNoContent || p.bodyBytes != 0 || p.applied != "return=minimal" || p.etag == "" {
			t.Errorf("replacement %d: %+v, want Prefer return=minimal answered 204 with an ETag and no body", i, p)
		}
	}
	// apply printed the version the minimal answer's ETag names.
	if want := "applied as version " + strings.Trim(rec.puts[0].etag, `"`); !strings.Contains(out, want) {
		t.Errorf("apply printed %q, want %q", out, want)
	}
}

package httpapi_test

import (
	"strings"
	"testing"
)

// checkAnswer fails unless r is not a 5xx and, when it is an error, a valid
// problem+json answer.
func checkAnswer(t *testing.T, what string, body []byte, r resp) {
	t.Helper()
	if r.Status >= 500 {
		t.Fatalf("%s %q: status %d: %s", what, body, r.Status, r.Body)
	}
	if r.Status >= 400 {
		if msg := problemErr(r); msg != "" {
			t.Fatalf("%s %q: %d is not a valid problem (%s): %s", what, body, r.Status, msg, r.Body)
		}
	}
}

// FuzzCreateItem posts arbitrary bytes as an item (single and bulk) and as
// an explain request: never a 5xx or a panic, every error a valid
// problem+json answer. Seeds: testdata/fuzz/FuzzCreateItem.
func FuzzCreateItem(f *testing.F) {
	e := newEnv(f)
	e.setupRegion(f, "fz", 1000000, "ana", "ben")
	f.Add([]byte(`{"type": "lead", "external_id": "e1", "attributes": {"country": "FR", "score_hint": 3.5, "tags": ["a", "b"]}, "priority": 2, "due_at": "2030-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := e.do(t, "POST", "/v1/regions/fz/items", e.admin, body)
		checkAnswer(t, "create", body, r)
		r = e.do(t, "POST", "/v1/regions/fz/explain", e.admin, body)
		checkAnswer(t, "explain", body, r)
		bulk := append(append([]byte(`{"items": [`), body...), []byte(`, {"type": "lead"}]}`)...)
		r = e.do(t, "POST", "/v1/regions/fz/items:bulk", e.admin, bulk)
		checkAnswer(t, "bulk", bulk, r)
		if r.Status == 200 {
			var out struct{ Results []struct{ Status int } }
			r.JSON(t, &out)
			for i, res := range out.Results {
				if res.Status >= 500 {
					t.Fatalf("bulk %q: item %d: status %d: %s", bulk, i, res.Status, r.Body)
				}
			}
		}
	})
}

// FuzzRuleBody posts arbitrary bytes as a routing rule (validate, then
// create, then delete again) and as a scoring rule: never a 5xx or a
// panic, every error a valid problem+json answer. Seeds:
// testdata/fuzz/FuzzRuleBody.
func FuzzRuleBody(f *testing.F) {
	e := newEnv(f)
	e.setupRegion(f, "fz", 10, "ana", "ben")
	f.Add([]byte(`{"name": "fr", "when": "item.country == \"FR\" && item.score > 10", "queue": "fz-q", "skills": [{"skill": "french", "min_level": 3}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, kind := range []string{"rules", "scoring-rules"} {
			base := "/v1/regions/fz/" + kind
			checkAnswer(t, kind+" validate", body, e.do(t, "POST", base+"/validate", e.admin, body))
			r := e.do(t, "POST", base, e.admin, body)
			checkAnswer(t, kind+" create", body, r)
			if r.Status == 201 {
				name, _ := r.M(t)["name"].(string)
				if strings.ContainsAny(name, "/?#%") {
					continue
				}
				e.must(t, 204, "DELETE", base+"/"+name, e.admin, nil)
			}
		}
	})
}

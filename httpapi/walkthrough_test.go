package httpapi_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// walkthroughSteps extracts the curl commands of the README's walkthrough,
// in order: method, path and body.
func walkthroughSteps(t *testing.T) [][3]string {
	t.Helper()
	doc, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	start := strings.Index(s, "## Walkthrough")
	if start < 0 {
		t.Fatal("README.md has no Walkthrough section")
	}
	s = s[start+1:]
	if end := strings.Index(s, "\n## "); end >= 0 {
		s = s[:end]
	}
	if !strings.Contains(s, "TOKEN=$(go run ./cmd/allot token create --role admin)") {
		t.Error("the walkthrough no longer creates its admin token with `allot token create --role admin`")
	}
	s = strings.ReplaceAll(s, "\\\n", " ")
	method := regexp.MustCompile(`-X ([A-Z]+) "\$ALLOT([^"]*)"`)
	data := regexp.MustCompile(`-d '([^']*)'`)
	var steps [][3]string
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "curl ") {
			continue
		}
		m := method.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("walkthrough command without -X METHOD \"$ALLOT/path\": %s", line)
		}
		step := [3]string{m[1], m[2], ""}
		if d := data.FindStringSubmatch(line); d != nil {
			step[2] = d[1]
		}
		steps = append(steps, step)
	}
	return steps
}

// TestWalkthrough runs the README's walkthrough against a
// fresh server: region, agent, queue, rule, then an item from France that
// must come back assigned to the agent.
func TestWalkthrough(t *testing.T) {
	t.Parallel()
	steps := walkthroughSteps(t)
	if len(steps) != 5 {
		t.Fatalf("the walkthrough has %d curl commands, want 5 (region, agent, queue, rule, item)", len(steps))
	}
	wantPaths := []string{"/v1/regions", "/v1/regions/emea/agents", "/v1/regions/emea/queues", "/v1/regions/emea/rules", "/v1/regions/emea/items"}
	e := newEnv(t)
	var last resp
	for i, s := range steps {
		if s[1] != wantPaths[i] {
			t.Fatalf("step %d posts to %s, want %s", i+1, s[1], wantPaths[i])
		}
		last = e.do(t, s[0], s[1], e.admin, s[2])
		if last.Status != 201 {
			t.Fatalf("step %d: %s %s %s: status %d: %s", i+1, s[0], s[1], s[2], last.Status, last.Body)
		}
	}
	item := last.M(t)
	if item["status"] != "assigned" || item["owner"] != "ana" || item["queue"] != "france" || item["rule"] != "french-leads" {
		t.Fatalf("the item is not assigned to ana by french-leads: %s", last.Body)
	}
	d, _ := item["decision"].(map[string]any)
	if d == nil || d["kind"] != "assigned" || d["agent"] != "ana" || d["explanation"] == nil {
		t.Fatalf("no assigned decision with an explanation: %s", last.Body)
	}
	// The item's page shows why.
	got := e.must(t, 200, "GET", "/v1/regions/emea/items/"+item["id"].(string), e.admin, nil).M(t)
	if exp, _ := got["explanation"].(map[string]any); exp == nil || exp["rule"] != "french-leads" {
		t.Fatalf("GET item has no explanation naming the rule: %v", got)
	}
}

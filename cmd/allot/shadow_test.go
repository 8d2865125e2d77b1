package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/allot/allot/configfile"
	"github.com/allot/allot/store"
)

// TestConfigShadow: start a candidate in shadow for one region, read the
// report, promote it, roll it back; stop another.
func TestConfigShadow(t *testing.T) {
	t.Parallel()
	url, token := testServer(t)
	admin := token(store.RoleAdmin, "")
	if code, out, errb := cli(t, "apply", "-f", example, "--url", url, "--token", admin, "--create"); code != 0 {
		t.Fatalf("apply: %s%s", out, errb)
	}
	manager := token(store.RoleManager, "fr")
	dir := t.TempDir()

	// Both regions in the file: which one?
	if code, _, errb := cli(t, "config", "shadow", "start", "-f", example, "--url", url, "--token", manager); code != 2 || !strings.Contains(errb, "--region") {
		t.Fatalf("two regions without --region: exit %d %s", code, errb)
	}
	// The candidate: summer camps no longer have their own rule.
	exported := filepath.Join(dir, "fr.yaml")
	if code, _, errb := cli(t, "export", "--region", "fr", "-o", exported, "--url", url, "--token", manager); code != 0 {
		t.Fatal(errb)
	}
	f, err := configfile.LoadFile(exported)
	if err != nil {
		t.Fatal(err)
	}
	r := &f.Regions[0]
	r.Rules = r.Rules[:len(r.Rules)-1] // fr-junior
	b, _ := configfile.Encode(f.Config)
	candidate := filepath.Join(dir, "candidate.yaml")
	os.WriteFile(candidate, b, 0o644)

	code, out, errb := cli(t, "config", "shadow", "start", "-f", candidate, "--url", url, "--token", manager)
	if code != 0 || !strings.Contains(out, "region fr: candidate running in shadow") {
		t.Fatalf("start: exit %d\n%s%s", code, out, errb)
	}
	post := func(attrs map[string]any) {
		body, _ := json.Marshal(map[string]any{"type": "lead", "attributes": attrs})
		req, _ := http.NewRequest("POST", url+"/v1/regions/fr/items", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 201 {
			t.Fatalf("create item: %v %v", err, resp.Status)
		}
		resp.Body.Close()
	}
	post(map[string]any{"program": "summer-camp", "office": "paris"})
	post(map[string]any{"program": "business-english", "office": "paris"})

	code, out, errb = cli(t, "config", "shadow-report", "--region", "fr", "--url", url, "--token", manager)
	for _, want := range []string{"arrivals compared  2", "disagree           1 (50.0%)", "queue 1 (50.0%)", "rule 1", "fr-junior → fr-junior", "(default) → fr-callback", "fairness (Gini", "camille"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if code != 0 || t.Failed() {
		t.Fatalf("shadow-report: exit %d\n%s%s", code, out, errb)
	}
	var rep struct{ Arrivals, Disagreements int }
	code, out, _ = cli(t, "config", "shadow", "report", "--region", "fr", "--json", "--url", url, "--token", manager)
	if json.Unmarshal([]byte(out), &rep) != nil || code != 0 || rep.Arrivals != 2 || rep.Disagreements != 1 {
		t.Fatalf("--json: exit %d %s", code, out)
	}
	// Another region's manager sees no shadow there.
	if code, _, errb := cli(t, "config", "shadow-report", "--region", "fr", "--url", url, "--token", token(store.RoleManager, "de")); code != 1 || !strings.Contains(errb, "404") {
		t.Fatalf("de manager: exit %d %s", code, errb)
	}

	code, out, errb = cli(t, "config", "shadow", "promote", "--region", "fr", "--url", url, "--token", manager)
	m := regexp.MustCompile(`shadow promoted as version (\d+); to undo: allot config rollback (\d+) --region fr`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("promote: exit %d\n%s%s", code, out, errb)
	}
	if code, out, _ := cli(t, "apply", "-f", candidate, "--url", url, "--token", manager); code != 0 || !strings.Contains(out, "nothing to apply") {
		t.Fatalf("after promotion the live config is not the candidate: %s", out)
	}
	// Rollback is one command.
	if code, out, errb := cli(t, "config", "rollback", m[2], "--region", "fr", "--url", url, "--token", manager); code != 0 || !strings.Contains(out, "+ rule fr-junior") {
		t.Fatalf("rollback: exit %d\n%s%s", code, out, errb)
	}
	if code, out, _ := cli(t, "apply", "-f", exported, "--url", url, "--token", manager); code != 0 || !strings.Contains(out, "nothing to apply") {
		t.Fatalf("after rollback the live config is not the original: %s", out)
	}

	// Stop.
	if code, _, errb := cli(t, "config", "shadow", "stop", "--region", "fr", "--url", url, "--token", manager); code != 1 || !strings.Contains(errb, "404") {
		t.Fatalf("stop without a shadow: exit %d %s", code, errb)
	}
	if code, _, errb := cli(t, "config", "shadow", "start", "-f", candidate, "--region", "fr", "--url", url, "--token", manager); code != 0 {
		t.Fatal(errb)
	}
	if code, out, errb := cli(t, "config", "shadow", "stop", "--region", "fr", "--url", url, "--token", manager); code != 0 || !strings.Contains(out, "shadow stopped") {
		t.Fatalf("stop: exit %d\n%s%s", code, out, errb)
	}
}

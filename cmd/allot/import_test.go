package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/allot/allot"
	"github.com/allot/allot/store"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// getJSON reads an API path with token into out.
func getJSON(t *testing.T, url, token, path string, out any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == 200 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

// setupExample starts a server with the example's regions.
func setupExample(t *testing.T) (url string, token func(store.Role, string) string, admin string) {
	t.Helper()
	url, token = testServer(t)
	admin = token(store.RoleAdmin, "")
	if code, out, errb := cli(t, "apply", "-f", example, "--url", url, "--token", admin, "--create"); code != 0 {
		t.Fatalf("setup: %s%s", out, errb)
	}
	return url, token, admin
}

func TestImportAgents(t *testing.T) {
	t.Parallel()
	url, token, _ := setupExample(t)
	manager := token(store.RoleManager, "fr")
	csv := writeFile(t, "agents.csv", "\ufeffAgent ID,Full name,capacity,skills,Languages,queues,notes\n"+
		"zoe,Zoé Petit,4,exams:4;b2b:2,fr;en,fr-exams-paris;fr-callback,new hire\n"+
		"camille,,8,,,,capacity raised\n"+ // an update: only capacity changes
		",No Id,3,,,,\n"+ // line 4: no id
		"yann,Yann Le Gall,many,,,,\n"+ // line 5: bad capacity
		"paul,Paul Roux,3,exams:9,,fr-nope,\n"+ // line 6: unknown queue
		"lea,Léa Blanc,3,exams:9,,,\n"+ // line 7: level 9: the server's check refuses it
		"\"broken,3\n") // line 8: a bare quote... the rest is one bad field
	args := []string{"import", csv, "--region", "fr", "--url", url, "--token", manager,
		"--map", "Agent ID=id,Full name=name,Languages=attr.languages,notes=-"}
	code, out, errb := cli(t, args...)
	if code != 1 {
		t.Fatalf("exit %d\n%s%s", code, out, errb)
	}
	for _, want := range []string{"agents.csv:4: column \"id\": required", "agents.csv:5: column \"capacity\": want a whole number",
		"agents.csv:6: column \"queues\": unknown queue \"fr-nope\"", "agents.csv:7: skills", "agents.csv:8: "} {
		if !strings.Contains(errb, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errb)
		}
	}
	if !strings.Contains(out, "imported 2 (1 added, 1 updated)") || !strings.Contains(out, "region fr: applied as version") {
		t.Errorf("stdout:\n%s", out)
	}
	admin := token(store.RoleAdmin, "")
	var r allot.Region
	getJSON(t, url, admin, "/v1/regions/fr", &r)
	agents := map[string]allot.Agent{}
	for _, a := range r.Agents {
		agents[a.ID] = a
	}
	z, ok := agents["zoe"]
	if !ok || z.Name != "Zoé Petit" || z.Capacity.Total != 4 || z.Skills["exams"] != 4 || strings.Join(z.Attributes["languages"], ",") != "fr,en" {
		t.Errorf("zoe: %+v", z)
	}
	if c := agents["camille"]; c.Capacity.Total != 8 || c.Name != "Camille Martin" || c.Skills["exams"] != 5 {
		t.Errorf("camille not updated in place: %+v", c)
	}
	for _, id := range []string{"yann", "paul", "lea"} {
		if _, ok := agents[id]; ok {
			t.Errorf("bad row %s landed", id)
		}
	}
	for _, q := range r.Queues {
		has := strings.Contains(","+strings.Join(q.Members, ",")+",", ",zoe,")
		if want := q.ID == "fr-exams-paris" || q.ID == "fr-callback"; has != want {
			t.Errorf("queue %s members %v", q.ID, q.Members)
		}
	}
	// One import is one config version.
	_, hist, _ := cli(t, "config", "history", "--region", "fr", "--url", url, "--token", admin)
	if n := len(strings.Split(strings.TrimSpace(hist), "\n")); n != 3 {
		t.Errorf("want 2 versions after one import:\n%s", hist)
	}
	// An unknown column is refused before anything.
	bad := writeFile(t, "agents.csv", "id,colour\nx,blue\n")
	if code, _, errb := cli(t, "import", bad, "--region", "fr", "--url", url, "--token", manager); code != 1 || !strings.Contains(errb, `column "colour": unknown field`) {
		t.Errorf("unknown column: exit %d\n%s", code, errb)
	}
}

func TestImportItems(t *testing.T) {
	t.Parallel()
	url, token, admin := setupExample(t)
	var b strings.Builder
	b.WriteString("external_id,type,program,office,exam_in_weeks,post_code,priority\n")
	const n = 2300 // three bulk requests
	for i := range n {
		switch i {
		case 10:
			b.WriteString("lead-10,lead,ielts,paris,soon,75011,high\n") // line 12: bad priority
		case 20:
			b.WriteString("lead-20,,ielts,paris,3,75011,\n") // line 22: no type
		default:
			fmt.Fprintf(&b, "lead-%d,lead,ielts,paris,%d,0%d,1\n", i, i%30, 1000+i%90)
		}
	}
	path := writeFile(t, "items.csv", b.String())
	integ := token(store.RoleIntegration, "fr")
	code, out, errb := cli(t, "import", path, "--region", "fr", "--url", url, "--token", integ)
	if code != 1 || !strings.Contains(out, fmt.Sprintf("%d rows: %d created, 0 already there", n, n-2)) {
		t.Fatalf("exit %d\n%s%s", code, out, errb)
	}
	if !strings.Contains(errb, `items.csv:12: column "priority": want a whole number`) || !strings.Contains(errb, "items.csv:22: column \"type\": required") {
		t.Errorf("row errors:\n%s", errb)
	}
	if strings.Contains(errb, "%") {
		t.Errorf("a progress bar on a non-terminal:\n%s", errb)
	}
	// Typed attributes: a number stays a number, a post code with a
	// leading zero stays a string.
	var page struct {
		Items []struct {
			ExternalID string         `json:"external_id"`
			Attributes map[string]any `json:"attributes"`
		} `json:"items"`
	}
	getJSON(t, url, admin, "/v1/regions/fr/items?limit=5", &page)
	if len(page.Items) == 0 {
		t.Fatal("no items")
	}
	a := page.Items[0].Attributes
	if _, ok := a["exam_in_weeks"].(float64); !ok {
		t.Errorf("exam_in_weeks: %T %v", a["exam_in_weeks"], a["exam_in_weeks"])
	}
	if s, ok := a["post_code"].(string); !ok || !strings.HasPrefix(s, "0") {
		t.Errorf("post_code: %T %v", a["post_code"], a["post_code"])
	}
	// Re-running creates nothing: external_id.
	code, out, _ = cli(t, "import", path, "--region", "fr", "--url", url, "--token", integ)
	if code != 1 || !strings.Contains(out, fmt.Sprintf("0 created, %d already there", n-2)) {
		t.Fatalf("re-run: exit %d\n%s", code, out)
	}
	// The fixed rows land on their own.
	fixed := writeFile(t, "items.csv", "external_id,type,program,office,exam_in_weeks\nlead-10,lead,ielts,paris,3\nlead-20,lead,ielts,paris,3\n")
	if code, out, errb := cli(t, "import", fixed, "--region", "fr", "--url", url, "--token", integ); code != 0 || !strings.Contains(out, "2 created") {
		t.Fatalf("fixed rows: exit %d\n%s%s", code, out, errb)
	}
}

// TestImportOtherRegionRefused: a region manager's token cannot import
// into another region: 404, nothing changes.
func TestImportOtherRegionRefused(t *testing.T) {
	t.Parallel()
	url, token, admin := setupExample(t)
	frManager := token(store.RoleManager, "fr")
	_, before, _ := cli(t, "config", "history", "--region", "de", "--url", url, "--token", admin)
	var deBefore allot.Region
	getJSON(t, url, admin, "/v1/regions/de", &deBefore)

	agents := writeFile(t, "agents.csv", "id,capacity,queues\nintruder,5,\n")
	code, out, errb := cli(t, "import", agents, "--region", "de", "--url", url, "--token", frManager)
	if code != 1 || !strings.Contains(errb, "region de: 404") {
		t.Fatalf("agents: exit %d\n%s%s", code, out, errb)
	}
	items := writeFile(t, "items.csv", "external_id,type,program\nx1,lead,ielts\n")
	code, out, errb = cli(t, "import", items, "--region", "de", "--url", url, "--token", frManager)
	if code != 1 || !strings.Contains(errb, "region de: 404") || !strings.Contains(errb, "nothing imported") {
		t.Fatalf("items: exit %d\n%s%s", code, out, errb)
	}
	_, after, _ := cli(t, "config", "history", "--region", "de", "--url", url, "--token", admin)
	var deAfter allot.Region
	getJSON(t, url, admin, "/v1/regions/de", &deAfter)
	if after != before || len(deAfter.Agents) != len(deBefore.Agents) {
		t.Errorf("de changed: %s -> %s", before, after)
	}
	var page struct {
		Items []json.RawMessage `json:"items"`
	}
	getJSON(t, url, admin, "/v1/regions/de/items", &page)
	if len(page.Items) != 0 {
		t.Errorf("items landed in de: %d", len(page.Items))
	}
	_ = context.Background
}

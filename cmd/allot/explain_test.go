package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/allot/allot"
	"github.com/allot/allot/store"
)

const hotCall = `{"type": "call", "attributes": {"program": "ielts", "office": "paris", "exam_in_weeks": 3, "source": "ads", "returning": true, "post_code": "75011"}}`

func TestExplainOffline(t *testing.T) {
	t.Parallel()
	item := writeFile(t, "item.json", hotCall)
	code, out, errb := cli(t, "explain", "--item", item, "-f", example, "--region", "fr")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errb)
	}
	for _, want := range []string{"rule:    fr-hot-exam-call", "queue:   fr-exams-paris (policy best_match)",
		"score:   100 (exam-soon, paid-ads, returning)", "tier:    hot", "would go to camille",
		"* camille", "hugo     excluded by skills:", "ines     eligible: skill_fit="} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = cli(t, "explain", "--item", item, "-f", example, "--region", "fr", "--json")
	var d allot.Decision
	if code != 0 || json.Unmarshal([]byte(out), &d) != nil || d.Explanation == nil || d.Explanation.Rule != "fr-hot-exam-call" || d.Explanation.Candidates.Len() != 3 {
		t.Fatalf("--json: exit %d\n%s", code, out)
	}
	// Outside camille's shifts (Saturday) the schedule filter excludes her.
	code, out, _ = cli(t, "explain", "--item", item, "-f", example, "--region", "fr", "--at", "2024-01-06T12:00:00Z")
	if code != 0 || !strings.Contains(out, "camille  excluded by schedule") || !strings.Contains(out, "would go to ines") {
		t.Errorf("--at Saturday: exit %d\n%s", code, out)
	}
	// Problems: several regions, a bad item, no item.
	if code, _, errb := cli(t, "explain", "--item", item, "-f", example); code != 2 || !strings.Contains(errb, "--region: required") {
		t.Errorf("no --region: exit %d %s", code, errb)
	}
	bad := writeFile(t, "bad.json", `{"type": "call", "colour": "red"}`)
	if code, _, errb := cli(t, "explain", "--item", bad, "-f", example, "--region", "fr"); code != 1 || !strings.Contains(errb, `bad.json:1:18: colour: unknown field "colour"`) {
		t.Errorf("bad item: exit %d %s", code, errb)
	}
	if code, _, _ := cli(t, "explain", "-f", example); code != 2 {
		t.Errorf("no --item: exit %d", code)
	}
}

// TestExplainServer: the same against a server's live state; a manager of
// another region gets 404.
func TestExplainServer(t *testing.T) {
	t.Parallel()
	url, token, _ := setupExample(t)
	item := writeFile(t, "item.json", hotCall)
	manager := token(store.RoleManager, "fr")
	code, out, errb := cli(t, "explain", "--item", item, "--region", "fr", "--url", url, "--token", manager)
	if code != 0 || !strings.Contains(out, "rule:    fr-hot-exam-call") || !strings.Contains(out, "tier:    hot") || !strings.Contains(out, "camille") {
		t.Fatalf("exit %d\n%s%s", code, out, errb)
	}
	code, out, _ = cli(t, "explain", "--item", item, "--region", "fr", "--url", url, "--token", manager, "--json")
	var d allot.Decision
	if code != 0 || json.Unmarshal([]byte(out), &d) != nil || d.Queue != "fr-exams-paris" {
		t.Fatalf("--json: exit %d\n%s", code, out)
	}
	if code, _, errb := cli(t, "explain", "--item", item, "--region", "de", "--url", url, "--token", manager); code != 1 || !strings.Contains(errb, "404") {
		t.Errorf("other region: exit %d %s", code, errb)
	}
}

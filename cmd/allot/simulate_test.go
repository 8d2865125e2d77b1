package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSimulateExample runs the documented example in-process: two configs
// side by side, JSON, the HTML report, and the same bytes on a second run.
func TestSimulateExample(t *testing.T) {
	t.Parallel()
	ex := filepath.Join("..", "..", "examples", "sim")
	html := filepath.Join(t.TempDir(), "out.html")
	args := []string{filepath.Join(ex, "scenario.yaml"), "--config", filepath.Join(ex, "round_robin.yaml"),
		"--config", filepath.Join(ex, "weighted.yaml"), "--json", "--report", html}
	var out, errb bytes.Buffer
	if code := run(context.Background(), append([]string{"simulate"}, args...), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var rep struct {
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 2 {
		t.Fatalf("want 2 results, got %d", len(rep.Results))
	}
	for _, k := range []string{"arrivals", "assigned", "abandoned", "p_wait", "mean_wait_s", "p50_wait_s", "p90_wait_s",
		"p99_wait_s", "service_level", "utilisation", "fairness"} {
		if _, ok := rep.Results[0][k]; !ok {
			t.Errorf("result lacks %q", k)
		}
	}
	f := rep.Results[1]["fairness"].(map[string]any)
	if _, ok := f["gini"]; !ok {
		t.Error("fairness lacks gini")
	}
	if _, ok := f["max_min_ratio"]; !ok {
		t.Error("fairness lacks max_min_ratio")
	}
	if b, err := os.ReadFile(html); err != nil || !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("HTML report: %v", err)
	}
	var again bytes.Buffer
	run(context.Background(), append([]string{"simulate"}, args...), &again, &errb)
	if !bytes.Equal(out.Bytes(), again.Bytes()) {
		t.Error("the same run gave different JSON")
	}
	// The table, the seed flag after the scenario.
	out.Reset()
	if code := run(context.Background(), []string{"simulate", filepath.Join(ex, "scenario.yaml"), "--seed", "3"}, &out, &errb); code != 0 {
		t.Fatalf("table run: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "service level") || !strings.Contains(out.String(), "seed 3") {
		t.Errorf("table:\n%s", out.String())
	}
}

// TestSimulateBankExample replays the real call-centre day of the README.
func TestSimulateBankExample(t *testing.T) {
	t.Parallel()
	ex := filepath.Join("..", "..", "examples", "sim")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"simulate", filepath.Join(ex, "bank.yaml"), "--json",
		"--config", filepath.Join(ex, "bank_fifo.yaml"), "--config", filepath.Join(ex, "bank_vip.yaml")}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var rep struct {
		Results []struct {
			Arrivals, Assigned, Abandoned int64
		} `json:"results"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 2 || rep.Results[0].Arrivals != rep.Results[1].Arrivals || rep.Results[0].Arrivals < 1000 {
		t.Fatalf("results %+v", rep.Results)
	}
}

func TestSimulateBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("horizon: 1h\narrivals:\n  rate_per_hour: 10\n  burst: 3\n"), 0o644)
	cfg := filepath.Join(dir, "cfg.yaml")
	os.WriteFile(cfg, []byte("regions:\n  - id: r\n    queuez: []\n"), 0o644)
	ex := filepath.Join("..", "..", "examples", "sim", "scenario.yaml")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no scenario", nil, "exactly one SCENARIO"},
		{"bad scenario", []string{bad}, "bad.yaml:4"},
		{"bad config", []string{ex, "--config", cfg}, "cfg.yaml:3"},
		{"missing config", []string{ex, "--config", filepath.Join(dir, "nope.yaml")}, "nope.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), append([]string{"simulate"}, tc.args...), &out, &errb)
			if code != 2 || !strings.Contains(errb.String(), tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, errb.String(), tc.want)
			}
		})
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"simulate", "--help"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "--config") {
		t.Fatalf("--help: exit %d\n%s", code, out.String())
	}
}

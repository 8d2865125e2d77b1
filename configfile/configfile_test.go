package configfile

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/allot/allot"
	"github.com/allot/allot/internal/gen"
)

var update = flag.Bool("update", false, "rewrite the golden files and allot.schema.json")

// TestGolden: every problem of each testdata/*.yaml, as `allot validate`
// prints them (then the lint warnings of a valid file), is testdata/*.golden.
func TestGolden(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/*.yaml")
	if len(files) < 4 {
		t.Fatalf("only %d golden inputs", len(files))
	}
	for _, in := range files {
		t.Run(filepath.Base(in), func(t *testing.T) {
			t.Parallel()
			var got bytes.Buffer
			f, err := LoadFile(in)
			var ce *Error
			switch {
			case errors.As(err, &ce):
				for _, p := range ce.Problems {
					got.WriteString(p.String() + "\n")
				}
			case err != nil:
				t.Fatal(err)
			default:
				for _, p := range f.Lint() {
					got.WriteString(p.String() + "\n")
				}
			}
			golden := strings.TrimSuffix(in, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./configfile -update)", err)
			}
			if got.String() != string(want) {
				t.Errorf("problems differ from %s (go test ./configfile -update if intended):\ngot:\n%s\nwant:\n%s", golden, got.String(), want)
			}
		})
	}
}

// TestEveryProblemLocated: each problem has a line, column and path.
func TestEveryProblemLocated(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"testdata/invalid.yaml", "testdata/unknown_keys.yaml"} {
		_, err := Load(in)
		var ce *Error
		if !errors.As(err, &ce) || len(ce.Problems) < 3 {
			t.Fatalf("%s: want several problems, got %v", in, err)
		}
		for _, p := range ce.Problems {
			if p.File != in || p.Line == 0 || p.Column == 0 || p.Path == "" {
				t.Errorf("%s: problem not located: %+v", in, p)
			}
		}
	}
}

// TestSchemaFile: allot.schema.json is what Schema generates.
func TestSchemaFile(t *testing.T) {
	t.Parallel()
	got := Schema()
	if *update {
		if err := os.WriteFile("allot.schema.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("allot.schema.json")
	if err != nil {
		t.Fatalf("%v; generate it with: go test ./configfile -run TestSchemaFile -update", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("configfile/allot.schema.json is stale (the config types changed); regenerate it with: go test ./configfile -run TestSchemaFile -update")
	}
	for _, k := range []string{`"Region"`, `"Rule"`, `"Test"`, `"round_robin"`, `"additionalProperties": false`} {
		if !bytes.Contains(got, []byte(k)) {
			t.Errorf("schema lacks %s", k)
		}
	}
}

// TestEncodeRoundTrip: Encode then Decode gives the same config, and
// Encode is stable.
func TestEncodeRoundTrip(t *testing.T) {
	t.Parallel()
	f, err := LoadFile("../examples/config/language-school.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []allot.Config{f.Config, f.Config.WithDefaults()} {
		b, err := Encode(cfg)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(bytes.NewReader(b), "encoded.yaml")
		if err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		for i := range back.Regions {
			if d := Diff(cfg.Regions[i], back.Regions[i]); !d.Empty() {
				t.Errorf("round trip changed region %s:\n%s", back.Regions[i].ID, d)
			}
		}
		b2, _ := Encode(back)
		if !bytes.Equal(b, b2) {
			t.Errorf("Encode is not stable:\n%s\n---\n%s", b, b2)
		}
	}
}

// TestExampleTests: the example's tests pass; a broken expectation fails
// with a message that says what differed.
func TestExampleTests(t *testing.T) {
	t.Parallel()
	f, err := LoadFile("../examples/config/language-school.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tests) < 5 || len(f.Regions) < 2 {
		t.Fatalf("example too small: %d tests, %d regions", len(f.Tests), len(f.Regions))
	}
	for _, r := range f.RunTests() {
		if !r.Pass {
			t.Errorf("%s: %v", r.Name, r.Failures)
		}
	}
	if ps := f.Lint(); len(ps) > 0 {
		t.Errorf("example has lint findings: %v", ps)
	}
	f.Tests[0].Expect.Queue = "fr-junior"
	res := f.RunTests()
	if res[0].Pass || !strings.Contains(strings.Join(res[0].Failures, ";"), `queue: want "fr-junior", got "fr-exams-paris"`) {
		t.Errorf("broken test: %+v", res[0])
	}
}

// TestDiff: added, removed and changed objects by id, and reordering.
func TestDiff(t *testing.T) {
	t.Parallel()
	live := allot.Region{ID: "r", DefaultQueue: "a",
		Queues: []allot.Queue{{ID: "a", Members: []string{"x"}}, {ID: "b", Members: []string{"x"}}},
		Agents: []allot.Agent{{ID: "x", Capacity: allot.Capacity{Total: 1}}},
		Rules:  []allot.Rule{{Name: "r1", When: "true", Queue: "a"}, {Name: "r2", Queue: "b"}, {Name: "r3", Queue: "a"}},
	}
	want := allot.Region{ID: "r", DefaultQueue: "b",
		Queues: []allot.Queue{{ID: "a", Members: []string{"x"}, Policy: allot.RoundRobin}, {ID: "c", Members: []string{"x"}}},
		Agents: []allot.Agent{{ID: "x", Capacity: allot.Capacity{Total: 2}, Weight: 1}},
		Rules:  []allot.Rule{{Name: "r2", Queue: "b"}, {Name: "r1", When: "true", Queue: "c"}},
	}
	d := Diff(live, want)
	got := d.String()
	for _, w := range []string{"~ setting default_queue", "+ queue c", "- queue b", "~ agent x: capacity", "~ rule r1: queue", "- rule r3", "~ rule order"} {
		if !strings.Contains(got, w) {
			t.Errorf("diff lacks %q:\n%s", w, got)
		}
	}
	if strings.Contains(got, "queue a") {
		t.Errorf("a default shows as a change:\n%s", got)
	}
	if !Diff(live, live).Empty() {
		t.Error("a region differs from itself")
	}
}

// TestDecodeYAMLGeneric: the strict decoder serves other documents (the
// simulator's scenarios) with the same located problems.
func TestDecodeYAMLGeneric(t *testing.T) {
	t.Parallel()
	var v struct {
		Name  string `yaml:"name"`
		Count int    `yaml:"count"`
	}
	err := DecodeYAML(strings.NewReader("name: x\ncount: two\nextra: 1\n"), "s.yaml", &v)
	want := "s.yaml:2:8: count: want an integer, got a string \"two\"\ns.yaml:3:1: extra: unknown field \"extra\""
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if err := DecodeYAML(strings.NewReader(""), "e.yaml", &v); err == nil || !strings.Contains(err.Error(), "empty document") {
		t.Errorf("empty: %v", err)
	}
	if !reflect.DeepEqual(knownFields("allot.Rule")[:3], []string{"name", "when", "queue"}) {
		t.Errorf("known fields of Rule: %v", knownFields("allot.Rule"))
	}
}

// TestCompileChunks: a large region is compiled in parallel chunks; its
// problems keep the whole region's rule indexes.
func TestCompileChunks(t *testing.T) {
	cfg := gen.Config(gen.Options{Rules: 1200, ScoringRules: 600, Queues: 20, Agents: 50, MembersPerAgent: 2, Capacity: 5, Seed: 1})
	r := &cfg.Regions[0]
	r.Rules[1].When, r.Rules[1100].When = "item.x ==", "1 + 1"
	r.ScoringRules[550].When = "item.y >"
	b, err := Encode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = DecodeFile(bytes.NewReader(b), "big.yaml")
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("want problems, got %v", err)
	}
	var paths []string
	for _, p := range ce.Problems {
		paths = append(paths, p.Path)
	}
	want := []string{"regions[0].rules[1].when", "regions[0].rules[1100].when", "regions[0].scoring_rules[550].when"}
	if !slices.Equal(paths, want) {
		t.Errorf("paths %v, want %v\n%v", paths, want, ce)
	}
	if got := shiftIndex("rules[3].when", 100, 7); got != "rules[103].when" {
		t.Error(got)
	}
	if got := shiftIndex("scoring_rules[3]", 100, 7); got != "scoring_rules[10]" {
		t.Error(got)
	}
}

// TestExplicitZeroTimeSettingsAreRefused: omitting an SLA or a timeout means
// none; writing 0 is a mistake reported at its line, not read as "none".
func TestExplicitZeroTimeSettingsAreRefused(t *testing.T) {
	t.Parallel()
	const doc = `regions:
  - id: eu
    agents:
      - {id: ana, capacity: {total: 1}, presence: available}
    queues:
      - id: q
        members: [ana]
        sla_minutes: 0
        offer_timeout_seconds: 00
    rules:
      - {name: r, queue: q, skills: [{skill: fr, drop_after_minutes: 0}]}
    default_queue: q
`
	_, err := Decode(strings.NewReader(doc), "z.yaml")
	if err == nil {
		t.Fatal("explicit zeros accepted")
	}
	msg := err.Error()
	for _, want := range []string{"z.yaml:8:9: regions[0].queues[0].sla_minutes", "z.yaml:9:9: regions[0].queues[0].offer_timeout_seconds", "drop_after_minutes"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	ok := strings.ReplaceAll(strings.ReplaceAll(doc, "        sla_minutes: 0\n", ""), "        offer_timeout_seconds: 00\n", "")
	ok = strings.ReplaceAll(ok, ", drop_after_minutes: 0", "")
	if _, err := Decode(strings.NewReader(ok), "ok.yaml"); err != nil {
		t.Fatalf("without the zeros: %v", err)
	}
}

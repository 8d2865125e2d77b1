package configfile

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/allot/allot/internal/gen"
)

// sameAsLibrary fails t unless the fast decoder either gives up on b or
// decodes it to exactly what the YAML library decodes (which must then
// succeed); it reports whether the fast decoder took b.
func sameAsLibrary(t *testing.T, b []byte) bool {
	t.Helper()
	var fast File
	if err := fastDecode(b, &fast); err != nil {
		if err != errSlow {
			t.Fatalf("fastDecode: %v, want nil or errSlow", err)
		}
		return false
	}
	var slow File
	if _, err := decodeSlow(b, "f.yaml", &slow); err != nil {
		t.Fatalf("the fast decoder took a file the library refuses:\n%s\nlibrary: %v", b, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("the fast decoder and the library disagree on\n%s\nfast: %#v\nlibrary: %#v", b, fast.Config, slow.Config)
	}
	return true
}

// TestFastYAMLTakes: the files apply is timed on (Encode's output of a
// generated config) are in the fast subset and decode as the library
// decodes them; the hand-written ones (flow lists, comments) decode the
// same either way.
func TestFastYAMLTakes(t *testing.T) {
	o := gen.Large
	o.Rules, o.ScoringRules, o.Queues, o.Agents = 300, 20, 40, 400
	cfg := gen.Config(o)
	cfg.Regions[0].Queues[0].SLAMinutes = 15
	p := 7
	cfg.Regions[0].Rules[0].Priority = &p
	b, err := Encode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !sameAsLibrary(t, b) {
		t.Fatal("the generated config is not in the fast subset")
	}
	for _, path := range []string{"../examples/config/language-school.yaml", "testdata/lint.yaml", "testdata/invalid.yaml"} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sameAsLibrary(t, b)
	}
}

// TestFastYAMLGivesUp: what the fast decoder must leave to the library
// (problems to report with the library's messages, or syntax whose meaning
// it does not work out).
func TestFastYAMLGivesUp(t *testing.T) {
	for _, src := range []string{
		"regions:\n- id: a\n  bogus: 1\n",                               // unknown key
		"regions:\n- id: a\n  id: b\n",                                  // duplicate key
		"regions:\n- id: a\n  queues:\n  - id: q\n    sla_minutes: 0\n", // explicit 0
		"regions:\n- id: a\n  heartbeat_seconds: '0'\n",
		"regions:\n- id: 12\n",                        // an int where a string is wanted
		"regions:\n- id: yes\n",                       // YAML 1.1 boolean word
		"regions:\n- id: null\n",                      // null
		"regions:\n- id: a # comment\n",               // trailing comment
		"regions:\n- id: &x a\n",                      // anchor
		"regions:\n- id: \"a\\tb\"\n",                 // escape
		"regions:\n- id: a\n  name: two\n    lines\n", // multi-line plain scalar
		"regions:\n- id: a\n  name: |\n    block\n",   // block scalar
		"regions: [{id: a}]\n",                        // flow collection
		"regions:\n- id: a\n  heartbeat_seconds: 0x10\n",
		"regions:\n- id: a\n  heartbeat_seconds: 010\n",
		"regions:\n- id: a\n  hand_back: True\n",
		"---\nregions: []\n",
		"regions:\n\t- id: a\n",
		"regions:\r\n- id: a\r\n",
		"regions:\n- id: a\n  agents:\n  - id: x\n    absences:\n    - start: 2026-01-01T00:00:00Z\n", // time.Time
		"regions:\n- id: a\n tests: []\n", // bad indentation
		"",
		"just a scalar\n",
	} {
		var f File
		if err := fastDecode([]byte(src), &f); err != errSlow {
			t.Errorf("fastDecode(%q) = %v, want errSlow", src, err)
		}
	}
}

// FuzzFastYAML: whenever the fast decoder takes a file, the library
// decodes it to the same value.
func FuzzFastYAML(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.yaml")
	paths = append(paths, "../examples/config/language-school.yaml")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	o := gen.Large
	o.Rules, o.ScoringRules, o.Queues, o.Agents = 12, 3, 4, 10
	if b, err := Encode(gen.Config(o)); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		"regions:\n- id: a\n  name: 'it''s'\n  queues: []\n  agents: []\n",
		"regions:\n-   id: a\n    name: \"x: y\"\n    agents:\n    - id: b\n      skills: {}\n      attributes:\n        k:\n        - v\n",
		"presence:\n- name: x\n  routable: true\nregions:\n- id: a\n  rules:\n  - name: r\n    when: item.x in [\"a\", \"b\"] && item.y > -3\n    queue: q\n    priority: -0\n",
		"regions:\n- - a\n  - b\n",
		"tests:\n- name: t\n  item:\n    type: lead\n  expect:\n    score: 3\n    skills:\n    - a\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sameAsLibrary(t, b)
	})
}

package rules

import (
	"strings"
	"testing"

	"github.com/allot/allot"
)

// region builds a region with the given routing and scoring conditions.
func region(routing []string, scoring ...string) *allot.Region {
	r := &allot.Region{ID: "r"}
	for i, w := range routing {
		r.Rules = append(r.Rules, allot.Rule{Name: "r" + itoa(i), Queue: "q", When: w})
	}
	for i, w := range scoring {
		r.ScoringRules = append(r.ScoringRules, allot.ScoringRule{Name: "s" + itoa(i), When: w, Points: 1})
	}
	return r
}

func itoa(i int) string { return string(rune('a'+i%26)) + strings.Repeat("x", i/26) }

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		routing []string
		scoring []string
		want    map[string]string // path -> substring of the message
	}{
		{
			name:    "syntax error",
			routing: []string{`item.country == "DE" &&`},
			want:    map[string]string{"rules[0].when": "line 1, column 24: Syntax error"},
		},
		{
			name:    "undeclared variable",
			routing: []string{`item.country == "DE"`, `country == "DE"`},
			want:    map[string]string{"rules[1].when": "undeclared reference to 'country'"},
		},
		{
			name:    "not a bool",
			routing: []string{`item.score + 1`},
			want:    map[string]string{"rules[0].when": "must be a bool, but it is int"},
		},
		{
			name:    "string literal is not a bool",
			scoring: []string{`"yes"`},
			want:    map[string]string{"scoring_rules[0].when": "must be a bool, but it is string"},
		},
		{
			name:    "scoring rule reads the score",
			scoring: []string{`item.country == "DE"`, `item.score > 50`},
			want:    map[string]string{"scoring_rules[1].when": "line 1, column 5: a scoring condition cannot use item.score"},
		},
		{
			name:    "scoring rule reads the tier by index",
			scoring: []string{`item["tier"] == "hot"`},
			want:    map[string]string{"scoring_rules[0].when": "cannot use item.tier"},
		},
		{
			name:    "scoring rule tests the tier",
			scoring: []string{`has(item.tier) || "score" in item`},
			want:    map[string]string{"scoring_rules[0].when": "cannot use item.tier"},
		},
		{
			name:    "routing rules may read score and tier",
			routing: []string{`item.score > 50 && item.tier == "hot"`},
		},
		{
			name:    "every bad rule is reported",
			routing: []string{`item.a ==`, `item.a == 1`, `nope`, ``, `1`},
			scoring: []string{`item.score > 1`, `item.a == 1`, `item.a ===`},
			want: map[string]string{
				"rules[0].when":         "Syntax error",
				"rules[2].when":         "undeclared reference to 'nope'",
				"rules[4].when":         "must be a bool",
				"scoring_rules[0].when": "cannot use item.score",
				"scoring_rules[2].when": "Syntax error",
			},
		},
		{
			name:    "multi-line condition reported on one line",
			routing: []string{"item.a == 1 &&\n  item.b ==\n  "},
			want:    map[string]string{"rules[0].when": "line 3, column 3: Syntax error"},
		},
		{
			name:    "bad regular expression",
			routing: []string{`item.email.matches("[")`},
			want:    map[string]string{"rules[0].when": "missing closing ]"},
		},
		{
			name:    "the same bad text in two rules",
			routing: []string{`x`, `x`},
			want: map[string]string{
				"rules[0].when": "undeclared reference to 'x'",
				"rules[1].when": "undeclared reference to 'x'",
			},
		},
		{
			name:    "empty and blank conditions are fine",
			routing: []string{``, `  `},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, ps := Compile(region(tt.routing, tt.scoring...))
			if (s == nil) != (len(ps) > 0) {
				t.Fatalf("Set is nil: %v, problems: %v; want exactly one of them", s == nil, ps)
			}
			got := map[string]string{}
			for _, p := range ps {
				if strings.ContainsAny(p.Message, "\n\r") {
					t.Errorf("%s: message spans lines: %q", p.Path, p.Message)
				}
				got[p.Path] = p.Message
			}
			for path, want := range tt.want {
				if msg, ok := got[path]; !ok {
					t.Errorf("no problem at %s; got %v", path, ps)
				} else if !strings.Contains(msg, want) {
					t.Errorf("%s: %q does not contain %q", path, msg, want)
				}
			}
			for path := range got {
				if _, ok := tt.want[path]; !ok {
					t.Errorf("unexpected problem %s: %s", path, got[path])
				}
			}
		})
	}
}

func TestCompileDisabledRuleErrors(t *testing.T) {
	t.Parallel()
	r := region([]string{`item.a ==`})
	r.Rules[0].Disabled = true
	if _, ps := Compile(r); len(ps) != 1 || ps[0].Path != "rules[0].when" {
		t.Fatalf("problems = %v, want one at rules[0].when", ps)
	}
}

func TestCompileDoesNotChangeRegion(t *testing.T) {
	t.Parallel()
	r := region([]string{`item.a == 1`}, `item.b == 2`)
	r.Tiers = []allot.Tier{{Name: "cold", MinScore: 0}, {Name: "hot", MinScore: 10}}
	if _, ps := Compile(r); len(ps) > 0 {
		t.Fatal(ps)
	}
	if r.Tiers[0].Name != "cold" {
		t.Errorf("Compile reordered the region's tiers: %v", r.Tiers)
	}
}

func TestLen(t *testing.T) {
	t.Parallel()
	s, ps := Compile(region([]string{`true`, `false`, ``}, `true`))
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	if s.Len() != 3 {
		t.Errorf("Len = %d, want 3", s.Len())
	}
}

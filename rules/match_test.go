package rules

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/allot/allot"
)

// lead builds an item of type lead with attributes given as key, value pairs.
func lead(kv ...any) *allot.Item {
	it := &allot.Item{Type: "lead", ExternalID: "00Q1", Priority: 2, Attributes: map[string]any{}}
	for i := 0; i+1 < len(kv); i += 2 {
		it.Attributes[kv[i].(string)] = kv[i+1]
	}
	return it
}

// mustCompile compiles r or fails the test.
func mustCompile(t *testing.T, r *allot.Region) *Set {
	t.Helper()
	s, ps := Compile(r)
	if len(ps) > 0 {
		t.Fatalf("Compile: %v", ps)
	}
	return s
}

// classifyBoth classifies it with the index and without, fails the test if
// they differ, and returns the result.
func classifyBoth(t *testing.T, s *Set, it *allot.Item) Result {
	t.Helper()
	got, slow := s.Classify(it), s.ClassifySlow(it)
	if !reflect.DeepEqual(got, slow) {
		t.Fatalf("Classify = %+v, ClassifySlow = %+v", got, slow)
	}
	return got
}

func TestMatchSemantics(t *testing.T) {
	t.Parallel()
	many := make([]string, 30)
	for i := range many {
		many[i] = "t"
	}
	tests := []struct {
		name string
		when string
		item *allot.Item
		want bool
	}{
		{"eq", `item.country == "DE"`, lead("country", "DE"), true},
		{"eq other value", `item.country == "DE"`, lead("country", "FR"), false},
		{"eq is case sensitive", `item.country == "DE"`, lead("country", "de"), false},
		{"in", `item.program in ["ielts", "toefl"]`, lead("program", "toefl"), true},
		{"in other value", `item.program in ["ielts", "toefl"]`, lead("program", "gre"), false},
		{"in empty list", `item.program in []`, lead("program", "gre"), false},
		{"reversed eq", `"DE" == item.country`, lead("country", "DE"), true},
		{"index syntax", `item["country"] == "DE"`, lead("country", "DE"), true},
		{"index syntax in", `item["country"] in ["AT", "DE"]`, lead("country", "DE"), true},
		{"example from the docs", `item.country == "DE" && item.program in ["ielts", "toefl"] && item.score > 50`, lead("country", "DE", "program", "ielts"), false},

		{"int literal, float64 value", `item.n == 3`, lead("n", 3.0), true},
		{"int literal, int64 value", `item.n == 3`, lead("n", int64(3)), true},
		{"int literal, int value", `item.n == 3`, lead("n", 3), true},
		{"double literal, int value", `item.n == 3.0`, lead("n", 3), true},
		{"uint literal, float64 value", `item.n == 3u`, lead("n", 3.0), true},
		{"negative", `item.n == -3`, lead("n", -3.0), true},
		{"negative zero", `item.n == 0`, lead("n", math.Copysign(0, -1)), true},
		{"in mixed kinds", `item.n in [1, 2.5, "x"]`, lead("n", 2.5), true},
		{"int literal, fractional value", `item.n == 3`, lead("n", 3.5), false},
		{"string is not a number", `item.n == 3`, lead("n", "3"), false},
		{"number is not a string", `item.n == "3"`, lead("n", 3.0), false},
		{"NaN equals nothing", `item.n == 3 || item.n in [1.5]`, lead("n", math.NaN()), false},
		{"NaN differs from everything", `item.n != 3`, lead("n", math.NaN()), true},
		{"uint literal, negative value", `item.n == 18446744073709551615u`, lead("n", int64(-1)), false},
		// CEL compares int with double through float64, so 2^53+1 == 2^53.0.
		{"beyond 2^53, as CEL says", `item.n == 9007199254740992.0`, lead("n", int64(1<<53+1)), true},
		{"beyond 2^53, int literal", `item.n == 9007199254740993`, lead("n", float64(1<<53)), true},
		{"beyond 2^53, ints exact", `item.n == 9007199254740993`, lead("n", int64(1<<53)), false},
		{"huge double", `item.n in [1e300]`, lead("n", 1e300), true},
		{"infinity", `item.n == 1`, lead("n", math.Inf(1)), false},

		{"bool", `item.vip == true`, lead("vip", true), true},
		{"bool is not a number", `item.vip == 1`, lead("vip", true), false},

		{"missing key eq", `item.missing == "x"`, lead(), false},
		{"missing key ne", `item.missing != "x"`, lead(), false},
		{"missing key in", `item.missing in ["x"]`, lead(), false},
		{"missing key negated", `!(item.missing in ["x"])`, lead(), false},
		{"missing key ordering", `item.missing > 1`, lead(), false},
		{"has", `has(item.country)`, lead("country", "DE"), true},
		{"has missing", `has(item.country)`, lead(), false},
		{"not has", `!has(item.country)`, lead(), true},
		{"nil attributes", `item.country == "DE"`, &allot.Item{Type: "lead"}, false},

		{"list is not a scalar", `item.tags == "a"`, lead("tags", []string{"a"}), false},
		{"list in list literal", `item.tags in ["a"]`, lead("tags", []string{"a"}), false},
		{"member of []string", `"a" in item.tags`, lead("tags", []string{"b", "a"}), true},
		{"member of []any", `"a" in item.tags`, lead("tags", []any{"b", "a"}), true},
		{"not a member", `"c" in item.tags`, lead("tags", []any{"b", "a"}), false},
		{"in a string is an error", `"a" in item.tags`, lead("tags", "abc"), false},
		{"list equality", `item.tags == ["a", "b"]`, lead("tags", []any{"a", "b"}), true},

		{"ne", `item.country != "DE"`, lead("country", "FR"), true},
		{"ne same", `item.country != "DE"`, lead("country", "DE"), false},
		{"ne other type", `item.country != 1`, lead("country", "DE"), true},
		{"negated in", `!(item.country in ["DE", "AT"])`, lead("country", "FR"), true},
		{"negated eq", `!(item.country == "DE")`, lead("country", "DE"), false},

		{"greater", `item.budget > 1000`, lead("budget", 1500.0), true},
		{"greater equal boundary", `item.budget >= 1000`, lead("budget", int64(1000)), true},
		{"greater boundary", `item.budget > 1000`, lead("budget", 1000.0), false},
		{"less, int value, double literal", `item.budget < 10.5`, lead("budget", 10), true},
		{"reversed ordering", `1000 < item.budget`, lead("budget", 1500.0), true},
		{"reversed ordering false", `1000 >= item.budget`, lead("budget", 1500.0), false},
		{"ordering a string with a number", `item.budget > 1000`, lead("budget", "1500"), false},
		{"ordering NaN", `item.budget <= 1000`, lead("budget", math.NaN()), false},
		{"ordering strings", `item.post_code >= "75000" && item.post_code < "76000"`, lead("post_code", "75011"), true},
		{"ordering bools", `item.vip > false`, lead("vip", true), true},
		{"ordering a list", `item.tags > 1`, lead("tags", []string{"a"}), false},

		{"size of a list", `size(item.tags) > 1`, lead("tags", []any{"a", "b"}), true},
		{"size counts characters", `item.name.size() == 3`, lead("name", "hé!"), true},
		{"size of a number", `size(item.n) > 0`, lead("n", 1.0), false},
		{"endsWith", `item.email.endsWith(".edu")`, lead("email", "a@b.edu"), true},
		{"endsWith not a string", `item.email.endsWith(".edu")`, lead("email", 1.0), false},
		{"startsWith", `item.external_id.startsWith("00Q")`, lead(), true},
		{"contains", `item.email.contains("@")`, lead("email", "a@b"), true},

		{"or absorbs an error", `item.missing == 2 || item.a == 1`, lead("a", 1.0), true},
		{"or of two falses", `item.a == 2 || item.b == 1`, lead("a", 1.0), false},
		{"and inside or", `(item.a == 1 && item.b > 2) || item.c.startsWith("x")`, lead("a", 1.0, "b", 3.0), true},
		{"CEL only: arithmetic", `item.budget / 12.0 > 100.0`, lead("budget", 1500.0), true},
		{"CEL only: a runtime error is no match", `item.a / 0 == 1`, lead("a", int64(1)), false},
		{"CEL only: a type error is no match", `item.a + 1 == 2`, lead("a", "1"), false},
		{"CEL only: a non-bool result is no match", `item.a`, lead("a", "yes"), false},
		{"CEL only: a bool attribute", `item.a`, lead("a", true), true},
		{"CEL only: comprehension", `item.tags.exists(t, t.startsWith("vi"))`, lead("tags", []string{"x", "vip"}), true},

		{"reserved type", `item.type == "lead"`, lead(), true},
		{"reserved priority", `item.priority >= 2 && item.priority in [2]`, lead(), true},
		{"reserved wins over an attribute", `item.type == "lead"`, lead("type", "case"), true},
		{"score is 0 with no scoring rule", `item.score == 0 && item.tier == "default"`, lead("score", 99.0), true},

		{"whole map: key in item", `"country" in item`, lead("country", "DE"), true},
		{"whole map: size", `size(item) == 6`, lead("country", "DE"), true}, // country + 5 reserved
		{"whole map: exists", `item.exists(k, k == "tier")`, lead(), true},
		{"whole map: dynamic key", `item["coun" + "try"] == "DE"`, lead("country", "DE"), true},

		{"within the cost limit", `item.tags.all(a, item.tags.all(b, item.tags.all(c, true)))`, lead("tags", []string{"t", "t", "t"}), true},
		{"over the cost limit", `item.tags.all(a, item.tags.all(b, item.tags.all(c, true)))`, lead("tags", many), false},

		{"empty condition", ``, lead(), true},
		{"literal true", `true`, lead(), true},
		{"literal false", `false`, lead(), false},
		{"true conjunct", `true && item.a == 1`, lead("a", 1.0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := mustCompile(t, region([]string{tt.when}))
			want := -1
			if tt.want {
				want = 0
			}
			if got := classifyBoth(t, s, tt.item).Rule; got != want {
				t.Errorf("%s on %v: Rule = %d, want %d", tt.when, tt.item.Attributes, got, want)
			}
			if got := s.Match(0, tt.item, 0, "default"); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	tiers := []allot.Tier{{Name: "warm", MinScore: 40}, {Name: "cold", MinScore: -10}, {Name: "hot", MinScore: 80}}
	type scoring struct {
		when   string
		points int
	}
	tests := []struct {
		name     string
		routing  []string
		disabled []int
		scoring  []scoring
		tiers    []allot.Tier
		item     *allot.Item
		want     Result
	}{
		{
			name:    "first match wins",
			routing: []string{`item.a == 2`, `item.a == 1`, `item.a in [1, 2]`, ``},
			item:    lead("a", 1.0),
			want:    Result{Tier: "default", Rule: 1},
		},
		{
			name:    "a catch-all after the index",
			routing: []string{`item.a == 2`, `item.b == 1`, ``},
			item:    lead("a", 1.0),
			want:    Result{Tier: "default", Rule: 2},
		},
		{
			name:    "a catch-all before the index",
			routing: []string{``, `item.a == 1`},
			item:    lead("a", 1.0),
			want:    Result{Tier: "default", Rule: 0},
		},
		{
			name:     "disabled rules never match",
			routing:  []string{`item.a == 1`, ``, `item.a == 1`},
			disabled: []int{0, 1},
			item:     lead("a", 1.0),
			want:     Result{Tier: "default", Rule: 2},
		},
		{
			name:    "no rule matches",
			routing: []string{`item.a == 2`},
			item:    lead("a", 1.0),
			want:    Result{Tier: "default", Rule: -1},
		},
		{
			name:    "scores add up",
			scoring: []scoring{{`item.a == 1`, 30}, {`item.b == 1`, 100}, {``, 5}, {`item.a > 0`, 10}},
			tiers:   tiers,
			item:    lead("a", 1.0),
			want:    Result{Score: 45, Tier: "warm", Rule: -1, ScoringRules: []int{0, 2, 3}},
		},
		{
			name:    "the threshold itself is in the tier",
			scoring: []scoring{{`item.a == 1`, 80}},
			tiers:   tiers,
			item:    lead("a", 1.0),
			want:    Result{Score: 80, Tier: "hot", Rule: -1, ScoringRules: []int{0}},
		},
		{
			name:    "negative scores",
			scoring: []scoring{{`item.a == 1`, -5}, {`item.a == 1`, -5}},
			tiers:   tiers,
			item:    lead("a", 1.0),
			want:    Result{Score: -10, Tier: "cold", Rule: -1, ScoringRules: []int{0, 1}},
		},
		{
			name:    "below every tier is the lowest tier",
			scoring: []scoring{{`item.a == 1`, -50}},
			tiers:   tiers,
			item:    lead("a", 1.0),
			want:    Result{Score: -50, Tier: "cold", Rule: -1, ScoringRules: []int{0}},
		},
		{
			name:  "no scoring rule matches",
			tiers: tiers,
			item:  lead(),
			want:  Result{Score: 0, Tier: "cold", Rule: -1},
		},
		{
			name:    "routing sees the new score and tier",
			routing: []string{`item.tier == "hot" && item.score < 90`, `item.tier == "warm"`},
			scoring: []scoring{{`item.a == 1`, 50}, {`item.b == 1`, 35}},
			tiers:   tiers,
			item:    func() *allot.Item { it := lead("a", 1.0, "b", 1.0); it.Score, it.Tier = 0, "cold"; return it }(),
			want:    Result{Score: 85, Tier: "hot", Rule: 0, ScoringRules: []int{0, 1}},
		},
		{
			name:    "scoring does not see the score",
			scoring: []scoring{{`size(item) == 4`, 1}, {`item.exists(k, k == "score")`, 100}},
			item:    func() *allot.Item { it := lead("a", 1.0); it.Score = 7; return it }(),
			want:    Result{Score: 1, Tier: "default", Rule: -1, ScoringRules: []int{0}}, // a + type, external_id, priority
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := region(tt.routing)
			for _, i := range tt.disabled {
				r.Rules[i].Disabled = true
			}
			for i, sr := range tt.scoring {
				r.ScoringRules = append(r.ScoringRules, allot.ScoringRule{Name: "s" + itoa(i), When: sr.when, Points: sr.points})
			}
			r.Tiers = tt.tiers
			s := mustCompile(t, r)
			before := *tt.item
			if got := classifyBoth(t, s, tt.item); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Classify = %+v, want %+v", got, tt.want)
			}
			if tt.item.Score != before.Score || tt.item.Tier != before.Tier {
				t.Errorf("Classify changed the item: %+v", tt.item)
			}
			for i := range tt.routing {
				want := i == tt.want.Rule
				if i > tt.want.Rule && tt.want.Rule >= 0 {
					continue // later rules may match too
				}
				if got := s.Match(i, tt.item, tt.want.Score, tt.want.Tier); got != want {
					t.Errorf("Match(%d) = %v, want %v", i, got, want)
				}
			}
		})
	}
}

func TestMatchOutOfRange(t *testing.T) {
	t.Parallel()
	s := mustCompile(t, region([]string{``}))
	for _, i := range []int{-1, 1} {
		if s.Match(i, lead(), 0, "") {
			t.Errorf("Match(%d) = true", i)
		}
	}
}

// The view of the item that CEL reads must be the map the documentation
// describes: check it against CEL over a plain map.
func TestViewEqualsPlainMap(t *testing.T) {
	t.Parallel()
	it := lead("country", "DE", "n", 3.0, "tags", []any{"a", "b"}, "type", "case")
	conds := []string{
		`item == {"country": "DE", "n": 3, "tags": ["a", "b"], "type": "lead", "external_id": "00Q1", "priority": 2, "score": 5, "tier": "t"}`,
		`size(item) == 8`,
		`item.all(k, k in ["country", "n", "tags", "type", "external_id", "priority", "score", "tier"])`,
		`"tier" in item && !("nope" in item) && !(dyn(1) in item)`,
		`item[dyn("n")] == 3`,
		`item.type == "lead"`,
	}
	for _, when := range conds {
		s := mustCompile(t, region([]string{when}))
		if !s.Match(0, it, 5, "t") {
			t.Errorf("%s: no match", when)
		}
	}
}

func TestConcurrentClassify(t *testing.T) {
	t.Parallel()
	g := newLeadGen(7)
	s := mustCompile(t, g.region(300, 30))
	items := make([]*allot.Item, 64)
	want := make([]Result, len(items))
	for i := range items {
		items[i] = g.item()
		want[i] = s.ClassifySlow(items[i])
	}
	done := make(chan string)
	for w := range 4 {
		go func() {
			var errs strings.Builder
			for n := range 200 {
				i := (n + w*17) % len(items)
				if got := s.Classify(items[i]); !reflect.DeepEqual(got, want[i]) {
					errs.WriteString("mismatch ")
				}
			}
			done <- errs.String()
		}()
	}
	for range 4 {
		if e := <-done; e != "" {
			t.Error(e)
		}
	}
}

// More scoring rules than Classify's bitset holds: indices stay ascending.
func TestManyScoringRules(t *testing.T) {
	t.Parallel()
	var scoring []string
	for i := range 1100 {
		scoring = append(scoring, []string{`item.a == 1`, `item.a == 2`, `item.b > 0`, ``}[i%4])
	}
	s := mustCompile(t, region(nil, scoring...))
	got := classifyBoth(t, s, lead("a", 1.0, "b", 1.0))
	if len(got.ScoringRules) != 825 || got.Score != 825 {
		t.Fatalf("Score %d with %d rules, want 825", got.Score, len(got.ScoringRules))
	}
	if !slices.IsSorted(got.ScoringRules) {
		t.Errorf("ScoringRules not ascending")
	}
}

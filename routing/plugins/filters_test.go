package plugins_test

import (
	"testing"
	"time"
	_ "time/tzdata" // zones for the tests, whatever the host has

	"github.com/allot/allot"
	"github.com/allot/allot/routing"
	"github.com/allot/allot/routing/plugins"
)

// Builders shared by the tests of this package.

// t0 is Monday 2026-11-23, 09:00 UTC.
var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// paris is Europe/Paris: UTC+1 in winter, UTC+2 in summer.
var paris = mustLoc("Europe/Paris")

func mustLoc(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// dayNum is the civil day number (days since 1970-01-01) of a date,
// computed independently of routing.CivilDay.
func dayNum(y int, m time.Month, d int) int64 {
	return time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Unix() / 86400
}

// agentB builds a member: an eligible agent (routable, on shift, weight 1,
// capacity 10, three tiers) by default; each method changes one thing.
type agentB struct{ m *routing.Member }

func agent(id string) *agentB {
	b := &agentB{m: &routing.Member{
		AgentState: &routing.AgentState{
			Presence: "available",
			Routable: true,
			OnShift:  true,
			Loc:      time.UTC,
		},
		TierVC: make([]int64, 3),
	}}
	b.m.SetAgent(&allot.Agent{ID: id, Weight: 1, Capacity: allot.Capacity{Total: 10}, Presence: "available"})
	return b
}

// agentChanged refreshes the state's copies of the agent's config, as a
// config change does.
func (b *agentB) agentChanged() *agentB { b.m.SetAgent(b.m.Agent); return b }

func (b *agentB) skill(s string, level int) *agentB {
	if b.m.Agent.Skills == nil {
		b.m.Agent.Skills = map[string]int{}
	}
	b.m.Agent.Skills[s] = level
	return b
}

func (b *agentB) attr(k string, vs ...string) *agentB {
	if b.m.Agent.Attributes == nil {
		b.m.Agent.Attributes = map[string][]string{}
	}
	b.m.Agent.Attributes[k] = vs
	return b
}

func (b *agentB) capacity(total int) *agentB {
	b.m.Agent.Capacity.Total = total
	return b.agentChanged()
}

func (b *agentB) perType(t string, n int) *agentB {
	if b.m.Agent.Capacity.PerType == nil {
		b.m.Agent.Capacity.PerType = map[string]int{}
	}
	b.m.Agent.Capacity.PerType[t] = n
	return b.agentChanged()
}

// load sets the total load in units.
func (b *agentB) load(n int) *agentB { b.m.Load = n; return b }

// typeIndex numbers the item types of the tests, as the engine does
// (routing.Cycle.TypeIndex).
var typeIndex = map[string]int{"lead": 0, "case": 1, "call": 2}

// typeLoad sets one type's load in units (not the total).
func (b *agentB) typeLoad(t string, n int) *agentB {
	i := typeIndex[t]
	b.m.AddTypeLoad(i, n-b.m.TypeLoadOf(i))
	return b
}

func (b *agentB) weight(w int) *agentB { b.m.Agent.Weight = w; return b.agentChanged() }
func (b *agentB) manual() *agentB      { b.m.Agent.Manual = true; return b.agentChanged() }
func (b *agentB) offShift() *agentB    { b.m.OnShift = false; return b }
func (b *agentB) absent() *agentB      { b.m.Absent = true; return b }

func (b *agentB) presence(p string, routable bool) *agentB {
	b.m.Presence, b.m.Routable = p, routable
	return b
}

func (b *agentB) loc(l *time.Location) *agentB { b.m.Loc = l; return b }

// withCap adds a cap with its current counts.
func (b *agentB) withCap(cp allot.Cap, cnt routing.CapCount) *agentB {
	b.m.Agent.Caps = append(b.m.Agent.Caps, cp)
	b.m.Caps = append(b.m.Caps, cnt)
	return b
}

// last sets the sequence of the member's last assignment from the queue.
func (b *agentB) last(seq uint64) *agentB { b.m.LastSeq = seq; return b }
func (b *agentB) vc(n int64) *agentB      { b.m.VC, b.m.Count = n, n; return b }
func (b *agentB) tierVC(ns ...int64) *agentB {
	b.m.TierVC = ns
	return b
}

func member(b *agentB) *routing.Member { return b.m }

// members returns the built members with Pos set to their index.
func members(bs ...*agentB) []*routing.Member {
	ms := make([]*routing.Member, len(bs))
	for i, b := range bs {
		b.m.Pos = i
		ms[i] = b.m
	}
	return ms
}

// cycleB builds a cycle for one item of type "lead", 1 unit, tier 0, at t0.
type cycleB struct{ c routing.Cycle }

func cycle() *cycleB {
	return &cycleB{c: routing.Cycle{
		Item:  &allot.Item{ID: "it1", Type: "lead", Attributes: map[string]any{}},
		Units: 1,
		Now:   t0,
	}}
}

func (b *cycleB) typ(t string) *cycleB   { b.c.Item.Type, b.c.TypeIndex = t, typeIndex[t]; return b }
func (b *cycleB) units(n int) *cycleB    { b.c.Units = n; return b }
func (b *cycleB) tier(i int) *cycleB     { b.c.TierIndex = i; return b }
func (b *cycleB) pull() *cycleB          { b.c.Pull = true; return b }
func (b *cycleB) at(t time.Time) *cycleB { b.c.Now = t; return b }

func (b *cycleB) need(skill string, minLevel int) *cycleB {
	b.c.Skills = append(b.c.Skills, allot.SkillReq{Skill: skill, MinLevel: minLevel})
	return b
}

func (b *cycleB) match(am allot.AttrMatch) *cycleB { b.c.Match = append(b.c.Match, am); return b }
func (b *cycleB) attr(k string, v any) *cycleB     { b.c.Item.Attributes[k] = v; return b }
func (b *cycleB) exclude(ids ...string) *cycleB {
	b.c.Excluded = append(b.c.Excluded, ids...)
	return b
}

func (b *cycleB) sticky(m *routing.Member) *cycleB { b.c.Sticky = m.AgentState; return b }

func (b *cycleB) build() *routing.Cycle { return &b.c }

// filterCase is one row of a filter table: want is the rejection reason, ""
// when the member is eligible.
type filterCase struct {
	name string
	c    *cycleB
	m    *agentB
	want string
}

func runFilterTable(t *testing.T, f routing.Filter, tests []filterCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := f.Filter(tt.c.build(), member(tt.m))
			if got.Reason != tt.want {
				t.Errorf("%s.Filter() reason = %q, want %q", f.Name(), got.Reason, tt.want)
			}
			if got.OK() != (tt.want == "") {
				t.Errorf("%s.Filter().OK() = %v, want %v", f.Name(), got.OK(), tt.want == "")
			}
		})
	}
}

func TestFilterNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		f    routing.Filter
		want string
	}{
		{plugins.Presence{}, "presence"},
		{plugins.Schedule{}, "schedule"},
		{plugins.Exclusion{}, "exclusion"},
		{plugins.Skills{}, "skills"},
		{plugins.Attributes{}, "attributes"},
		{plugins.Capacity{}, "capacity"},
		{plugins.Caps{}, "caps"},
	}
	for _, tt := range tests {
		if got := tt.f.Name(); got != tt.want {
			t.Errorf("%T.Name() = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestPresence(t *testing.T) {
	t.Parallel()
	runFilterTable(t, plugins.Presence{}, []filterCase{
		{name: "routable", c: cycle(), m: agent("a"), want: ""},
		{name: "routable on pull", c: cycle().pull(), m: agent("a"), want: ""},
		{name: "not routable", c: cycle(), m: agent("a").presence("lunch", false), want: plugins.ReasonNotRoutable},
		{name: "not routable on pull", c: cycle().pull(), m: agent("a").presence("break", false), want: plugins.ReasonNotRoutable},
		{name: "manual pushed", c: cycle(), m: agent("a").manual(), want: plugins.ReasonManual},
		{name: "manual pulled", c: cycle().pull(), m: agent("a").manual(), want: ""},
		{name: "manual not routable reports presence first", c: cycle(), m: agent("a").manual().presence("offline", false), want: plugins.ReasonNotRoutable},
	})
}

func TestSchedule(t *testing.T) {
	t.Parallel()
	runFilterTable(t, plugins.Schedule{}, []filterCase{
		{name: "on shift", c: cycle(), m: agent("a"), want: ""},
		{name: "off shift", c: cycle(), m: agent("a").offShift(), want: plugins.ReasonOffShift},
		{name: "absent on shift", c: cycle(), m: agent("a").absent(), want: plugins.ReasonAbsent},
		{name: "absent and off shift reports absence", c: cycle(), m: agent("a").absent().offShift(), want: plugins.ReasonAbsent},
	})
}

func TestExclusion(t *testing.T) {
	t.Parallel()
	runFilterTable(t, plugins.Exclusion{}, []filterCase{
		{name: "nobody excluded", c: cycle(), m: agent("a"), want: ""},
		{name: "others excluded", c: cycle().exclude("b", "c"), m: agent("a"), want: ""},
		{name: "excluded", c: cycle().exclude("b", "a"), m: agent("a"), want: plugins.ReasonExcluded},
		{name: "ids compared exactly", c: cycle().exclude("A", "a2"), m: agent("a"), want: ""},
	})
}

func TestSkills(t *testing.T) {
	t.Parallel()
	runFilterTable(t, plugins.Skills{}, []filterCase{
		{name: "no requirement", c: cycle(), m: agent("a"), want: ""},
		{name: "no requirement, agent with skills", c: cycle(), m: agent("a").skill("fr", 1), want: ""},
		{name: "missing skill", c: cycle().need("fr", 1), m: agent("a").skill("de", 5), want: plugins.ReasonSkill},
		{name: "agent without skills", c: cycle().need("fr", 1), m: agent("a"), want: plugins.ReasonSkill},
		{name: "level below", c: cycle().need("fr", 3), m: agent("a").skill("fr", 2), want: plugins.ReasonSkill},
		{name: "level equal", c: cycle().need("fr", 3), m: agent("a").skill("fr", 3), want: ""},
		{name: "level above", c: cycle().need("fr", 3), m: agent("a").skill("fr", 5), want: ""},
		{name: "several all met", c: cycle().need("fr", 2).need("tax", 4), m: agent("a").skill("fr", 2).skill("tax", 5).skill("de", 1), want: ""},
		{name: "several first unmet", c: cycle().need("fr", 3).need("tax", 4), m: agent("a").skill("fr", 2).skill("tax", 5), want: plugins.ReasonSkill},
		{name: "several last unmet", c: cycle().need("fr", 2).need("tax", 4), m: agent("a").skill("fr", 2).skill("tax", 3), want: plugins.ReasonSkill},
		{name: "several one missing", c: cycle().need("fr", 2).need("tax", 1), m: agent("a").skill("fr", 2), want: plugins.ReasonSkill},
	})
}

func TestAttributes(t *testing.T) {
	t.Parallel()
	lang := allot.AttrMatch{Item: "language", Agent: "languages", Op: allot.MatchIn}
	langOpt := allot.AttrMatch{Item: "language", Agent: "languages", Op: allot.MatchIn, Optional: true}
	zip := allot.AttrMatch{Item: "zip", Agent: "territory", Op: allot.MatchTerritory}
	speaker := func() *agentB { return agent("a").attr("languages", "en", "fr").attr("territory", "75", "10000-19999") }
	runFilterTable(t, plugins.Attributes{}, []filterCase{
		{name: "no match required", c: cycle(), m: speaker(), want: ""},
		{name: "string in", c: cycle().match(lang).attr("language", "fr"), m: speaker(), want: ""},
		{name: "string not in", c: cycle().match(lang).attr("language", "de"), m: speaker(), want: plugins.ReasonAttribute},
		{name: "string is case sensitive", c: cycle().match(lang).attr("language", "FR"), m: speaker(), want: plugins.ReasonAttribute},
		{name: "default op is in", c: cycle().match(allot.AttrMatch{Item: "language", Agent: "languages"}).attr("language", "en"), m: speaker(), want: ""},
		{name: "[]string any element", c: cycle().match(lang).attr("language", []string{"de", "fr"}), m: speaker(), want: ""},
		{name: "[]string no element", c: cycle().match(lang).attr("language", []string{"de", "es"}), m: speaker(), want: plugins.ReasonAttribute},
		{name: "empty []string", c: cycle().match(lang).attr("language", []string{}), m: speaker(), want: plugins.ReasonAttribute},
		{name: "[]any any string element", c: cycle().match(lang).attr("language", []any{"de", 3.0, "en"}), m: speaker(), want: ""},
		{name: "[]any no string element matches", c: cycle().match(lang).attr("language", []any{"de", true}), m: speaker(), want: plugins.ReasonAttribute},
		{name: "missing attribute, required", c: cycle().match(lang), m: speaker(), want: plugins.ReasonAttribute},
		{name: "missing attribute, optional", c: cycle().match(langOpt), m: speaker(), want: ""},
		{name: "present attribute, optional, not in", c: cycle().match(langOpt).attr("language", "de"), m: speaker(), want: plugins.ReasonAttribute},
		{name: "agent lacks the attribute", c: cycle().match(lang).attr("language", "fr"), m: agent("a"), want: plugins.ReasonAttribute},
		{name: "territory prefix", c: cycle().match(zip).attr("zip", "75011"), m: speaker(), want: ""},
		{name: "territory range", c: cycle().match(zip).attr("zip", "12345"), m: speaker(), want: ""},
		{name: "territory outside", c: cycle().match(zip).attr("zip", "69001"), m: speaker(), want: plugins.ReasonAttribute},
		{name: "every match must hold", c: cycle().match(lang).match(zip).attr("language", "fr").attr("zip", "69001"), m: speaker(), want: plugins.ReasonAttribute},
		{name: "every match holds", c: cycle().match(lang).match(zip).attr("language", "fr").attr("zip", "75001"), m: speaker(), want: ""},
	})
}

func TestMatchAttr(t *testing.T) {
	t.Parallel()
	agentAttrs := map[string][]string{
		"languages": {"en", "fr"},
		"zips":      {"75", "SW1", "10000-19999"},
		"numbers":   {"75", "1", "true"},
	}
	in := func(item string, opt bool) allot.AttrMatch {
		return allot.AttrMatch{Item: item, Agent: "languages", Op: allot.MatchIn, Optional: opt}
	}
	terr := func(item string, opt bool) allot.AttrMatch {
		return allot.AttrMatch{Item: item, Agent: "zips", Op: allot.MatchTerritory, Optional: opt}
	}
	num := allot.AttrMatch{Item: "n", Agent: "numbers", Op: allot.MatchIn}
	numTerr := allot.AttrMatch{Item: "n", Agent: "numbers", Op: allot.MatchTerritory}
	tests := []struct {
		name string
		am   allot.AttrMatch
		item map[string]any
		want bool
	}{
		{name: "in string", am: in("l", false), item: map[string]any{"l": "fr"}, want: true},
		{name: "in string miss", am: in("l", false), item: map[string]any{"l": "de"}, want: false},
		{name: "in empty string", am: in("l", false), item: map[string]any{"l": ""}, want: false},
		{name: "in []string", am: in("l", false), item: map[string]any{"l": []string{"de", "en"}}, want: true},
		{name: "in []string miss", am: in("l", false), item: map[string]any{"l": []string{"de"}}, want: false},
		{name: "in nil []string", am: in("l", false), item: map[string]any{"l": []string(nil)}, want: false},
		{name: "in []any", am: in("l", false), item: map[string]any{"l": []any{int64(1), "fr"}}, want: true},
		{name: "in []any miss", am: in("l", false), item: map[string]any{"l": []any{"de", nil}}, want: false},
		{name: "missing required", am: in("l", false), item: map[string]any{"x": "fr"}, want: false},
		{name: "missing optional", am: in("l", true), item: map[string]any{"x": "fr"}, want: true},
		{name: "nil item map optional", am: in("l", true), item: nil, want: true},
		{name: "nil item map required", am: in("l", false), item: nil, want: false},
		{name: "present optional miss", am: in("l", true), item: map[string]any{"l": "de"}, want: false},
		{name: "float64 never matches", am: num, item: map[string]any{"n": 75.0}, want: false},
		{name: "int64 never matches", am: num, item: map[string]any{"n": int64(1)}, want: false},
		{name: "int never matches", am: num, item: map[string]any{"n": 1}, want: false},
		{name: "bool never matches", am: num, item: map[string]any{"n": true}, want: false},
		{name: "number never matches territory", am: numTerr, item: map[string]any{"n": 75.0}, want: false},
		{name: "[]any of numbers never matches", am: num, item: map[string]any{"n": []any{75.0, int64(1)}}, want: false},
		{name: "numbers as strings match", am: num, item: map[string]any{"n": "75"}, want: true},
		{name: "territory prefix", am: terr("z", false), item: map[string]any{"z": "75011"}, want: true},
		{name: "territory upper case with space", am: terr("z", false), item: map[string]any{"z": "SW1A 1AA"}, want: true},
		{name: "territory range", am: terr("z", false), item: map[string]any{"z": "19999"}, want: true},
		{name: "territory miss", am: terr("z", false), item: map[string]any{"z": "20000"}, want: false},
		{name: "territory []string", am: terr("z", false), item: map[string]any{"z": []string{"20000", "sw1a 2aa"}}, want: true},
		{name: "territory []any", am: terr("z", false), item: map[string]any{"z": []any{1.0, "75116"}}, want: true},
		{name: "territory missing optional", am: terr("z", true), item: map[string]any{}, want: true},
		{name: "territory missing required", am: terr("z", false), item: map[string]any{}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := plugins.MatchAttr(&tt.am, tt.item, agentAttrs); got != tt.want {
				t.Errorf("MatchAttr(%+v, %v) = %v, want %v", tt.am, tt.item, got, tt.want)
			}
		})
	}
}

func TestInTerritory(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		code, ter string
		want      bool
	}{
		{name: "prefix", code: "75011", ter: "75", want: true},
		{name: "empty territory matches nothing", code: "75011", ter: "", want: false},
		{name: "lone hyphen matches nothing", code: "75011", ter: "-", want: false},
		{name: "hyphenated code against its prefix", code: "00-950", ter: "00-9", want: true},
		{name: "hyphenated code against a plain prefix", code: "00-950", ter: "009", want: true},
		{name: "hyphenated code in a range", code: "00-950", ter: "00000-00999", want: true},
		{name: "hyphenated code outside a range", code: "01-950", ter: "00000-00999", want: false},
		{name: "longer prefix", code: "75011", ter: "750", want: true},
		{name: "whole code as prefix", code: "75011", ter: "75011", want: true},
		{name: "other prefix", code: "75011", ter: "751", want: false},
		{name: "code shorter than prefix", code: "7", ter: "75", want: false},
		{name: "prefix is not a substring match", code: "17501", ter: "75", want: false},
		{name: "upper case code with space", code: "SW1A 1AA", ter: "sw1", want: true},
		{name: "lower case code, upper case prefix", code: "sw1a1aa", ter: "SW1", want: true},
		{name: "spaces removed from both", code: "SW1A 1AA", ter: "SW1A 1", want: true},
		{name: "several spaces", code: " SW1A  1AA ", ter: "sw1a1", want: true},
		{name: "upper case other district", code: "SW2A 1AA", ter: "sw1", want: false},
		{name: "range inside", code: "15000", ter: "10000-19999", want: true},
		{name: "range low bound inclusive", code: "10000", ter: "10000-19999", want: true},
		{name: "range high bound inclusive", code: "19999", ter: "10000-19999", want: true},
		{name: "range below", code: "09999", ter: "10000-19999", want: false},
		{name: "range above", code: "20000", ter: "10000-19999", want: false},
		{name: "range compares the code's leading characters", code: "75011A", ter: "75000-75999", want: true},
		{name: "range code longer, leading part outside", code: "7601", ter: "750-759", want: false},
		{name: "range code shorter than bounds", code: "1500", ter: "10000-19999", want: false},
		{name: "range empty code", code: "", ter: "10000-19999", want: false},
		{name: "range unequal-length bounds", code: "1500", ter: "100-2000", want: false},
		{name: "range unequal-length bounds, code fits the low", code: "150", ter: "100-2000", want: false},
		{name: "range with spaces and upper case", code: "sw1a 1aa", ter: "SW1A 0AA - SW1A 2ZZ", want: true},
		{name: "range with upper case code", code: "SW1A 3AA", ter: "sw1a0aa-sw1a2zz", want: false},
		{name: "single-code range", code: "75011", ter: "75011-75011", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := plugins.InTerritory(tt.code, tt.ter); got != tt.want {
				t.Errorf("InTerritory(%q, %q) = %v, want %v", tt.code, tt.ter, got, tt.want)
			}
		})
	}
}

func TestCapacity(t *testing.T) {
	t.Parallel()
	runFilterTable(t, plugins.Capacity{}, []filterCase{
		{name: "empty", c: cycle(), m: agent("a").capacity(3), want: ""},
		{name: "room left", c: cycle(), m: agent("a").capacity(3).load(1), want: ""},
		{name: "exact fit", c: cycle(), m: agent("a").capacity(3).load(2), want: ""},
		{name: "full", c: cycle(), m: agent("a").capacity(3).load(3), want: plugins.ReasonNoCapacity},
		{name: "over full", c: cycle(), m: agent("a").capacity(3).load(5), want: plugins.ReasonNoCapacity},
		{name: "zero capacity", c: cycle(), m: agent("a").capacity(0), want: plugins.ReasonNoCapacity},
		{name: "units exact fit", c: cycle().units(3), m: agent("a").capacity(5).load(2), want: ""},
		{name: "units one too many", c: cycle().units(4), m: agent("a").capacity(5).load(2), want: plugins.ReasonNoCapacity},
		{name: "units larger than an empty agent", c: cycle().units(6), m: agent("a").capacity(5), want: plugins.ReasonNoCapacity},
		{name: "per type room", c: cycle().typ("call"), m: agent("a").capacity(5).perType("call", 2).load(1).typeLoad("call", 1), want: ""},
		{name: "per type full", c: cycle().typ("call"), m: agent("a").capacity(5).perType("call", 2).load(2).typeLoad("call", 2), want: plugins.ReasonTypeFull},
		{name: "per type zero", c: cycle().typ("call"), m: agent("a").capacity(5).perType("call", 0), want: plugins.ReasonTypeFull},
		{name: "per type of another type", c: cycle().typ("lead"), m: agent("a").capacity(5).perType("call", 2).load(2).typeLoad("call", 2), want: ""},
		{name: "per type units exact fit", c: cycle().typ("call").units(2), m: agent("a").capacity(10).perType("call", 4).load(2).typeLoad("call", 2), want: ""},
		{name: "per type units too many", c: cycle().typ("call").units(3), m: agent("a").capacity(10).perType("call", 4).load(2).typeLoad("call", 2), want: plugins.ReasonTypeFull},
		{name: "other types' load counts in total", c: cycle().typ("call"), m: agent("a").capacity(3).perType("call", 3).load(3).typeLoad("lead", 3), want: plugins.ReasonNoCapacity},
		{name: "total checked before type", c: cycle().typ("call"), m: agent("a").capacity(2).perType("call", 2).load(2).typeLoad("call", 2), want: plugins.ReasonNoCapacity},
	})
}

func TestCaps(t *testing.T) {
	t.Parallel()
	// t0 is Monday 2026-11-23.
	today, week := dayNum(2026, 11, 23), dayNum(2026, 11, 23)
	yesterday, lastWeek := today-1, week-7
	// 23:30 UTC on Tuesday 24 is already Wednesday 25 in Paris (UTC+1).
	lateTue := time.Date(2026, 11, 24, 23, 30, 0, 0, time.UTC)
	tue, wed := dayNum(2026, 11, 24), dayNum(2026, 11, 25)
	// 23:30 UTC on Sunday 29 is already Monday 30 in Paris: a new week.
	lateSun := time.Date(2026, 11, 29, 23, 30, 0, 0, time.UTC)
	sun, nextWeek := dayNum(2026, 11, 29), dayNum(2026, 11, 30)
	// 00:30 Paris time on Monday 23 is still Sunday 22 in UTC.
	earlyMonParis := time.Date(2026, 11, 23, 0, 30, 0, 0, paris)

	daily := allot.Cap{PerDay: 2}
	weekly := allot.Cap{PerWeek: 5}
	callsDaily := allot.Cap{Type: "call", PerDay: 1}
	runFilterTable(t, plugins.Caps{}, []filterCase{
		{name: "no caps", c: cycle(), m: agent("a"), want: ""},
		{name: "day under cap", c: cycle(), m: agent("a").withCap(daily, routing.CapCount{Day: today, DayN: 1, Week: week, WeekN: 1}), want: ""},
		{name: "day at cap", c: cycle(), m: agent("a").withCap(daily, routing.CapCount{Day: today, DayN: 2, Week: week, WeekN: 2}), want: plugins.ReasonCapDay},
		{name: "day over cap", c: cycle(), m: agent("a").withCap(daily, routing.CapCount{Day: today, DayN: 3, Week: week, WeekN: 3}), want: plugins.ReasonCapDay},
		{name: "stale day key means zero", c: cycle(), m: agent("a").withCap(daily, routing.CapCount{Day: yesterday, DayN: 9, Week: week, WeekN: 9}), want: ""},
		{name: "zero count", c: cycle(), m: agent("a").withCap(daily, routing.CapCount{}), want: ""},
		{name: "per day zero means no limit", c: cycle(), m: agent("a").withCap(allot.Cap{PerWeek: 100}, routing.CapCount{Day: today, DayN: 50, Week: week, WeekN: 50}), want: ""},
		{name: "week under cap", c: cycle(), m: agent("a").withCap(weekly, routing.CapCount{Day: today, DayN: 4, Week: week, WeekN: 4}), want: ""},
		{name: "week at cap", c: cycle(), m: agent("a").withCap(weekly, routing.CapCount{Day: yesterday, DayN: 1, Week: week, WeekN: 5}), want: plugins.ReasonCapWeek},
		{name: "stale week key means zero", c: cycle(), m: agent("a").withCap(weekly, routing.CapCount{Day: yesterday, DayN: 5, Week: lastWeek, WeekN: 5}), want: ""},
		{name: "day and week: day under, week at cap", c: cycle(), m: agent("a").withCap(allot.Cap{PerDay: 3, PerWeek: 5}, routing.CapCount{Day: today, DayN: 1, Week: week, WeekN: 5}), want: plugins.ReasonCapWeek},
		{name: "day and week both at cap reports day", c: cycle(), m: agent("a").withCap(allot.Cap{PerDay: 3, PerWeek: 5}, routing.CapCount{Day: today, DayN: 3, Week: week, WeekN: 5}), want: plugins.ReasonCapDay},
		{name: "type cap, other type", c: cycle().typ("lead"), m: agent("a").withCap(callsDaily, routing.CapCount{Day: today, DayN: 1, Week: week, WeekN: 1}), want: ""},
		{name: "type cap, its type", c: cycle().typ("call"), m: agent("a").withCap(callsDaily, routing.CapCount{Day: today, DayN: 1, Week: week, WeekN: 1}), want: plugins.ReasonCapDay},
		{name: "all-types cap applies to every type", c: cycle().typ("call"), m: agent("a").withCap(daily, routing.CapCount{Day: today, DayN: 2, Week: week, WeekN: 2}), want: plugins.ReasonCapDay},
		{name: "second cap rejects", c: cycle().typ("call"), m: agent("a").
			withCap(allot.Cap{Type: "lead", PerDay: 1}, routing.CapCount{Day: today, DayN: 1, Week: week, WeekN: 1}).
			withCap(allot.Cap{Type: "call", PerWeek: 2}, routing.CapCount{Day: today, DayN: 2, Week: week, WeekN: 2}), want: plugins.ReasonCapWeek},
		{name: "all caps under", c: cycle().typ("call"), m: agent("a").
			withCap(allot.Cap{PerDay: 5}, routing.CapCount{Day: today, DayN: 2, Week: week, WeekN: 2}).
			withCap(allot.Cap{Type: "call", PerDay: 3}, routing.CapCount{Day: today, DayN: 2, Week: week, WeekN: 2}), want: ""},
		// Day boundaries in the agent's zone.
		{name: "late UTC counted on UTC day, agent in UTC", c: cycle().at(lateTue), m: agent("a").withCap(daily, routing.CapCount{Day: tue, DayN: 2, Week: week, WeekN: 2}), want: plugins.ReasonCapDay},
		{name: "late UTC is the next day in Paris", c: cycle().at(lateTue), m: agent("a").loc(paris).withCap(daily, routing.CapCount{Day: tue, DayN: 2, Week: week, WeekN: 2}), want: ""},
		{name: "count of the Paris day applies in Paris", c: cycle().at(lateTue), m: agent("a").loc(paris).withCap(daily, routing.CapCount{Day: wed, DayN: 2, Week: week, WeekN: 2}), want: plugins.ReasonCapDay},
		{name: "count of the Paris day is stale in UTC", c: cycle().at(lateTue), m: agent("a").withCap(daily, routing.CapCount{Day: wed, DayN: 2, Week: week, WeekN: 2}), want: ""},
		{name: "late Sunday UTC, same week in UTC", c: cycle().at(lateSun), m: agent("a").withCap(weekly, routing.CapCount{Day: sun, DayN: 1, Week: week, WeekN: 5}), want: plugins.ReasonCapWeek},
		{name: "late Sunday UTC is a new week in Paris", c: cycle().at(lateSun), m: agent("a").loc(paris).withCap(weekly, routing.CapCount{Day: sun, DayN: 1, Week: week, WeekN: 5}), want: ""},
		{name: "new Paris week counted", c: cycle().at(lateSun), m: agent("a").loc(paris).withCap(weekly, routing.CapCount{Day: nextWeek, DayN: 5, Week: nextWeek, WeekN: 5}), want: plugins.ReasonCapWeek},
		{name: "early Monday Paris is still last week in UTC", c: cycle().at(earlyMonParis), m: agent("a").withCap(weekly, routing.CapCount{Day: today - 1, DayN: 5, Week: lastWeek, WeekN: 5}), want: plugins.ReasonCapWeek},
		{name: "early Monday Paris is a new week in Paris", c: cycle().at(earlyMonParis), m: agent("a").loc(paris).withCap(weekly, routing.CapCount{Day: today - 1, DayN: 5, Week: lastWeek, WeekN: 5}), want: ""},
	})
}

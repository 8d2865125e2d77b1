package allot_test

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/allot/allot"
)

// Builders for config fixtures. Each returns a fresh value, so a test may
// mutate what it gets without touching any other test's fixture.

type agentB struct{ a allot.Agent }

func agent(id string) agentB { return agentB{allot.Agent{ID: id, Capacity: allot.Capacity{Total: 3}}} }

func (b agentB) Skill(name string, level int) agentB {
	b.a.Skills = maps.Clone(b.a.Skills)
	if b.a.Skills == nil {
		b.a.Skills = map[string]int{}
	}
	b.a.Skills[name] = level
	return b
}

func (b agentB) Attr(name string, vals ...string) agentB {
	b.a.Attributes = maps.Clone(b.a.Attributes)
	if b.a.Attributes == nil {
		b.a.Attributes = map[string][]string{}
	}
	b.a.Attributes[name] = vals
	return b
}

func (b agentB) Capacity(total int) agentB { b.a.Capacity.Total = total; return b }

func (b agentB) PerType(typ string, n int) agentB {
	b.a.Capacity.PerType = maps.Clone(b.a.Capacity.PerType)
	if b.a.Capacity.PerType == nil {
		b.a.Capacity.PerType = map[string]int{}
	}
	b.a.Capacity.PerType[typ] = n
	return b
}

func (b agentB) Weight(w int) agentB      { b.a.Weight = w; return b }
func (b agentB) Presence(p string) agentB { b.a.Presence = p; return b }
func (b agentB) Cap(c allot.Cap) agentB   { b.a.Caps = append(slices.Clone(b.a.Caps), c); return b }

func (b agentB) Absent(from, to string) agentB {
	b.a.Absences = append(slices.Clone(b.a.Absences), allot.Absence{Start: ts(from), End: ts(to)})
	return b
}

func (b agentB) Shift(tz, days, start, end string) agentB {
	s := &allot.Schedule{TimeZone: tz}
	if b.a.Schedule != nil {
		s.Shifts = slices.Clone(b.a.Schedule.Shifts)
	}
	s.Shifts = append(s.Shifts, allot.Shift{Days: days, Start: start, End: end})
	b.a.Schedule = s
	return b
}

type queueB struct{ q allot.Queue }

func queue(id string, members ...string) queueB { return queueB{allot.Queue{ID: id, Members: members}} }

func (b queueB) Policy(p allot.Policy) queueB { b.q.Policy = p; return b }
func (b queueB) Order(o string) queueB        { b.q.Order = o; return b }
func (b queueB) SLA(min int) queueB           { b.q.SLAMinutes = min; return b }

func (b queueB) Overflow(to string, after int) queueB {
	b.q.Overflow, b.q.OverflowAfterMinutes = to, after
	return b
}

type ruleB struct{ r allot.Rule }

func rule(name, queue string) ruleB { return ruleB{allot.Rule{Name: name, Queue: queue}} }

func (b ruleB) When(cel string) ruleB { b.r.When = cel; return b }

func (b ruleB) Skill(s string, min int) ruleB {
	b.r.Skills = append(slices.Clone(b.r.Skills), allot.SkillReq{Skill: s, MinLevel: min})
	return b
}

func (b ruleB) Match(item, agent string, op allot.MatchOp) ruleB {
	b.r.Match = append(slices.Clone(b.r.Match), allot.AttrMatch{Item: item, Agent: agent, Op: op})
	return b
}

type regionB struct{ r allot.Region }

func region(id string) regionB { return regionB{allot.Region{ID: id}} }

func (b regionB) TZ(tz string) regionB { b.r.TimeZone = tz; return b }

func (b regionB) Agents(as ...agentB) regionB {
	for _, a := range as {
		b.r.Agents = append(b.r.Agents, a.a)
	}
	return b
}

func (b regionB) Queues(qs ...queueB) regionB {
	for _, q := range qs {
		b.r.Queues = append(b.r.Queues, q.q)
	}
	return b
}

func (b regionB) Rules(rs ...ruleB) regionB {
	for _, r := range rs {
		b.r.Rules = append(b.r.Rules, r.r)
	}
	return b
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// validConfig is a small config that passes validation once defaulted. Every
// call builds a new, unshared value.
func validConfig() allot.Config {
	r := region("eu").TZ("Europe/Paris").
		Agents(
			agent("ana").Skill("fr", 4).Skill("en", 3).Attr("languages", "fr", "en").
				Capacity(3).PerType("lead", 2).
				Shift("Europe/Paris", "mon-fri", "09:00", "17:00").
				Absent("2026-08-01T00:00:00Z", "2026-08-15T00:00:00Z"),
			agent("bob").Skill("de", 2).Capacity(2),
			agent("cy").Capacity(1).Weight(5).Presence("available").Cap(allot.Cap{PerDay: 10}),
		).
		Queues(
			queue("sales", "ana", "bob").Overflow("fallback", 30),
			queue("fallback", "bob", "cy").Order("fifo"),
			queue("support", "cy").Policy(allot.LeastLoaded).SLA(60),
		).
		Rules(
			rule("fr-leads", "sales").When(`item.country == "FR"`).Skill("fr", 2).Match("language", "languages", allot.MatchIn),
			rule("rest", "support"),
		).r
	r.ItemTypes = []allot.ItemType{{Name: "lead", Units: 1}, {Name: "case", Units: 2}}
	r.Tiers = []allot.Tier{{Name: "hot", MinScore: 80}, {Name: "warm", MinScore: 40}, {Name: "cold", MinScore: 0}}
	r.ScoringRules = []allot.ScoringRule{{Name: "big", When: "item.size > 10", Points: 20}}
	r.DefaultQueue = "support"
	return allot.Config{Regions: []allot.Region{r}}
}

// validate runs the documented sequence: defaults, then validate.
func validate(c allot.Config) allot.Problems {
	d := c.WithDefaults()
	return d.Validate()
}

func TestValidConfig(t *testing.T) {
	t.Parallel()
	if ps := validate(validConfig()); ps != nil {
		t.Fatalf("valid config: got problems %v", ps)
	}
	if err := validate(validConfig()).Err("config"); err != nil {
		t.Fatalf("valid config: Err = %v, want nil", err)
	}
}

type wantProblem struct {
	path string
	msg  string // substring of the message
}

func TestValidateProblems(t *testing.T) {
	t.Parallel()
	r0 := func(c *allot.Config) *allot.Region { return &c.Regions[0] }
	tests := []struct {
		name   string
		mutate func(c *allot.Config)
		want   []wantProblem
	}{
		// Rules.
		{
			name:   "rule to unknown queue",
			mutate: func(c *allot.Config) { r0(c).Rules[0].Queue = "nope" },
			want:   []wantProblem{{"regions[0].rules[0].queue", `unknown queue "nope"`}},
		},
		{
			name:   "rule without queue",
			mutate: func(c *allot.Config) { r0(c).Rules[1].Queue = "" },
			want:   []wantProblem{{"regions[0].rules[1].queue", "required"}},
		},
		{
			name:   "duplicate rule name",
			mutate: func(c *allot.Config) { r0(c).Rules = append(r0(c).Rules, rule("fr-leads", "sales").r) },
			want:   []wantProblem{{"regions[0].rules[2].name", `duplicate rule name "fr-leads"`}},
		},
		{
			name:   "rule without name",
			mutate: func(c *allot.Config) { r0(c).Rules[1].Name = "" },
			want:   []wantProblem{{"regions[0].rules[1].name", "required"}},
		},
		{
			name:   "rule skill min_level below 1",
			mutate: func(c *allot.Config) { r0(c).Rules[0].Skills[0].MinLevel = -1 },
			want:   []wantProblem{{"regions[0].rules[0].skills[0].min_level", "must be between 1 and 5, got -1"}},
		},
		{
			name:   "rule skill min_level above 5",
			mutate: func(c *allot.Config) { r0(c).Rules[0].Skills[0].MinLevel = 6 },
			want:   []wantProblem{{"regions[0].rules[0].skills[0].min_level", "must be between 1 and 5, got 6"}},
		},
		{
			name:   "rule skill without name",
			mutate: func(c *allot.Config) { r0(c).Rules[0].Skills[0].Skill = "" },
			want:   []wantProblem{{"regions[0].rules[0].skills[0].skill", "required"}},
		},
		{
			name:   "bad match op",
			mutate: func(c *allot.Config) { r0(c).Rules[0].Match[0].Op = "regex" },
			want:   []wantProblem{{"regions[0].rules[0].match[0].op", `unknown match op "regex"; want in or territory`}},
		},
		{
			name: "bad match attribute names",
			mutate: func(c *allot.Config) {
				r0(c).Rules[0].Match[0].Item = "first-name"
				r0(c).Rules[0].Match[0].Agent = "1lang"
			},
			want: []wantProblem{
				{"regions[0].rules[0].match[0].item", `bad item attribute name "first-name"`},
				{"regions[0].rules[0].match[0].agent", `bad agent attribute name "1lang"`},
			},
		},
		{
			name:   "negative rule SLA",
			mutate: func(c *allot.Config) { r0(c).Rules[0].SLAMinutes = -5 },
			want:   []wantProblem{{"regions[0].rules[0].sla_minutes", "must not be negative, got -5"}},
		},
		{
			name: "duplicate scoring rule name",
			mutate: func(c *allot.Config) {
				r0(c).ScoringRules = append(r0(c).ScoringRules, allot.ScoringRule{Name: "big", When: "true", Points: 1})
			},
			want: []wantProblem{{"regions[0].scoring_rules[1].name", `duplicate scoring rule name "big"`}},
		},
		{
			name:   "scoring rule without condition",
			mutate: func(c *allot.Config) { r0(c).ScoringRules[0].When = "  " },
			want:   []wantProblem{{"regions[0].scoring_rules[0].when", "required"}},
		},

		// Queues.
		{
			name:   "unknown overflow queue",
			mutate: func(c *allot.Config) { r0(c).Queues[0].Overflow = "nope" },
			want:   []wantProblem{{"regions[0].queues[0].overflow", `unknown queue "nope"`}},
		},
		{
			name:   "overflow into itself",
			mutate: func(c *allot.Config) { r0(c).Queues[0].Overflow = "sales" },
			want:   []wantProblem{{"regions[0].queues[0].overflow", "cannot overflow into itself"}},
		},
		{
			name:   "overflow without overflow_after_minutes",
			mutate: func(c *allot.Config) { r0(c).Queues[0].OverflowAfterMinutes = 0 },
			want:   []wantProblem{{"regions[0].queues[0].overflow_after_minutes", "must be positive when overflow is set"}},
		},
		{
			name:   "overflow_after_minutes without overflow",
			mutate: func(c *allot.Config) { r0(c).Queues[1].OverflowAfterMinutes = 10 },
			want:   []wantProblem{{"regions[0].queues[1].overflow_after_minutes", "set only together with overflow"}},
		},
		{
			name:   "unknown policy lists valid policies",
			mutate: func(c *allot.Config) { r0(c).Queues[0].Policy = "fastest" },
			want: []wantProblem{{"regions[0].queues[0].policy",
				`unknown policy "fastest"; want one of round_robin, weighted_round_robin, least_loaded, most_available, best_match, quota_fair`}},
		},
		{
			name:   "unknown order",
			mutate: func(c *allot.Config) { r0(c).Queues[1].Order = "lifo" },
			want:   []wantProblem{{"regions[0].queues[1].order", `unknown order "lifo"; want priority or fifo`}},
		},
		{
			name:   "duplicate queue id",
			mutate: func(c *allot.Config) { r0(c).Queues = append(r0(c).Queues, queue("support").q) },
			want:   []wantProblem{{"regions[0].queues[3].id", `duplicate queue id "support"`}},
		},
		{
			name:   "unknown member agent",
			mutate: func(c *allot.Config) { r0(c).Queues[0].Members = append(r0(c).Queues[0].Members, "zed") },
			want:   []wantProblem{{"regions[0].queues[0].members[2]", `unknown agent "zed"`}},
		},
		{
			name:   "member listed twice",
			mutate: func(c *allot.Config) { r0(c).Queues[0].Members = append(r0(c).Queues[0].Members, "ana") },
			want:   []wantProblem{{"regions[0].queues[0].members[2]", `agent "ana" is listed twice`}},
		},
		{
			name:   "member from another region",
			mutate: func(c *allot.Config) { c.Regions = append(c.Regions, region("us").Queues(queue("q", "ana")).r) },
			want:   []wantProblem{{"regions[1].queues[0].members[0]", `unknown agent "ana"`}},
		},
		{
			name:   "negative queue SLA",
			mutate: func(c *allot.Config) { r0(c).Queues[2].SLAMinutes = -1 },
			want:   []wantProblem{{"regions[0].queues[2].sla_minutes", "must not be negative, got -1"}},
		},
		{
			name:   "bad sticky key",
			mutate: func(c *allot.Config) { r0(c).Queues[0].StickyKey = "account.id" },
			want:   []wantProblem{{"regions[0].queues[0].sticky_key", `bad attribute name "account.id"`}},
		},
		{
			name:   "unknown default queue",
			mutate: func(c *allot.Config) { r0(c).DefaultQueue = "nope" },
			want:   []wantProblem{{"regions[0].default_queue", `unknown queue "nope"`}},
		},

		// Agents.
		{
			name:   "duplicate agent id",
			mutate: func(c *allot.Config) { r0(c).Agents = append(r0(c).Agents, agent("ana").a) },
			want:   []wantProblem{{"regions[0].agents[3].id", `duplicate agent id "ana"`}},
		},
		{
			name: "agent defined in two regions",
			mutate: func(c *allot.Config) {
				c.Regions = append(c.Regions, region("us").Agents(agent("dan"), agent("bob")).r)
			},
			want: []wantProblem{{"regions[1].agents[1].id", `agent "bob" is already defined in region "eu"; agent ids are global`}},
		},
		{
			name:   "negative capacity",
			mutate: func(c *allot.Config) { r0(c).Agents[1].Capacity.Total = -1 },
			want:   []wantProblem{{"regions[0].agents[1].capacity.total", "must be between 0 and 1000000, got -1"}},
		},
		{
			name:   "capacity above maximum",
			mutate: func(c *allot.Config) { r0(c).Agents[1].Capacity.Total = allot.MaxCapacity + 1 },
			want:   []wantProblem{{"regions[0].agents[1].capacity.total", "got 1000001"}},
		},
		{
			name:   "negative per-type capacity",
			mutate: func(c *allot.Config) { r0(c).Agents[0].Capacity.PerType["lead"] = -2 },
			want:   []wantProblem{{"regions[0].agents[0].capacity.per_type.lead", "must be between 0 and 1000000, got -2"}},
		},
		{
			name:   "negative weight",
			mutate: func(c *allot.Config) { r0(c).Agents[2].Weight = -1 },
			want:   []wantProblem{{"regions[0].agents[2].weight", "must be between 1 and 1000, got -1"}},
		},
		{
			name:   "weight above maximum",
			mutate: func(c *allot.Config) { r0(c).Agents[2].Weight = allot.MaxWeight + 1 },
			want:   []wantProblem{{"regions[0].agents[2].weight", "got 1001"}},
		},
		{
			name:   "skill level 0",
			mutate: func(c *allot.Config) { r0(c).Agents[0].Skills["fr"] = 0 },
			want:   []wantProblem{{"regions[0].agents[0].skills.fr", "level must be between 1 and 5, got 0"}},
		},
		{
			name: "skill levels above 5, in skill order",
			mutate: func(c *allot.Config) {
				r0(c).Agents[0].Skills["fr"] = 6
				r0(c).Agents[0].Skills["en"] = 9
			},
			want: []wantProblem{
				{"regions[0].agents[0].skills.en", "got 9"},
				{"regions[0].agents[0].skills.fr", "got 6"},
			},
		},
		{
			name:   "bad agent attribute name",
			mutate: func(c *allot.Config) { r0(c).Agents[0].Attributes["post code"] = []string{"75"} },
			want:   []wantProblem{{"regions[0].agents[0].attributes", `bad attribute name "post code"`}},
		},
		{
			name:   "negative cap per day",
			mutate: func(c *allot.Config) { r0(c).Agents[2].Caps[0].PerDay = -1 },
			want:   []wantProblem{{"regions[0].agents[2].caps[0].per_day", "must not be negative, got -1"}},
		},
		{
			name:   "negative cap per week",
			mutate: func(c *allot.Config) { r0(c).Agents[2].Caps[0].PerWeek = -3 },
			want:   []wantProblem{{"regions[0].agents[2].caps[0].per_week", "must not be negative, got -3"}},
		},
		{
			name:   "empty cap",
			mutate: func(c *allot.Config) { r0(c).Agents[2].Caps = append(r0(c).Agents[2].Caps, allot.Cap{Type: "lead"}) },
			want:   []wantProblem{{"regions[0].agents[2].caps[1]", "a cap needs per_day or per_week"}},
		},
		{
			name:   "unknown presence status lists the catalogue",
			mutate: func(c *allot.Config) { r0(c).Agents[1].Presence = "vacation" },
			want: []wantProblem{{"regions[0].agents[1].presence",
				`unknown presence status "vacation"; want one of available, break, busy, lunch, offline`}},
		},
		{
			name:   "unknown schedule time zone",
			mutate: func(c *allot.Config) { r0(c).Agents[0].Schedule.TimeZone = "Europe/Atlantis" },
			want:   []wantProblem{{"regions[0].agents[0].schedule.time_zone", `unknown time zone "Europe/Atlantis"`}},
		},
		{
			name:   "schedule without time zone",
			mutate: func(c *allot.Config) { r0(c).Agents[0].Schedule.TimeZone = "" },
			want:   []wantProblem{{"regions[0].agents[0].schedule.time_zone", "required"}},
		},
		{
			name:   "schedule without shifts",
			mutate: func(c *allot.Config) { r0(c).Agents[0].Schedule.Shifts = nil },
			want:   []wantProblem{{"regions[0].agents[0].schedule.shifts", "at least one shift"}},
		},
		{
			name:   "bad shift days",
			mutate: func(c *allot.Config) { r0(c).Agents[0].Schedule.Shifts[0].Days = "mon-funday" },
			want:   []wantProblem{{"regions[0].agents[0].schedule.shifts[0].days", `bad day range "mon-funday"`}},
		},
		{
			name:   "bad shift start",
			mutate: func(c *allot.Config) { r0(c).Agents[0].Schedule.Shifts[0].Start = "9am" },
			want:   []wantProblem{{"regions[0].agents[0].schedule.shifts[0].start", `bad time "9am"`}},
		},
		{
			name:   "shift starting at 24:00",
			mutate: func(c *allot.Config) { r0(c).Agents[0].Schedule.Shifts[0].Start = "24:00" },
			want:   []wantProblem{{"regions[0].agents[0].schedule.shifts[0].start", "cannot start at 24:00"}},
		},
		{
			name:   "bad shift end",
			mutate: func(c *allot.Config) { r0(c).Agents[0].Schedule.Shifts[0].End = "17:60" },
			want:   []wantProblem{{"regions[0].agents[0].schedule.shifts[0].end", `bad time "17:60"`}},
		},
		{
			name: "absence ending before it starts",
			mutate: func(c *allot.Config) {
				r0(c).Agents[0].Absences[0].End = r0(c).Agents[0].Absences[0].Start.Add(-time.Hour)
			},
			want: []wantProblem{{"regions[0].agents[0].absences[0].end", "must be after start"}},
		},
		{
			name: "empty absence",
			mutate: func(c *allot.Config) {
				r0(c).Agents[0].Absences[0].End = r0(c).Agents[0].Absences[0].Start
			},
			want: []wantProblem{{"regions[0].agents[0].absences[0].end", "must be after start"}},
		},
		{
			name:   "absence without start",
			mutate: func(c *allot.Config) { r0(c).Agents[0].Absences[0].Start = time.Time{} },
			want:   []wantProblem{{"regions[0].agents[0].absences[0].start", "required"}},
		},
		{
			name: "overlapping absences",
			mutate: func(c *allot.Config) {
				a := &r0(c).Agents[0]
				a.Absences = append(a.Absences,
					allot.Absence{Start: ts("2026-08-15T00:00:00Z"), End: ts("2026-08-20T00:00:00Z")}, // touches: fine
					allot.Absence{Start: ts("2026-08-14T00:00:00Z"), End: ts("2026-08-16T00:00:00Z")}, // overlaps both
				)
			},
			want: []wantProblem{
				{"regions[0].agents[0].absences[2]", "overlaps absences[0]"},
				{"regions[0].agents[0].absences[2]", "overlaps absences[1]"},
			},
		},

		// Regions, tiers, item types, presence.
		{
			name:   "unknown region time zone",
			mutate: func(c *allot.Config) { r0(c).TimeZone = "Mars/Olympus" },
			want:   []wantProblem{{"regions[0].time_zone", `unknown time zone "Mars/Olympus"; want an IANA name`}},
		},
		{
			name:   "duplicate region id",
			mutate: func(c *allot.Config) { c.Regions = append(c.Regions, region("eu").r) },
			want:   []wantProblem{{"regions[1].id", `duplicate region id "eu"`}},
		},
		{
			name:   "duplicate tier name",
			mutate: func(c *allot.Config) { r0(c).Tiers = append(r0(c).Tiers, allot.Tier{Name: "hot", MinScore: 90}) },
			want:   []wantProblem{{"regions[0].tiers[3].name", `duplicate tier "hot"`}},
		},
		{
			name:   "two tiers at one threshold",
			mutate: func(c *allot.Config) { r0(c).Tiers = append(r0(c).Tiers, allot.Tier{Name: "tepid", MinScore: 40}) },
			want:   []wantProblem{{"regions[0].tiers[3].min_score", "another tier already starts at 40"}},
		},
		{
			name: "duplicate item type",
			mutate: func(c *allot.Config) {
				r0(c).ItemTypes = append(r0(c).ItemTypes, allot.ItemType{Name: "lead", Units: 1})
			},
			want: []wantProblem{{"regions[0].item_types[2].name", `duplicate item type "lead"`}},
		},
		{
			name:   "item type without units",
			mutate: func(c *allot.Config) { r0(c).ItemTypes[1].Units = 0 },
			want:   []wantProblem{{"regions[0].item_types[1].units", "must be between 1 and 1000, got 0"}},
		},
		{
			name: "duplicate presence status",
			mutate: func(c *allot.Config) {
				c.Presence = append(slices.Clone(allot.DefaultPresence), allot.PresenceStatus{Name: "lunch"})
			},
			want: []wantProblem{{"presence[5].name", `duplicate presence status "lunch"`}},
		},
		{
			name: "no routable presence status",
			mutate: func(c *allot.Config) {
				c.Presence = []allot.PresenceStatus{{Name: "offline"}, {Name: "available"}}
			},
			want: []wantProblem{{"presence", "no status is routable"}},
		},
		{
			// Documents a sharp edge: an agent's default presence is
			// "offline", which a custom catalogue must then declare.
			name: "custom presence catalogue without offline",
			mutate: func(c *allot.Config) {
				c.Presence = []allot.PresenceStatus{{Name: "on", Routable: true}, {Name: "available"}}
			},
			want: []wantProblem{
				{"regions[0].agents[0].presence", `unknown presence status "offline"; want one of available, on`},
				{"regions[0].agents[1].presence", `unknown presence status "offline"`},
			},
		},

		// Ids.
		{
			name:   "id with a space",
			mutate: func(c *allot.Config) { r0(c).ID = "eu west" },
			want:   []wantProblem{{"regions[0].id", `bad id "eu west"`}},
		},
		{
			name:   "empty region id",
			mutate: func(c *allot.Config) { r0(c).ID = "" },
			want:   []wantProblem{{"regions[0].id", "required"}},
		},
		{
			name:   "empty agent id",
			mutate: func(c *allot.Config) { r0(c).Agents = append(r0(c).Agents, agent("").a) },
			want:   []wantProblem{{"regions[0].agents[3].id", "required"}},
		},
		{
			name:   "queue id starting with a dash",
			mutate: func(c *allot.Config) { r0(c).Queues = append(r0(c).Queues, queue("-q").q) },
			want:   []wantProblem{{"regions[0].queues[3].id", `bad id "-q"`}},
		},
		{
			name:   "id longer than 128",
			mutate: func(c *allot.Config) { r0(c).Queues = append(r0(c).Queues, queue(strings.Repeat("q", 129)).q) },
			want:   []wantProblem{{"regions[0].queues[3].id", "at most 128"}},
		},
		{
			name:   "non-ASCII tier name",
			mutate: func(c *allot.Config) { r0(c).Tiers[0].Name = "très-chaud" },
			want:   []wantProblem{{"regions[0].tiers[0].name", `bad id "très-chaud"`}},
		},
		{
			name:   "rule name with a slash",
			mutate: func(c *allot.Config) { r0(c).Rules[1].Name = "a/b" },
			want:   []wantProblem{{"regions[0].rules[1].name", `bad id "a/b"`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := validConfig()
			tt.mutate(&c)
			checkProblems(t, validate(c), tt.want)
		})
	}
}

func checkProblems(t *testing.T, got allot.Problems, want []wantProblem) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n got: %v\nwant: %v", len(got), len(want), got, want)
	}
	for i, w := range want {
		if got[i].Path != w.path {
			t.Errorf("problem %d: path %q, want %q (message %q)", i, got[i].Path, w.path, got[i].Message)
		}
		if !strings.Contains(got[i].Message, w.msg) {
			t.Errorf("problem %d at %s: message %q does not contain %q", i, got[i].Path, got[i].Message, w.msg)
		}
	}
}

func TestValidateReturnsEveryProblem(t *testing.T) {
	t.Parallel()
	c := validConfig()
	r := &c.Regions[0]
	r.TimeZone = "Nowhere/Special"
	r.Agents[1].Capacity.Total = -1
	r.Agents[0].Schedule.Shifts[0].Days = "someday"
	r.Queues[2].Policy = "fastest"
	r.Rules[0].Queue = "nope"
	ps := validate(c)
	checkProblems(t, ps, []wantProblem{
		{"regions[0].time_zone", "unknown time zone"},
		{"regions[0].agents[0].schedule.shifts[0].days", `unknown day "someday"`},
		{"regions[0].agents[1].capacity.total", "got -1"},
		{"regions[0].queues[2].policy", "unknown policy"},
		{"regions[0].rules[0].queue", "unknown queue"},
	})

	err := ps.Err("config is invalid")
	if got := allot.ErrorCode(err); got != allot.EINVALID {
		t.Errorf("ErrorCode = %q, want %q", got, allot.EINVALID)
	}
	for _, p := range ps {
		if !strings.Contains(err.Error(), p.String()) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

// defaultsInput leaves every defaulted field empty.
func defaultsInput() allot.Config {
	return allot.Config{Regions: []allot.Region{
		region("eu").
			Agents(agent("ana"), agent("bob").Weight(7).Presence("available")).
			Queues(queue("sales", "ana", "bob"), queue("vip", "bob").Policy(allot.BestMatch).Order("fifo")).
			Rules(
				rule("fr", "sales").Skill("fr", 0).Skill("de", 3).
					Match("language", "languages", "").Match("zip", "territory", allot.MatchTerritory),
				rule("plain", "vip"),
			).r,
		region("us").TZ("America/New_York").r,
	}}
}

func TestWithDefaults(t *testing.T) {
	t.Parallel()
	in := defaultsInput()
	got := in.WithDefaults()

	if !reflect.DeepEqual(in, defaultsInput()) {
		t.Fatalf("WithDefaults changed its receiver:\n got %+v\nwant %+v", in, defaultsInput())
	}
	if !reflect.DeepEqual(got.Presence, allot.DefaultPresence) {
		t.Errorf("presence = %v, want DefaultPresence", got.Presence)
	}
	eu, us := got.Regions[0], got.Regions[1]
	if eu.TimeZone != "UTC" || us.TimeZone != "America/New_York" {
		t.Errorf("time zones = %q, %q; want UTC, America/New_York", eu.TimeZone, us.TimeZone)
	}
	wantTiers := []allot.Tier{{Name: "default", MinScore: 0}}
	if !reflect.DeepEqual(eu.Tiers, wantTiers) || !reflect.DeepEqual(us.Tiers, wantTiers) {
		t.Errorf("tiers = %v, %v; want %v", eu.Tiers, us.Tiers, wantTiers)
	}
	if q := eu.Queues[0]; q.Policy != allot.RoundRobin || q.Order != "priority" {
		t.Errorf("queue defaults = %q, %q; want round_robin, priority", q.Policy, q.Order)
	}
	if q := eu.Queues[1]; q.Policy != allot.BestMatch || q.Order != "fifo" {
		t.Errorf("explicit queue settings = %q, %q; want best_match, fifo", q.Policy, q.Order)
	}
	if a := eu.Agents[0]; a.Weight != 1 || a.Presence != "offline" {
		t.Errorf("agent defaults = %d, %q; want 1, offline", a.Weight, a.Presence)
	}
	if a := eu.Agents[1]; a.Weight != 7 || a.Presence != "available" {
		t.Errorf("explicit agent settings = %d, %q; want 7, available", a.Weight, a.Presence)
	}
	wantSkills := []allot.SkillReq{{Skill: "fr", MinLevel: 1}, {Skill: "de", MinLevel: 3}}
	if !reflect.DeepEqual(eu.Rules[0].Skills, wantSkills) {
		t.Errorf("rule skills = %v, want %v", eu.Rules[0].Skills, wantSkills)
	}
	if m := eu.Rules[0].Match; m[0].Op != allot.MatchIn || m[1].Op != allot.MatchTerritory {
		t.Errorf("match ops = %q, %q; want in, territory", m[0].Op, m[1].Op)
	}
	if eu.Rules[1].Skills != nil || eu.Rules[1].Match != nil {
		t.Errorf("rule without skills or match gained some: %+v", eu.Rules[1])
	}
	if ps := got.Validate(); ps != nil {
		t.Errorf("defaulted config has problems: %v", ps)
	}
	if again := got.WithDefaults(); !reflect.DeepEqual(again, got) {
		t.Errorf("WithDefaults is not idempotent:\n got %+v\nwant %+v", again, got)
	}

	// The result shares no mutable slices with its input or with the package.
	got.Presence[0].Name = "changed"
	got.Regions[0].TimeZone = "changed"
	got.Regions[0].Queues[0].Policy = "changed"
	got.Regions[0].Agents[0].Weight = 99
	got.Regions[0].Rules[0].Skills[0].MinLevel = 5
	got.Regions[0].Rules[0].Match[0].Op = "changed"
	got.Regions[0].Tiers[0].Name = "changed"
	if !reflect.DeepEqual(in, defaultsInput()) {
		t.Errorf("changing the result changed the input:\n got %+v\nwant %+v", in, defaultsInput())
	}
	if allot.DefaultPresence[0].Name != "available" {
		t.Errorf("changing the result changed DefaultPresence: %v", allot.DefaultPresence)
	}
	if again := in.WithDefaults(); !reflect.DeepEqual(again.Regions[0].Tiers, wantTiers) {
		t.Errorf("a later WithDefaults sees the change: tiers %v", again.Regions[0].Tiers)
	}
}

func TestWithDefaultsKeepsInputOfValidConfig(t *testing.T) {
	t.Parallel()
	in := validConfig()
	_ = in.WithDefaults()
	if !reflect.DeepEqual(in, validConfig()) {
		t.Fatalf("WithDefaults changed its receiver")
	}
}

func TestValidateAttributes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		attrs map[string]any
		want  []wantProblem
	}{
		{name: "nil", attrs: nil},
		{
			name: "valid mix",
			attrs: map[string]any{
				"country": "DE", "vip": true, "amount": 12.5, "count": int64(3), "n": 7,
				"langs": []string{"fr", "en"}, "programs": []any{"ielts", "toefl"}, "none": []any{},
				"_private": "", "A1_b2": "x", strings.Repeat("a", 64): "longest name",
			},
		},
		{
			name:  "reserved names",
			attrs: map[string]any{"type": "lead", "external_id": "x", "priority": 1, "score": 2.0, "tier": "hot"},
			want: []wantProblem{
				{"attributes.external_id", `"external_id" is reserved`},
				{"attributes.priority", `"priority" is reserved`},
				{"attributes.score", `"score" is reserved`},
				{"attributes.tier", `"tier" is reserved`},
				{"attributes.type", `"type" is reserved`},
			},
		},
		{
			name: "bad names",
			attrs: map[string]any{
				"": "x", "first-name": "x", "1st": "x", "a b": "x", "café": "x", "a.b": "x",
				strings.Repeat("a", 65): "too long",
			},
			want: []wantProblem{
				{"attributes", `bad attribute name ""`},
				{"attributes", `bad attribute name "1st"`},
				{"attributes", `bad attribute name "a b"`},
				{"attributes", `bad attribute name "a.b"`},
				{"attributes", `bad attribute name "aaaa`},
				{"attributes", `bad attribute name "café"`},
				{"attributes", `bad attribute name "first-name"`},
			},
		},
		{
			name:  "map value",
			attrs: map[string]any{"meta": map[string]any{"a": 1}},
			want:  []wantProblem{{"attributes.meta", "unsupported value of type map[string]interface {}"}},
		},
		{
			name:  "nested list",
			attrs: map[string]any{"tags": []any{"a", []any{"b"}}},
			want:  []wantProblem{{"attributes.tags[1]", "list elements must be strings"}},
		},
		{
			name:  "list with non-strings",
			attrs: map[string]any{"tags": []any{1.0, "a", true, nil}},
			want: []wantProblem{
				{"attributes.tags[0]", "list elements must be strings"},
				{"attributes.tags[2]", "list elements must be strings"},
				{"attributes.tags[3]", "list elements must be strings"},
			},
		},
		{
			name:  "other unsupported values",
			attrs: map[string]any{"a": nil, "b": []int{1}, "c": struct{}{}, "d": [][]string{{"x"}}},
			want: []wantProblem{
				{"attributes.a", "unsupported value of type <nil>"},
				{"attributes.b", "unsupported value of type []int"},
				{"attributes.c", "unsupported value of type struct {}"},
				{"attributes.d", "unsupported value of type [][]string"},
			},
		},
		{
			name:  "every problem, in name order",
			attrs: map[string]any{"z": map[string]string{}, "tier": 1, "ok": "fine", "bad-name": 1, "l": []any{2}},
			want: []wantProblem{
				{"attributes", `bad attribute name "bad-name"`},
				{"attributes.l[0]", "list elements must be strings"},
				{"attributes.tier", "reserved"},
				{"attributes.z", "unsupported value"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkProblems(t, allot.ValidateAttributes(tt.attrs), tt.want)
		})
	}
}

// TestValidateAttributesOneByOne checks the fast path (a single attribute
// decides it): every reserved name alone is refused, and every name of one
// or two bytes is accepted exactly when it is an identifier (a letter or _,
// then letters, digits or _).
func TestValidateAttributesOneByOne(t *testing.T) {
	t.Parallel()
	for _, k := range allot.ReservedAttributes {
		if ps := allot.ValidateAttributes(map[string]any{k: "x"}); len(ps) != 1 || ps[0].Path != "attributes."+k {
			t.Errorf("ValidateAttributes({%q}) = %v, want one problem at attributes.%s", k, ps, k)
		}
		if ps := allot.ValidateAttributes(map[string]any{k + "s": "x", "x" + k: "x"}); ps != nil {
			t.Errorf("names next to the reserved %q: %v, want valid", k, ps)
		}
	}
	letter := func(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	digit := func(c byte) bool { return c >= '0' && c <= '9' }
	for a := range 256 {
		for b := -1; b < 256; b++ {
			name, want := string([]byte{byte(a)}), letter(byte(a))
			if b >= 0 {
				name += string([]byte{byte(b)})
				want = want && (letter(byte(b)) || digit(byte(b)))
			}
			if got := allot.ValidateAttributes(map[string]any{name: "x"}) == nil; got != want {
				t.Fatalf("name %q: valid = %v, want %v", name, got, want)
			}
		}
	}
}

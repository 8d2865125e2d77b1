package engine

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/allot/allot"
	"github.com/allot/allot/internal/testenv"
	"github.com/allot/allot/routing"
	"github.com/allot/allot/routing/plugins"
)

// TestMain applies RAPID_CHECKS (see internal/testenv).
func TestMain(m *testing.M) { testenv.Main(m) }

var (
	propZones    = []string{"UTC", "Europe/Paris", "America/New_York"}
	propLangs    = []string{"en", "fr", "de"}
	propCountry  = []string{"FR", "DE", "US", "IT"}
	propPresence = []string{"available", "busy", "break", "lunch", "offline"}
)

// genConfig draws a random but valid one-region config.
func genConfig(t *rapid.T) allot.Config {
	r := allot.Region{ID: "eu", TimeZone: rapid.SampledFrom(propZones).Draw(t, "region_tz"),
		AbsencePolicy:         rapid.SampledFrom([]allot.AbsencePolicy{"", allot.AbsenceKeep, allot.AbsenceReassignUntouched, allot.AbsenceReassignAll}).Draw(t, "absencePolicy"),
		AwayAfterMissedOffers: rapid.IntRange(0, 2).Draw(t, "awayAfter"),
		HandBack:              rapid.Bool().Draw(t, "handBack"),
		MakeUpCredit:          rapid.IntRange(0, 3).Draw(t, "makeUp")}
	if rapid.Bool().Draw(t, "holidays") {
		r.Holidays = []allot.Holiday{{Date: rapid.SampledFrom([]string{"2026-11-23", "2026-11-24", "2026-11-25"}).Draw(t, "holiday")}}
	}
	r.ItemTypes = []allot.ItemType{{Name: "lead", Units: 1}, {Name: "case", Units: 2}}
	nAgents := rapid.IntRange(1, 6).Draw(t, "agents")
	for i := range nAgents {
		a := allot.Agent{
			ID:       fmt.Sprintf("a%d", i),
			Capacity: allot.Capacity{Total: rapid.IntRange(0, 4).Draw(t, "cap")},
			Weight:   rapid.IntRange(1, 4).Draw(t, "weight"),
			Presence: rapid.SampledFrom(propPresence).Draw(t, "presence"),
			Manual:   rapid.IntRange(0, 9).Draw(t, "manual") == 0,
			Skills:   map[string]int{},
			Attributes: map[string][]string{
				"langs": rapid.SliceOfDistinct(rapid.SampledFrom(propLangs), rapid.ID[string]).Draw(t, "langs"),
			},
		}
		for _, s := range []string{"s1", "s2"} {
			if lv := rapid.IntRange(0, 5).Draw(t, "skill"); lv > 0 {
				a.Skills[s] = lv
			}
		}
		if rapid.Bool().Draw(t, "perType") {
			a.Capacity.PerType = map[string]int{"case": rapid.IntRange(0, 4).Draw(t, "caseCap")}
		}
		if rapid.IntRange(0, 2).Draw(t, "hasSchedule") == 0 {
			start := rapid.IntRange(0, 23).Draw(t, "start")
			end := rapid.IntRange(0, 23).Draw(t, "end")
			a.Schedule = &allot.Schedule{
				TimeZone: rapid.SampledFrom(propZones).Draw(t, "tz"),
				Shifts: []allot.Shift{{
					Days:  rapid.SampledFrom([]string{"mon-fri", "sat,sun", "mon-sun", "tue,thu"}).Draw(t, "days"),
					Start: fmt.Sprintf("%02d:00", start), End: fmt.Sprintf("%02d:30", end),
				}},
			}
		}
		if rapid.IntRange(0, 3).Draw(t, "hasAbsence") == 0 {
			s := t0.Add(time.Duration(rapid.IntRange(-600, 3000).Draw(t, "absStart")) * time.Minute)
			a.Absences = []allot.Absence{{Start: s, End: s.Add(time.Duration(rapid.IntRange(1, 2000).Draw(t, "absLen")) * time.Minute)}}
		}
		if rapid.IntRange(0, 3).Draw(t, "hasCap") == 0 {
			a.Caps = []allot.Cap{{Type: rapid.SampledFrom([]string{"", "lead"}).Draw(t, "capType"),
				PerDay: rapid.IntRange(1, 3).Draw(t, "perDay"), PerWeek: rapid.IntRange(0, 6).Draw(t, "perWeek")}}
		}
		r.Agents = append(r.Agents, a)
	}
	nQueues := rapid.IntRange(1, 3).Draw(t, "queues")
	for i := range nQueues {
		q := allot.Queue{
			ID:      fmt.Sprintf("q%d", i),
			Policy:  rapid.SampledFrom(allot.Policies).Draw(t, "policy"),
			Reroute: rapid.Bool().Draw(t, "reroute"),
			Order:   rapid.SampledFrom([]string{"priority", "fifo"}).Draw(t, "order"),
		}
		if rapid.Bool().Draw(t, "sticky") {
			q.StickyKey = "account"
		}
		if rapid.Bool().Draw(t, "sla") {
			q.SLAMinutes = rapid.SampledFrom([]int{1, 5, 30, 240}).Draw(t, "slaMinutes")
			q.MaxReassignments = rapid.IntRange(0, 3).Draw(t, "maxReassign")
		}
		if i > 0 && rapid.Bool().Draw(t, "overflow") {
			// Only towards a lower-numbered queue, so chains end.
			q.Overflow = fmt.Sprintf("q%d", rapid.IntRange(0, i-1).Draw(t, "overflowTo"))
			q.OverflowAfterMinutes = rapid.SampledFrom([]int{1, 10, 60}).Draw(t, "overflowAfter")
		}
		if i > 0 && rapid.IntRange(0, 2).Draw(t, "ooh") == 0 {
			q.OutOfHours = fmt.Sprintf("q%d", rapid.IntRange(0, i-1).Draw(t, "oohTo"))
		}
		if rapid.IntRange(0, 2).Draw(t, "offers") == 0 {
			q.OfferTimeoutSeconds = rapid.SampledFrom([]int{30, 600}).Draw(t, "offerTimeout")
		}
		if rapid.Bool().Draw(t, "aging") {
			q.AgingMinutes = rapid.SampledFrom([]int{1, 15, 60}).Draw(t, "agingMinutes")
			q.AgingMax = rapid.IntRange(0, 4).Draw(t, "agingMax")
		}
		if rapid.IntRange(0, 3).Draw(t, "hasSupervisor") == 0 {
			q.Supervisor = rapid.SampledFrom(r.Agents).Draw(t, "supervisor").ID
		}
		for _, a := range r.Agents {
			if rapid.IntRange(0, 2).Draw(t, "member") > 0 {
				q.Members = append(q.Members, a.ID)
			}
		}
		r.Queues = append(r.Queues, q)
	}
	nRules := rapid.IntRange(0, 5).Draw(t, "rules")
	for i := range nRules {
		ru := allot.Rule{
			Name:  fmt.Sprintf("r%d", i),
			When:  rapid.SampledFrom([]string{"", `item.country == "FR"`, `item.country in ["DE", "IT"]`, `item.budget > 500`, `item.country == "US" && item.budget < 100`}).Draw(t, "when"),
			Queue: rapid.SampledFrom(r.Queues).Draw(t, "ruleQueue").ID,
		}
		if rapid.Bool().Draw(t, "ruleSkill") {
			ru.Skills = []allot.SkillReq{{Skill: rapid.SampledFrom([]string{"s1", "s2"}).Draw(t, "sk"), MinLevel: rapid.IntRange(1, 5).Draw(t, "lvl"),
				DropAfterMinutes: rapid.SampledFrom([]int{0, 0, 5, 120}).Draw(t, "dropAfter")}}
		}
		if rapid.Bool().Draw(t, "ruleMatch") {
			ru.Match = []allot.AttrMatch{{Item: "lang", Agent: "langs", Op: allot.MatchIn, Optional: rapid.Bool().Draw(t, "opt")}}
		}
		if rapid.Bool().Draw(t, "rulePrio") {
			p := rapid.IntRange(0, 3).Draw(t, "prio")
			ru.Priority = &p
		}
		r.Rules = append(r.Rules, ru)
	}
	if rapid.Bool().Draw(t, "hasDefault") {
		r.DefaultQueue = rapid.SampledFrom(r.Queues).Draw(t, "defaultQueue").ID
	}
	r.ScoringRules = []allot.ScoringRule{{Name: "big", When: `item.budget > 500`, Points: 50}, {Name: "fr", When: `item.country == "FR"`, Points: 20}}
	r.Tiers = []allot.Tier{{Name: "hot", MinScore: 50}, {Name: "warm", MinScore: 20}, {Name: "cold", MinScore: 0}}
	return allot.Config{Regions: []allot.Region{r}}
}

// step is one drawn event with the clock advance before it.
type step struct {
	advance time.Duration
	ev      Event
}

func genSteps(t *rapid.T, cfg allot.Config, alt allot.Config) []step {
	r := cfg.Regions[0]
	n := rapid.IntRange(1, 60).Draw(t, "steps")
	var steps []step
	nextID := 0
	var ids []string
	for range n {
		s := step{advance: time.Duration(rapid.SampledFrom([]int{0, 0, 1, 7, 45, 180, 900}).Draw(t, "adv")) * time.Minute}
		kind := rapid.IntRange(0, 10).Draw(t, "kind")
		switch {
		case kind <= 3 || len(ids) == 0:
			id := fmt.Sprintf("x%d", nextID)
			nextID++
			ids = append(ids, id)
			attrs := map[string]any{}
			if rapid.Bool().Draw(t, "hasCountry") {
				attrs["country"] = rapid.SampledFrom(propCountry).Draw(t, "country")
			}
			if rapid.Bool().Draw(t, "hasBudget") {
				attrs["budget"] = float64(rapid.IntRange(0, 1000).Draw(t, "budget"))
			}
			if rapid.Bool().Draw(t, "hasLang") {
				attrs["lang"] = rapid.SampledFrom(propLangs).Draw(t, "lang")
			}
			if rapid.Bool().Draw(t, "hasAccount") {
				attrs["account"] = rapid.SampledFrom([]string{"acme", "bolt"}).Draw(t, "account")
			}
			s.ev = ItemArrived{Item: allot.Item{ID: id, Type: rapid.SampledFrom([]string{"lead", "case"}).Draw(t, "type"),
				Priority: rapid.IntRange(0, 2).Draw(t, "priority"), Attributes: attrs}}
		case kind == 4:
			s.ev = ItemClosed{ID: rapid.SampledFrom(ids).Draw(t, "close")}
		case kind == 5:
			// The agent is drawn; the event may fail (not the owner): failures must change nothing.
			s.ev = ItemReleased{ID: rapid.SampledFrom(ids).Draw(t, "release"), Agent: rapid.SampledFrom(r.Agents).Draw(t, "releaser").ID}
		case kind == 6:
			s.ev = ItemUpdated{ID: rapid.SampledFrom(ids).Draw(t, "update"), Attributes: map[string]any{
				"country": rapid.SampledFrom(propCountry).Draw(t, "newCountry")}}
		case kind == 7:
			s.ev = AgentPresence{Agent: rapid.SampledFrom(r.Agents).Draw(t, "presenceAgent").ID, Status: rapid.SampledFrom(propPresence).Draw(t, "status")}
		case kind == 10 && rapid.IntRange(0, 3).Draw(t, "reconfigure") == 0:
			s.ev = ConfigChanged{Config: alt}
			cfg, alt = alt, cfg
			r = cfg.Regions[0]
		case kind == 9:
			s.ev = ItemTouched{ID: rapid.SampledFrom(ids).Draw(t, "touch"), Agent: rapid.SampledFrom(r.Agents).Draw(t, "toucher").ID}
		case kind == 8:
			s.ev = AgentNext{Agent: rapid.SampledFrom(r.Agents).Draw(t, "nextAgent").ID}
		default:
			s.ev = Tick{}
		}
		steps = append(steps, s)
	}
	return steps
}

// model is the test's independent view of the region, built from the events
// and decisions only, used to judge every decision.
type model struct {
	cfg      *allot.Region
	agents   map[string]*allot.Agent
	presence map[string]string
	routable map[string]bool
	owner    map[string]string // open item → owner ("" = waiting)
	itemType map[string]string
	excluded map[string][]string
	caps     map[string]map[string]int // agent → "d<day>|type" / "w<week>|type" → count

	deadline  map[string]time.Time // owned item → when its untouched assignment must be taken back
	escalated map[string]bool
	missed    map[string]int // agent → offers in a row that timed out
	// dropped: item → the rule under which skills were relaxed, and which.
	dropped map[string]relaxed

	reconfigured bool
}

func newModel(cfg allot.Config) *model {
	cfg = cfg.WithDefaults()
	m := &model{cfg: &cfg.Regions[0], agents: map[string]*allot.Agent{}, presence: map[string]string{}, routable: map[string]bool{},
		owner: map[string]string{}, itemType: map[string]string{}, excluded: map[string][]string{}, caps: map[string]map[string]int{},
		deadline: map[string]time.Time{}, escalated: map[string]bool{}, missed: map[string]int{}, dropped: map[string]relaxed{}}
	for _, p := range cfg.Presence {
		m.routable[p.Name] = p.Routable
	}
	for i := range m.cfg.Agents {
		a := &m.cfg.Agents[i]
		m.agents[a.ID] = a
		m.presence[a.ID] = a.Presence
		m.caps[a.ID] = map[string]int{}
	}
	return m
}

// reconfigure switches the model to cfg the way Engine.Reconfigure documents:
// presence of kept agents and their cap counts (when caps are unchanged)
// carry over.
func (m *model) reconfigure(cfg allot.Config) {
	cfg = cfg.WithDefaults()
	m.reconfigured = true
	old := m.agents
	m.cfg = &cfg.Regions[0]
	m.agents = map[string]*allot.Agent{}
	for i := range m.cfg.Agents {
		a := &m.cfg.Agents[i]
		m.agents[a.ID] = a
		if o, ok := old[a.ID]; !ok {
			m.presence[a.ID] = a.Presence
			m.caps[a.ID] = map[string]int{}
			m.missed[a.ID] = 0 // a new agent (or one removed and added back) starts afresh
		} else if !reflect.DeepEqual(o.Caps, a.Caps) {
			m.caps[a.ID] = map[string]int{}
		}
	}
	// Items of removed agents are routed again; the decisions that follow
	// say where they went, so mark them waiting here.
	for id, o := range m.owner {
		if _, ok := m.agents[o]; o != "" && !ok {
			m.owner[id] = ""
		}
	}
}

func (m *model) units(typ string) int {
	if typ == "case" {
		return 2
	}
	return 1
}

func (m *model) load(agent string) (total int, perType map[string]int) {
	perType = map[string]int{}
	for id, o := range m.owner {
		if o == agent {
			u := m.units(m.itemType[id])
			total += u
			perType[m.itemType[id]] += u
		}
	}
	return total, perType
}

func (m *model) loc(a *allot.Agent) *time.Location {
	name := m.cfg.TimeZone
	if a.Schedule != nil {
		name = a.Schedule.TimeZone
	}
	loc, _ := time.LoadLocation(name)
	return loc
}

type relaxed struct {
	rule   string
	skills map[string]bool
}

// hasRoom is the capacity part of the oracle (a supervisor's escalation
// checks only that).
func (m *model) hasRoom(agent string, it allot.Item) bool {
	a := m.agents[agent]
	total, _ := m.load(agent)
	return total+m.units(it.Type) <= a.Capacity.Total
}

// slaMinutes is the response SLA of an item routed in queue.
func (m *model) slaMinutes(it allot.Item, queue string) int {
	for _, ru := range m.cfg.Rules {
		if ru.Name == it.Rule && ru.SLAMinutes > 0 {
			return ru.SLAMinutes
		}
	}
	for _, q := range m.cfg.Queues {
		if q.ID == queue {
			return q.SLAMinutes
		}
	}
	return 0
}

// eligible is the oracle: may agent take item it (of rule ruleName) at time at?
// It re-derives every filter from the config, not from the engine's state.
func (m *model) eligible(agent string, it allot.Item, at time.Time, pull bool) string {
	a := m.agents[agent]
	if !m.routable[m.presence[agent]] {
		return "presence"
	}
	if a.Manual && !pull {
		return "manual"
	}
	for _, ab := range a.Absences {
		if !at.Before(ab.Start) && at.Before(ab.End) {
			return "absent"
		}
	}
	if a.Schedule != nil {
		cs, _ := allot.CompileSchedule(a.Schedule)
		if !cs.Contains(at) {
			return "off shift"
		}
	}
	for _, h := range m.cfg.Holidays {
		if at.In(m.loc(a)).Format(time.DateOnly) == h.Date {
			return "holiday"
		}
	}
	if slices.Contains(m.excluded[it.ID], agent) {
		return "excluded"
	}
	u := m.units(it.Type)
	total, perType := m.load(agent)
	if total+u > a.Capacity.Total {
		return "capacity"
	}
	if lim, ok := a.Capacity.PerType[it.Type]; ok && perType[it.Type]+u > lim {
		return "type capacity"
	}
	for _, ru := range m.cfg.Rules {
		if ru.Name != it.Rule {
			continue
		}
		rx := m.dropped[it.ID]
		for _, s := range ru.Skills {
			if rx.rule == it.Rule && rx.skills[s.Skill] {
				continue // relaxed
			}
			if a.Skills[s.Skill] < s.MinLevel {
				return "skill"
			}
		}
		for _, am := range ru.Match {
			if !plugins.MatchAttr(&am, it.Attributes, a.Attributes) {
				return "attribute"
			}
		}
	}
	day, week := routing.CivilDay(at, m.loc(a))
	for _, c := range a.Caps {
		if c.Type != "" && c.Type != it.Type {
			continue
		}
		if c.PerDay > 0 && m.caps[agent][fmt.Sprintf("d%d|%s", day, c.Type)] >= c.PerDay {
			return "day cap"
		}
		if c.PerWeek > 0 && m.caps[agent][fmt.Sprintf("w%d|%s", week, c.Type)] >= c.PerWeek {
			return "week cap"
		}
	}
	return ""
}

func (m *model) countCaps(agent, typ string, at time.Time) {
	a := m.agents[agent]
	day, week := routing.CivilDay(at, m.loc(a))
	for _, c := range a.Caps {
		if c.Type != "" && c.Type != typ {
			continue
		}
		m.caps[agent][fmt.Sprintf("d%d|%s", day, c.Type)]++
		m.caps[agent][fmt.Sprintf("w%d|%s", week, c.Type)]++
	}
}

func (m *model) supervisor(queue string) string {
	for _, q := range m.cfg.Queues {
		if q.ID == queue {
			return q.Supervisor
		}
	}
	return ""
}

func (m *model) members(queue string) []string {
	for _, q := range m.cfg.Queues {
		if q.ID == queue {
			return q.Members
		}
	}
	return nil
}

// run applies steps to a fresh engine, checking every invariant after every
// event, and returns all decisions.
func runChecked(t *rapid.T, cfg allot.Config, steps []step) []allot.Decision {
	clock := &allot.ManualClock{T: t0}
	e, err := New(cfg, "eu", clock)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	m := newModel(cfg)
	var all []allot.Decision
	for si, s := range steps {
		clock.Advance(s.advance)
		before := map[string]allot.Item{}
		for _, it := range e.Items() {
			before[it.ID] = it
		}
		// Timers due up to now fire first, in a tick of their own; then the
		// event (whose own Apply finds no timer left to fire). ApplyTo does
		// the same in one call; splitting lets the model see which is which.
		tds, err := e.Apply(Tick{})
		if err != nil {
			t.Fatalf("step %d: tick: %v", si, err)
		}
		all = append(all, tds...)
		if os.Getenv("PROP_DEBUG") != "" {
			for _, d := range tds {
				t.Logf("step %d tick: %s %s agent=%s from=%s queue=%s cause=%s at=%v cands=%+v", si, d.Kind, d.Item, d.Agent, d.From, d.Queue, d.Cause, d.At, d.Explanation.Candidates.List())
			}
		}
		// Judge tick decisions against the items as the tick left them (their
		// classification is the current config's); items cannot close in a tick.
		m.decisions(t, si, func(id string) (allot.Item, bool) {
			if it, ok := e.Item(id); ok {
				return it, true
			}
			it, ok := before[id]
			return it, ok
		}, tds)
		ds, err := e.Apply(s.ev)
		all = append(all, ds...)
		if err != nil && len(ds) != 0 {
			t.Fatalf("step %d: failed event %#v made decisions %+v", si, s.ev, ds)
		}
		if err == nil {
			switch ev := s.ev.(type) {
			case ItemArrived:
				m.itemType[ev.Item.ID] = ev.Item.Type
				m.owner[ev.Item.ID] = ""
			case ItemClosed:
				delete(m.owner, ev.ID)
				delete(m.deadline, ev.ID)
			case ItemTouched:
				delete(m.deadline, ev.ID) // touched in time: the SLA clock stops
				if before[ev.ID].Status == allot.StatusOffered {
					m.missed[ev.Agent] = 0 // an accepted offer ends a run of misses
				}
			case ItemReleased:
				m.owner[ev.ID] = ""
				m.excluded[ev.ID] = append(m.excluded[ev.ID], ev.Agent)
				delete(m.deadline, ev.ID)
			case AgentPresence:
				m.presence[ev.Agent] = ev.Status
			case ConfigChanged:
				m.reconfigure(ev.Config)
				clear(m.dropped) // relaxation restarts under a new config
			}
		}
		m.decisions(t, si, e.Item, ds)
		if os.Getenv("PROP_DEBUG") != "" {
			for _, d := range ds {
				t.Logf("step %d %T: %s %s agent=%s from=%s queue=%s cause=%s", si, s.ev, d.Kind, d.Item, d.Agent, d.From, d.Queue, d.Cause)
			}
		}
		checkState(t, si, e, m)
	}
	return all
}

// decisions judges each decision with the oracle and applies it to the model.
func (m *model) decisions(t *rapid.T, si int, lookup func(string) (allot.Item, bool), ds []allot.Decision) {
	for _, d := range ds {
		// The explanation's candidates are well formed and name the
		// agent the item went to as the one chosen.
		if x := d.Explanation; x != nil {
			if err := x.Candidates.Validate(); err != nil {
				t.Fatalf("step %d: %s of %s: %v", si, d.Kind, d.Item, err)
			}
			if err := x.ScoringRules.Validate(); err != nil {
				t.Fatalf("step %d: %s of %s: %v", si, d.Kind, d.Item, err)
			}
			switch d.Kind {
			case allot.DecisionAssigned, allot.DecisionOffered, allot.DecisionReassigned:
				if c := x.Candidates.Chosen(); x.Candidates.Len() > 0 && (c < 0 || x.Candidates.Agent(c) != d.Agent) {
					t.Fatalf("step %d: %s of %s to %s: chosen candidate %d of %+v", si, d.Kind, d.Item, d.Agent, c, x.Candidates.List())
				}
			}
		}
		if strings.HasPrefix(d.Cause, "relaxed: dropped skill ") {
			it, _ := lookup(d.Item)
			name := strings.Fields(d.Cause)[3]
			rx := m.dropped[d.Item]
			if rx.rule != it.Rule || rx.skills == nil {
				rx = relaxed{rule: it.Rule, skills: map[string]bool{}}
			}
			rx.skills[name] = true
			m.dropped[d.Item] = rx
		}
		if strings.HasPrefix(d.Cause, "offer_timeout") && d.From != "" {
			if m.owner[d.Item] != d.From {
				t.Fatalf("step %d: offer of %s timed out for %s, but the model's owner is %q", si, d.Item, d.From, m.owner[d.Item])
			}
			m.excluded[d.Item] = append(m.excluded[d.Item], d.From)
			m.missed[d.From]++
			if k := m.cfg.AwayAfterMissedOffers; k > 0 && m.missed[d.From] >= k && m.routable[m.presence[d.From]] {
				m.presence[d.From] = "offline"
				m.missed[d.From] = 0
			}
		}
		if strings.HasPrefix(d.Cause, "sla_breach") && d.From != "" {
			// Taken back for neglect: never offered back to that agent.
			if m.owner[d.Item] != d.From {
				t.Fatalf("step %d: %s taken back from %s, but the model's owner is %q", si, d.Item, d.From, m.owner[d.Item])
			}
			if now := d.At; now.Before(m.deadline[d.Item]) {
				t.Fatalf("step %d: %s taken back at %v, before its deadline %v", si, d.Item, now, m.deadline[d.Item])
			}
			m.excluded[d.Item] = append(m.excluded[d.Item], d.From)
		}
		switch d.Kind {
		case allot.DecisionEscalated:
			m.owner[d.Item] = ""
			m.escalated[d.Item] = true
			delete(m.deadline, d.Item)
			continue
		case allot.DecisionQueued, allot.DecisionUnroutable:
			// A reroute or release that ended waiting leaves no owner.
			if _, open := m.owner[d.Item]; open {
				m.owner[d.Item] = ""
			}
			delete(m.deadline, d.Item)
			continue
		case allot.DecisionAssigned, allot.DecisionReassigned, allot.DecisionOffered:
		default:
			t.Fatalf("step %d: unknown decision kind %q", si, d.Kind)
		}
		prev, open := m.owner[d.Item]
		if !open {
			t.Fatalf("step %d: decision for unknown item %s: %+v", si, d.Item, d)
		}
		if d.From != "" && prev != "" {
			// Re-routed while owned: the previous owner is released first.
			if prev != d.From {
				t.Fatalf("step %d: %s reassigned from %q but model owner is %q", si, d.Item, d.From, prev)
			}
			m.owner[d.Item] = ""
		} else if prev != "" {
			t.Fatalf("step %d: item %s assigned to %s while owned by %s (assigned twice)", si, d.Item, d.Agent, prev)
		}
		it, ok := lookup(d.Item)
		if !ok {
			t.Fatalf("step %d: assigned item %s not open", si, d.Item)
		}
		if d.Cause == "escalated" && d.Kind == allot.DecisionAssigned && m.supervisor(d.Queue) == d.Agent {
			if slices.Contains(m.excluded[d.Item], d.Agent) {
				t.Fatalf("step %d: %s escalated back to %s, who neglected it", si, d.Item, d.Agent)
			}
			if !m.hasRoom(d.Agent, it) {
				t.Fatalf("step %d: %s escalated to supervisor %s without room", si, d.Item, d.Agent)
			}
		} else if why := m.eligible(d.Agent, it, d.At, d.Cause == "next"); why != "" {
			t.Fatalf("step %d: %s assigned to %s at %v but the agent is not eligible: %s\ndecision %+v", si, d.Item, d.Agent, d.At, why, d)
		}
		m.owner[d.Item] = d.Agent
		m.countCaps(d.Agent, it.Type, d.At)
		delete(m.deadline, d.Item)
		if sla := m.slaMinutes(it, d.Queue); sla > 0 && !m.escalated[d.Item] && d.Kind != allot.DecisionOffered {
			m.deadline[d.Item] = d.At.Add(time.Duration(sla) * time.Minute)
		}
	}
}

// checkState checks the engine against the model after an event: owners and
// loads agree, and the engine is work-conserving.
func checkState(t *rapid.T, si int, e *Engine, m *model) {
	now := e.Now()
	// Internal bookkeeping: each queue's waiting count is its tree's size,
	// and every waiting item is in its queue's tree.
	nwaiting := 0
	for _, q := range e.queues {
		if e.nwait[q.idx] != q.waiting.Len() {
			t.Fatalf("step %d: queue %s counts %d waiting, its tree holds %d", si, q.cfg.ID, e.nwait[q.idx], q.waiting.Len())
		}
		nwaiting += e.nwait[q.idx]
	}
	for _, x := range e.items {
		if x.waiting {
			nwaiting--
			if _, ok := x.q.waiting.Get(x); !ok {
				t.Fatalf("step %d: item %s waits but is not in queue %s", si, x.it.ID, x.q.cfg.ID)
			}
		}
	}
	if nwaiting != 0 {
		t.Fatalf("step %d: the queues hold %d more items than are waiting", si, nwaiting)
	}
	items := e.Items()
	if len(items) != len(m.owner) {
		t.Fatalf("step %d: engine has %d open items, model %d", si, len(items), len(m.owner))
	}
	for _, it := range items {
		if m.owner[it.ID] != it.Owner {
			t.Fatalf("step %d: item %s owner %q, model says %q", si, it.ID, it.Owner, m.owner[it.ID])
		}
		if (it.Owner != "") != it.Status.Owned() {
			t.Fatalf("step %d: item %s status %s with owner %q", si, it.ID, it.Status, it.Owner)
		}
	}
	for id := range m.agents {
		st, _ := e.Agent(id)
		total, _ := m.load(id)
		open := 0
		for _, o := range m.owner {
			if o == id {
				open++
			}
		}
		if st.Load != total || st.Open != open {
			t.Fatalf("step %d: agent %s load %d open %d, model %d %d", si, id, st.Load, st.Open, total, open)
		}
		// A config change may lower capacity below kept work (documented);
		// otherwise nobody is ever over capacity.
		if st.Load > st.Capacity && !m.reconfigured {
			t.Fatalf("step %d: agent %s over capacity: %d > %d", si, id, st.Load, st.Capacity)
		}
	}
	// The response SLA: no untouched item stays with its owner at or past
	// its deadline (timers fire at their instant, whenever the driver ticks).
	for _, it := range items {
		if dl, ok := m.deadline[it.ID]; ok && it.Status == allot.StatusAssigned && !now.Before(dl) {
			t.Fatalf("step %d: item %s untouched with %s at %v, past its deadline %v", si, it.ID, it.Owner, now, dl)
		}
	}
	// Work conservation: no waiting item has an eligible (push) agent with room.
	for _, it := range items {
		if it.Owner != "" || it.Queue == "" {
			continue
		}
		for _, a := range m.members(it.Queue) {
			if m.eligible(a, it, now, false) == "" {
				st, _ := e.Agent(a)
				t.Fatalf("step %d: item %s waits in %s while %s is eligible with room at %v (engine: %+v, next wake %v)", si, it.ID, it.Queue, a, now, st, e.NextWake())
			}
		}
	}
}

func TestPropertyRoutingInvariants(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		cfg := genConfig(t)
		alt := genConfig(t)
		steps := genSteps(t, cfg, alt)
		first := runChecked(t, cfg, steps)
		// Determinism: the same events at the same times give the same decisions.
		second := runChecked(t, cfg, steps)
		if !reflect.DeepEqual(first, second) {
			t.Fatalf("same events gave different decisions:\n%+v\n%+v", first, second)
		}
	})
}

// TestPropertyWeightedFairness checks that weighted round robin keeps every
// agent within ±1 of its weighted share after every assignment, exactly on
// it after every full cycle, and that quota-fair does the same per tier.
func TestPropertyWeightedFairness(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		policy := rapid.SampledFrom([]allot.Policy{allot.WeightedRoundRobin, allot.QuotaFair}).Draw(t, "policy")
		n := rapid.IntRange(1, 7).Draw(t, "agents")
		b := config()
		var ids []string
		weights := map[string]int{}
		W := 0
		for i := range n {
			id := fmt.Sprintf("a%d", i)
			w := rapid.IntRange(1, 9).Draw(t, "w")
			if rapid.IntRange(0, 4).Draw(t, "big") == 0 {
				w = rapid.IntRange(10, 1000).Draw(t, "bigw")
			}
			b.agent(id, 1_000_000).a(func(a *allot.Agent) { a.Weight = w })
			ids = append(ids, id)
			weights[id] = w
			W += w
		}
		b.queue("q", policy, ids...).defaultQueue("q").
			scoring("hot", `item.hot == true`, 100).scoring("warm", `item.warm == true`, 50).
			tiers(allot.Tier{Name: "hot", MinScore: 100}, allot.Tier{Name: "warm", MinScore: 50}, allot.Tier{Name: "cold", MinScore: 0})
		h := newHarness(t, b)
		items := rapid.IntRange(1, min(3*W, 600)).Draw(t, "items")
		count := map[string]map[string]int{} // tier → agent → n
		total := map[string]int{}            // tier → n
		for i := range items {
			tier := "cold"
			attrs := map[string]any{}
			if policy == allot.QuotaFair {
				tier = rapid.SampledFrom([]string{"hot", "warm", "cold"}).Draw(t, "tier")
				if tier != "cold" {
					attrs[tier] = true
				}
			}
			ds := h.arrive(fmt.Sprintf("x%d", i), attrs)
			agent := assignedTo(t, ds)
			if agent == "" {
				t.Fatalf("item %d not assigned: %+v", i, ds)
			}
			if count[tier] == nil {
				count[tier] = map[string]int{}
			}
			count[tier][agent]++
			total[tier]++
			k := total[tier]
			for _, id := range ids {
				// |c·W − k·w| < W  ⇔  |c − k·w/W| < 1
				dev := count[tier][id]*W - k*weights[id]
				if dev <= -W || dev >= W {
					t.Fatalf("%s tier %s after %d: %s has %d, share %.2f (weights %v)", policy, tier, k, id, count[tier][id], float64(k*weights[id])/float64(W), weights)
				}
				if k%W == 0 && dev != 0 {
					t.Fatalf("%s tier %s after full cycle %d: %s has %d, want %d", policy, tier, k, id, count[tier][id], k/W*weights[id])
				}
			}
		}
	})
}

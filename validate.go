package allot

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Limits on config values. They keep arithmetic exact (see docs/architecture.md:
// fairness order keys) and catch typos.
const (
	MaxWeight   = 1000
	MaxSkill    = 5
	MaxCapacity = 1_000_000
	MaxUnits    = 1000
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$`)

// WithDefaults returns a copy of c with defaults filled in. It never fails and
// never changes c; call Validate on the result.
func (c Config) WithDefaults() Config {
	if len(c.Presence) == 0 {
		c.Presence = slices.Clone(DefaultPresence)
	}
	c.Regions = slices.Clone(c.Regions)
	for i := range c.Regions {
		r := &c.Regions[i]
		if r.TimeZone == "" {
			r.TimeZone = "UTC"
		}
		if len(r.Tiers) == 0 {
			r.Tiers = []Tier{{Name: "default", MinScore: 0}}
		}
		r.Queues = slices.Clone(r.Queues)
		for j := range r.Queues {
			q := &r.Queues[j]
			if q.Policy == "" {
				q.Policy = RoundRobin
			}
			if q.Order == "" {
				q.Order = "priority"
			}
		}
		r.Agents = slices.Clone(r.Agents)
		for j := range r.Agents {
			a := &r.Agents[j]
			if a.Weight == 0 {
				a.Weight = 1
			}
			if a.Presence == "" {
				a.Presence = "offline"
			}
		}
		r.Rules = slices.Clone(r.Rules)
		for j := range r.Rules {
			ru := &r.Rules[j]
			if len(ru.Skills) > 0 {
				ru.Skills = slices.Clone(ru.Skills)
				for k := range ru.Skills {
					if ru.Skills[k].MinLevel == 0 {
						ru.Skills[k].MinLevel = 1
					}
				}
			}
			if len(ru.Match) > 0 {
				ru.Match = slices.Clone(ru.Match)
				for k := range ru.Match {
					if ru.Match[k].Op == "" {
						ru.Match[k].Op = MatchIn
					}
				}
			}
		}
	}
	return c
}

// Validate checks everything that can be checked without compiling rule
// conditions (package rules does that) and returns every problem with its field
// path. Call it on c.WithDefaults().
func (c *Config) Validate() Problems {
	var ps Problems
	presence := map[string]bool{}
	routable := 0
	for i, p := range c.Presence {
		path := fmt.Sprintf("presence[%d]", i)
		checkID(&ps, path+".name", p.Name)
		if presence[p.Name] {
			ps.Add(path+".name", fmt.Sprintf("duplicate presence status %q", p.Name))
		}
		presence[p.Name] = true
		if p.Routable {
			routable++
		}
	}
	if len(c.Presence) > 0 && routable == 0 {
		ps.Add("presence", "no status is routable: no agent could ever receive work")
	}
	regions := map[string]bool{}
	agentRegion := map[string]string{}
	for i := range c.Regions {
		path := fmt.Sprintf("regions[%d]", i)
		r := &c.Regions[i]
		checkID(&ps, path+".id", r.ID)
		if regions[r.ID] {
			ps.Add(path+".id", fmt.Sprintf("duplicate region id %q", r.ID))
		}
		regions[r.ID] = true
		ps.AddAll(path, r.validate(presence))
		if r.AwayStatus != "" {
			if !presence[r.AwayStatus] {
				ps.Add(path+".away_status", fmt.Sprintf("unknown presence status %q", r.AwayStatus))
			} else if routableStatus(c.Presence, r.AwayStatus) {
				ps.Add(path+".away_status", fmt.Sprintf("%q is routable: agents set away would keep receiving work", r.AwayStatus))
			}
		} else if r.AwayAfterMissedOffers > 0 && !presence["offline"] {
			ps.Add(path+".away_status", "required when away_after_missed_offers is set and there is no \"offline\" status")
		}
		if (r.OfflineAtShiftEnd || r.HeartbeatSeconds > 0) && !presence["offline"] {
			ps.Add(path+".offline_at_shift_end", "needs an \"offline\" presence status")
		}
		if r.HeartbeatSeconds < 0 || r.HeartbeatSeconds > 86400 {
			ps.Add(path+".heartbeat_seconds", fmt.Sprintf("must be between 1 and 86400 (0: not watched), got %d", r.HeartbeatSeconds))
		}
		if r.MakeUpCredit < 0 {
			ps.Add(path+".make_up_credit", fmt.Sprintf("must not be negative, got %d", r.MakeUpCredit))
		}
		if r.AwayAfterMissedOffers < 0 {
			ps.Add(path+".away_after_missed_offers", fmt.Sprintf("must not be negative, got %d", r.AwayAfterMissedOffers))
		}
		for j, a := range r.Agents {
			if other, ok := agentRegion[a.ID]; ok && other != r.ID && a.ID != "" {
				ps.Add(fmt.Sprintf("%s.agents[%d].id", path, j), fmt.Sprintf("agent %q is already defined in region %q; agent ids are global", a.ID, other))
			}
			agentRegion[a.ID] = r.ID
		}
	}
	return ps
}

// validate checks one region; paths are relative to the region.
func (r *Region) validate(presence map[string]bool) Problems {
	var ps Problems
	if r.TimeZone != "" {
		if _, err := time.LoadLocation(r.TimeZone); err != nil {
			ps.Add("time_zone", fmt.Sprintf("unknown time zone %q; want an IANA name such as Europe/Paris", r.TimeZone))
		}
	}
	types := map[string]bool{}
	for i, t := range r.ItemTypes {
		p := fmt.Sprintf("item_types[%d]", i)
		checkID(&ps, p+".name", t.Name)
		if types[t.Name] {
			ps.Add(p+".name", fmt.Sprintf("duplicate item type %q", t.Name))
		}
		types[t.Name] = true
		if t.Units < 1 || t.Units > MaxUnits {
			ps.Add(p+".units", fmt.Sprintf("must be between 1 and %d, got %d", MaxUnits, t.Units))
		}
	}
	tiers := map[string]bool{}
	thresholds := map[int]bool{}
	for i, t := range r.Tiers {
		p := fmt.Sprintf("tiers[%d]", i)
		checkID(&ps, p+".name", t.Name)
		if tiers[t.Name] {
			ps.Add(p+".name", fmt.Sprintf("duplicate tier %q", t.Name))
		}
		tiers[t.Name] = true
		if thresholds[t.MinScore] {
			ps.Add(p+".min_score", fmt.Sprintf("another tier already starts at %d", t.MinScore))
		}
		thresholds[t.MinScore] = true
	}

	agents := make(map[string]int, len(r.Agents))
	for i := range r.Agents {
		a := &r.Agents[i]
		p := fmt.Sprintf("agents[%d]", i)
		checkID(&ps, p+".id", a.ID)
		if _, dup := agents[a.ID]; dup {
			ps.Add(p+".id", fmt.Sprintf("duplicate agent id %q", a.ID))
		}
		agents[a.ID] = i
		ps.AddAll(p, a.validate(presence))
	}

	queues := make(map[string]bool, len(r.Queues))
	for _, q := range r.Queues {
		queues[q.ID] = true
	}
	seenQ := make(map[string]bool, len(r.Queues))
	for i := range r.Queues {
		q := &r.Queues[i]
		p := fmt.Sprintf("queues[%d]", i)
		checkID(&ps, p+".id", q.ID)
		if seenQ[q.ID] {
			ps.Add(p+".id", fmt.Sprintf("duplicate queue id %q", q.ID))
		}
		seenQ[q.ID] = true
		if !slices.Contains(Policies, q.Policy) {
			ps.Add(p+".policy", fmt.Sprintf("unknown policy %q; want one of %s", q.Policy, policyList()))
		}
		if q.Order != "priority" && q.Order != "fifo" {
			ps.Add(p+".order", fmt.Sprintf("unknown order %q; want priority or fifo", q.Order))
		}
		members := map[string]bool{}
		for j, m := range q.Members {
			mp := fmt.Sprintf("%s.members[%d]", p, j)
			if _, ok := agents[m]; !ok {
				ps.Add(mp, fmt.Sprintf("unknown agent %q", m))
			}
			if members[m] {
				ps.Add(mp, fmt.Sprintf("agent %q is listed twice", m))
			}
			members[m] = true
		}
		if q.SLAMinutes < 0 {
			ps.Add(p+".sla_minutes", fmt.Sprintf("must not be negative, got %d", q.SLAMinutes))
		}
		if q.Overflow != "" {
			if !queues[q.Overflow] {
				ps.Add(p+".overflow", fmt.Sprintf("unknown queue %q", q.Overflow))
			} else if q.Overflow == q.ID {
				ps.Add(p+".overflow", "a queue cannot overflow into itself")
			}
			if q.OverflowAfterMinutes <= 0 {
				ps.Add(p+".overflow_after_minutes", "must be positive when overflow is set")
			}
		} else if q.OverflowAfterMinutes != 0 {
			ps.Add(p+".overflow_after_minutes", "set only together with overflow")
		}
		if q.OutOfHours != "" {
			if !queues[q.OutOfHours] {
				ps.Add(p+".out_of_hours", fmt.Sprintf("unknown queue %q", q.OutOfHours))
			} else if q.OutOfHours == q.ID {
				ps.Add(p+".out_of_hours", "a queue cannot be its own out-of-hours queue")
			}
		}
		if q.OfferTimeoutSeconds < 0 || q.OfferTimeoutSeconds > 86400 {
			ps.Add(p+".offer_timeout_seconds", fmt.Sprintf("must be between 1 and 86400 (0: no offers, items are assigned), got %d", q.OfferTimeoutSeconds))
		}
		if q.AgingMinutes < 0 {
			ps.Add(p+".aging_minutes", fmt.Sprintf("must not be negative, got %d", q.AgingMinutes))
		}
		if q.AgingMax < 0 || q.AgingMax > 1000 {
			ps.Add(p+".aging_max", fmt.Sprintf("must be between 0 and 1000 (0 means the default, 10), got %d", q.AgingMax))
		} else if q.AgingMax > 0 && q.AgingMinutes == 0 {
			ps.Add(p+".aging_max", "set only together with aging_minutes")
		}
		if q.MaxReassignments < 0 || q.MaxReassignments > 100 {
			ps.Add(p+".max_reassignments", fmt.Sprintf("must be between 0 and 100 (0 means the default, 3), got %d", q.MaxReassignments))
		}
		if q.Supervisor != "" {
			if _, ok := agents[q.Supervisor]; !ok {
				ps.Add(p+".supervisor", fmt.Sprintf("unknown agent %q", q.Supervisor))
			}
		}
		if q.StickyKey != "" && !validAttrName(q.StickyKey) {
			ps.Add(p+".sticky_key", fmt.Sprintf("bad attribute name %q", q.StickyKey))
		}
	}
	// Overflow chains must end: a → b → a would move an item back and
	// forth forever.
	next := make(map[string]string, len(r.Queues))
	for _, q := range r.Queues {
		next[q.ID] = q.Overflow
	}
	for i, q := range r.Queues {
		seen := map[string]bool{q.ID: true}
		for cur := q.Overflow; cur != ""; cur = next[cur] {
			if seen[cur] {
				if cur != q.ID || q.Overflow == q.ID {
					break // reported at the queue that starts the loop, or as self-overflow
				}
				ps.Add(fmt.Sprintf("queues[%d].overflow", i), fmt.Sprintf("overflow chain loops back to %q", q.ID))
				break
			}
			seen[cur] = true
		}
	}
	days := map[string]bool{}
	for i, h := range r.Holidays {
		p := fmt.Sprintf("holidays[%d].date", i)
		if _, err := time.Parse(time.DateOnly, h.Date); err != nil {
			ps.Add(p, fmt.Sprintf("bad date %q; want YYYY-MM-DD", h.Date))
		} else if days[h.Date] {
			ps.Add(p, fmt.Sprintf("%s is listed twice", h.Date))
		}
		days[h.Date] = true
	}
	if !validAbsencePolicy(r.AbsencePolicy) {
		ps.Add("absence_policy", fmt.Sprintf("unknown absence policy %q; want keep, reassign_untouched or reassign_all", r.AbsencePolicy))
	}
	if r.DefaultQueue != "" && !queues[r.DefaultQueue] {
		ps.Add("default_queue", fmt.Sprintf("unknown queue %q", r.DefaultQueue))
	}

	names := make(map[string]bool, len(r.Rules))
	for i := range r.Rules {
		ru := &r.Rules[i]
		p := fmt.Sprintf("rules[%d]", i)
		checkID(&ps, p+".name", ru.Name)
		if names[ru.Name] {
			ps.Add(p+".name", fmt.Sprintf("duplicate rule name %q", ru.Name))
		}
		names[ru.Name] = true
		if ru.Queue == "" {
			ps.Add(p+".queue", "required: the queue this rule routes to")
		} else if !queues[ru.Queue] {
			ps.Add(p+".queue", fmt.Sprintf("unknown queue %q", ru.Queue))
		}
		for j, s := range ru.Skills {
			sp := fmt.Sprintf("%s.skills[%d]", p, j)
			if s.Skill == "" {
				ps.Add(sp+".skill", "required")
			}
			if s.MinLevel < 1 || s.MinLevel > MaxSkill {
				ps.Add(sp+".min_level", fmt.Sprintf("must be between 1 and %d, got %d", MaxSkill, s.MinLevel))
			}
			if s.DropAfterMinutes < 0 {
				ps.Add(sp+".drop_after_minutes", fmt.Sprintf("must not be negative (0: always required), got %d", s.DropAfterMinutes))
			}
		}
		for j, m := range ru.Match {
			mp := fmt.Sprintf("%s.match[%d]", p, j)
			if !validAttrName(m.Item) {
				ps.Add(mp+".item", fmt.Sprintf("bad item attribute name %q", m.Item))
			}
			if !validAttrName(m.Agent) {
				ps.Add(mp+".agent", fmt.Sprintf("bad agent attribute name %q", m.Agent))
			}
			if m.Op != MatchIn && m.Op != MatchTerritory {
				ps.Add(mp+".op", fmt.Sprintf("unknown match op %q; want in or territory", m.Op))
			}
		}
		if ru.SLAMinutes < 0 {
			ps.Add(p+".sla_minutes", fmt.Sprintf("must not be negative, got %d", ru.SLAMinutes))
		}
	}
	snames := make(map[string]bool, len(r.ScoringRules))
	for i, s := range r.ScoringRules {
		p := fmt.Sprintf("scoring_rules[%d]", i)
		checkID(&ps, p+".name", s.Name)
		if snames[s.Name] {
			ps.Add(p+".name", fmt.Sprintf("duplicate scoring rule name %q", s.Name))
		}
		snames[s.Name] = true
		if strings.TrimSpace(s.When) == "" {
			ps.Add(p+".when", "required: a CEL condition")
		}
	}
	return ps
}

func (a *Agent) validate(presence map[string]bool) Problems {
	var ps Problems
	for _, s := range sortedKeys(a.Skills) {
		if lv := a.Skills[s]; lv < 1 || lv > MaxSkill {
			ps.Add("skills."+s, fmt.Sprintf("level must be between 1 and %d, got %d", MaxSkill, lv))
		}
	}
	for _, k := range sortedKeys(a.Attributes) {
		if !validAttrName(k) {
			ps.Add("attributes", fmt.Sprintf("bad attribute name %q", k))
		}
	}
	if a.Capacity.Total < 0 || a.Capacity.Total > MaxCapacity {
		ps.Add("capacity.total", fmt.Sprintf("must be between 0 and %d, got %d", MaxCapacity, a.Capacity.Total))
	}
	for _, t := range sortedKeys(a.Capacity.PerType) {
		if v := a.Capacity.PerType[t]; v < 0 || v > MaxCapacity {
			ps.Add("capacity.per_type."+t, fmt.Sprintf("must be between 0 and %d, got %d", MaxCapacity, v))
		}
	}
	if a.Weight < 1 || a.Weight > MaxWeight {
		ps.Add("weight", fmt.Sprintf("must be between 1 and %d, got %d", MaxWeight, a.Weight))
	}
	for i, c := range a.Caps {
		p := fmt.Sprintf("caps[%d]", i)
		if c.PerDay < 0 {
			ps.Add(p+".per_day", fmt.Sprintf("must not be negative, got %d", c.PerDay))
		}
		if c.PerWeek < 0 {
			ps.Add(p+".per_week", fmt.Sprintf("must not be negative, got %d", c.PerWeek))
		}
		if c.PerDay == 0 && c.PerWeek == 0 {
			ps.Add(p, "a cap needs per_day or per_week")
		}
	}
	if !validAbsencePolicy(a.AbsencePolicy) {
		ps.Add("absence_policy", fmt.Sprintf("unknown absence policy %q; want keep, reassign_untouched or reassign_all", a.AbsencePolicy))
	}
	if !presence[a.Presence] {
		ps.Add("presence", fmt.Sprintf("unknown presence status %q; want one of %s", a.Presence, strings.Join(sortedKeys(presence), ", ")))
	}
	if a.Schedule != nil {
		_, sp := CompileSchedule(a.Schedule)
		ps.AddAll("schedule", sp)
	}
	for i, ab := range a.Absences {
		p := fmt.Sprintf("absences[%d]", i)
		if ab.Start.IsZero() {
			ps.Add(p+".start", "required")
		}
		if ab.End.IsZero() {
			ps.Add(p+".end", "required")
		}
		if !ab.Start.IsZero() && !ab.End.IsZero() && !ab.End.After(ab.Start) {
			ps.Add(p+".end", "must be after start")
		}
		for j := 0; j < i; j++ {
			o := a.Absences[j]
			if ab.Start.Before(o.End) && o.Start.Before(ab.End) {
				ps.Add(p, fmt.Sprintf("overlaps absences[%d]", j))
			}
		}
	}
	return ps
}

func routableStatus(ps []PresenceStatus, name string) bool {
	for _, p := range ps {
		if p.Name == name {
			return p.Routable
		}
	}
	return false
}

func validAbsencePolicy(p AbsencePolicy) bool {
	switch p {
	case "", AbsenceKeep, AbsenceReassignUntouched, AbsenceReassignAll:
		return true
	}
	return false
}

func checkID(ps *Problems, path, id string) {
	if id == "" {
		ps.Add(path, "required")
	} else if !idPattern.MatchString(id) {
		ps.Add(path, fmt.Sprintf("bad id %q: use letters, digits and _ . : @ - (at most 128, starting with a letter or digit)", id))
	}
}

// validAttrName reports whether s is an attribute name the rule language can
// reach as item.<name>: [A-Za-z_][A-Za-z0-9_]{0,63}. (Table lookups, not a
// regexp: it runs for every attribute of every item; TestPropertyAttrNames.)
func validAttrName(s string) bool {
	if len(s) == 0 || len(s) > 64 || nameChar[s[0]]&nameStart == 0 {
		return false
	}
	if n := len(s); n >= 4 && n <= 16 {
		// Most names: four overlapping windows of four bytes cover the
		// name, tested without a loop whose exit, at a different length
		// for every attribute, would be a mispredicted branch each time.
		a, b := min(4, n-4), min(8, n-4)
		bad := nameBad(s[0:4]) | nameBad(s[a:a+4]) | nameBad(s[b:b+4]) | nameBad(s[n-4:n])
		return bad == 0
	}
	for i := 1; i < len(s); i++ {
		if nameChar[s[i]] == 0 {
			return false
		}
	}
	return true
}

// nameBad is nonzero when one of the four bytes of w is not a name byte.
func nameBad(w string) uint8 {
	return (nameChar[w[0]] & nameChar[w[1]] & nameChar[w[2]] & nameChar[w[3]] & nameAny) ^ nameAny
}

// nameChar classifies the bytes of attribute names: nameStart for letters
// and _, nameMid for digits (not first), both with nameAny; 0 for the rest.
var nameChar = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			t[c] = nameStart | nameAny
		case c >= '0' && c <= '9':
			t[c] = nameMid | nameAny
		}
	}
	return t
}()

const (
	nameStart = 1
	nameMid   = 2
	nameAny   = 4 // set for every name byte
)

// reservedAttr reports whether k is in ReservedAttributes (a switch: the
// compiler compares lengths first). TestReservedAttr keeps the two in step.
func reservedAttr(k string) bool {
	switch k {
	case "type", "external_id", "priority", "score", "tier":
		return true
	}
	return false
}

// ValidateAttributes checks an item's attributes: names are identifiers the rule
// language can reach (letters, digits, _), not reserved, and values are strings,
// numbers, booleans or lists of strings. Paths are "attributes.<name>".
func ValidateAttributes(attrs map[string]any) Problems {
	// Fast path, without allocating: most items are valid. Problems, when
	// there are any, are reported in key order by the slow path.
	valid := true
	for k, v := range attrs {
		if !validAttrValue(v) || !validAttrName(k) || reservedAttr(k) {
			valid = false
			break
		}
	}
	if valid {
		return nil
	}
	var ps Problems
	for _, k := range sortedKeys(attrs) {
		p := "attributes." + k
		if !validAttrName(k) {
			ps.Add("attributes", fmt.Sprintf("bad attribute name %q: use letters, digits and _, starting with a letter or _", k))
			continue
		}
		if slices.Contains(ReservedAttributes, k) {
			ps.Add(p, fmt.Sprintf("%q is reserved (it is the item's own field)", k))
			continue
		}
		switch v := attrs[k].(type) {
		case string, bool, float64, int64, int:
		case []string:
		case []any:
			for i, e := range v {
				if _, ok := e.(string); !ok {
					ps.Add(fmt.Sprintf("%s[%d]", p, i), "list elements must be strings")
				}
			}
		default:
			ps.Add(p, fmt.Sprintf("unsupported value of type %T: want a string, number, boolean or list of strings", v))
		}
	}
	return ps
}

func validAttrValue(v any) bool {
	switch v := v.(type) {
	case string, bool, float64, int64, int, []string:
		return true
	case []any:
		for _, e := range v {
			if _, ok := e.(string); !ok {
				return false
			}
		}
		return true
	}
	return false
}

func policyList() string {
	s := make([]string, len(Policies))
	for i, p := range Policies {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

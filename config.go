package allot

// Config is the whole configuration of an allot installation as one plain value
// tree. The YAML of "config as code", the API, the simulator and the server all
// decode into it. Use it as cfg.WithDefaults() then Validate() then hand it on.
//
// Config values are treated as immutable once handed to the engine: the engine
// keeps pointers into them.
type Config struct {
	// Presence lists the presence statuses agents may be in. Empty means the
	// defaults of DefaultPresence.
	Presence []PresenceStatus `json:"presence,omitempty" yaml:"presence,omitempty"`
	Regions  []Region         `json:"regions" yaml:"regions"`
}

// PresenceStatus is one status an agent can set (available, break, lunch, ...).
// Only routable statuses receive work.
type PresenceStatus struct {
	Name     string `json:"name" yaml:"name"`
	Routable bool   `json:"routable" yaml:"routable"`
}

// DefaultPresence is the presence catalogue used when a config names none.
var DefaultPresence = []PresenceStatus{
	{Name: "available", Routable: true},
	{Name: "busy"},
	{Name: "break"},
	{Name: "lunch"},
	{Name: "offline"},
}

// Region is the unit of ownership and partitioning: its queues, agents, rules and
// items. A region manager's token reaches only its region.
type Region struct {
	ID       string `json:"id" yaml:"id"`
	Name     string `json:"name,omitempty" yaml:"name,omitempty"`
	TimeZone string `json:"time_zone,omitempty" yaml:"time_zone,omitempty"` // IANA; default UTC

	// ItemTypes declares the kinds of work and how many capacity units one
	// item of each kind takes. Items of undeclared types take 1 unit.
	ItemTypes []ItemType `json:"item_types,omitempty" yaml:"item_types,omitempty"`

	// Tiers map an item's score to a tier name, e.g. hot ≥ 80, warm ≥ 40,
	// cold ≥ 0. Checked from the highest threshold down; an item scoring below
	// every threshold gets the lowest tier. Empty means a single tier "default".
	Tiers []Tier `json:"tiers,omitempty" yaml:"tiers,omitempty"`

	Queues []Queue `json:"queues" yaml:"queues"`
	Agents []Agent `json:"agents" yaml:"agents"`

	// Rules route items: ordered, the first rule whose condition holds wins.
	Rules []Rule `json:"rules,omitempty" yaml:"rules,omitempty"`
	// ScoringRules add points to an item's score; every matching rule counts.
	ScoringRules []ScoringRule `json:"scoring_rules,omitempty" yaml:"scoring_rules,omitempty"`
	// DefaultQueue receives items no routing rule matches. Empty means such
	// items are kept as unroutable.
	DefaultQueue string `json:"default_queue,omitempty" yaml:"default_queue,omitempty"`

	// AbsencePolicy is what happens to an agent's open items when one of its
	// absences starts (agents may override it): "keep" (default),
	// "reassign_untouched" or "reassign_all".
	AbsencePolicy AbsencePolicy `json:"absence_policy,omitempty" yaml:"absence_policy,omitempty"`

	// Holidays are days off for every agent of the region, each agent's
	// local calendar day (like an absence from 00:00 to 24:00 local).
	Holidays []Holiday `json:"holidays,omitempty" yaml:"holidays,omitempty"`

	// OfflineAtShiftEnd sets an agent's presence to "offline" when its shift
	// ends (its pending offers return; accepted work stays), so it receives
	// nothing until it logs in again.
	OfflineAtShiftEnd bool `json:"offline_at_shift_end,omitempty" yaml:"offline_at_shift_end,omitempty"`
	// HeartbeatSeconds > 0: an agent whose client has sent heartbeats is set
	// "offline" when none arrives for this long (the server watches; agents
	// that never send one are not watched).
	HeartbeatSeconds int `json:"heartbeat_seconds,omitempty" yaml:"heartbeat_seconds,omitempty"`

	// HandBack returns items that an absence handed to others back to their
	// owner when the absence ends, if still untouched (waiting, offered or
	// assigned) and the owner has room.
	HandBack bool `json:"hand_back,omitempty" yaml:"hand_back,omitempty"`
	// MakeUpCredit bounds how far an agent who was away (absent, off shift
	// or not routable) may catch up in the weighted policies when it comes
	// back: its fairness count is raised to at least its weighted share of
	// the queue's assignments minus this many items. 0 means no catch-up: it
	// resumes at its fair share.
	MakeUpCredit int `json:"make_up_credit,omitempty" yaml:"make_up_credit,omitempty"`

	// AwayAfterMissedOffers sets an agent's presence to AwayStatus after this
	// many offers in a row time out (0: never).
	AwayAfterMissedOffers int `json:"away_after_missed_offers,omitempty" yaml:"away_after_missed_offers,omitempty"`
	// AwayStatus is the (non-routable) presence status it sets; default
	// "offline".
	AwayStatus string `json:"away_status,omitempty" yaml:"away_status,omitempty"`
}

// Holiday is a region-wide day off.
type Holiday struct {
	Date string `json:"date" yaml:"date"` // "2026-12-25"
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
}

// AbsencePolicy says what happens to an absent agent's open items.
type AbsencePolicy string

// Absence policies.
const (
	AbsenceKeep              AbsencePolicy = "keep"               // items stay; the SLA timers still move untouched ones
	AbsenceReassignUntouched AbsencePolicy = "reassign_untouched" // assigned, not yet touched items are routed to others
	AbsenceReassignAll       AbsencePolicy = "reassign_all"       // every open item is routed to others
)

// ItemType declares a kind of work item and its size in capacity units.
type ItemType struct {
	Name  string `json:"name" yaml:"name"`
	Units int    `json:"units" yaml:"units"`
}

// Tier is a named score band. An item belongs to the tier with the highest
// MinScore not above its score.
type Tier struct {
	Name     string `json:"name" yaml:"name"`
	MinScore int    `json:"min_score" yaml:"min_score"`
}

// Policy names a queue's distribution policy.
type Policy string

// The distribution policies. See docs/architecture.md for their exact order keys.
const (
	RoundRobin         Policy = "round_robin"
	WeightedRoundRobin Policy = "weighted_round_robin"
	LeastLoaded        Policy = "least_loaded"
	MostAvailable      Policy = "most_available"
	BestMatch          Policy = "best_match"
	QuotaFair          Policy = "quota_fair"
)

// Policies lists every policy in documentation order.
var Policies = []Policy{RoundRobin, WeightedRoundRobin, LeastLoaded, MostAvailable, BestMatch, QuotaFair}

// Queue is a pool of agents with a distribution policy, an ordering of waiting
// items, SLA settings and an overflow target.
type Queue struct {
	ID      string   `json:"id" yaml:"id"`
	Name    string   `json:"name,omitempty" yaml:"name,omitempty"`
	Members []string `json:"members" yaml:"members"` // agent ids
	Policy  Policy   `json:"policy,omitempty" yaml:"policy,omitempty"`

	// Order of waiting items: "priority" (default: priority, score, due time,
	// arrival) or "fifo" (arrival only).
	Order string `json:"order,omitempty" yaml:"order,omitempty"`

	// SLAMinutes is the default response SLA of items routed here (a rule's
	// SLA wins over it; 0 means none). It sets the item's due time (created +
	// SLA), which orders waiting items, and gives every assignment that long
	// to be touched: an assignment not touched in time is taken back and
	// routed to another agent, never to the one who neglected it.
	SLAMinutes int `json:"sla_minutes,omitempty" yaml:"sla_minutes,omitempty"`
	// MaxReassignments bounds the SLA re-assignments of one item (default
	// 3). The next breach escalates: to the Overflow queue when set, else to
	// the Supervisor when set, else it is only recorded; an escalated item is
	// not taken back for neglect again.
	MaxReassignments int `json:"max_reassignments,omitempty" yaml:"max_reassignments,omitempty"`
	// Supervisor is the agent who receives escalated items when the queue
	// has no overflow queue.
	Supervisor string `json:"supervisor,omitempty" yaml:"supervisor,omitempty"`

	// Overflow names the queue an item moves to after OverflowAfterMinutes
	// waiting with no eligible agent.
	Overflow             string `json:"overflow,omitempty" yaml:"overflow,omitempty"`
	OverflowAfterMinutes int    `json:"overflow_after_minutes,omitempty" yaml:"overflow_after_minutes,omitempty"`

	// OutOfHours names a queue (typically a 24/7 one) that receives items
	// routed here while no member is working (every member off shift or
	// absent). Empty: such items wait here for the next shift.
	OutOfHours string `json:"out_of_hours,omitempty" yaml:"out_of_hours,omitempty"`

	// OfferTimeoutSeconds > 0 makes this an offer-mode queue: the chosen
	// agent is offered the item and must accept it (touch) within this many
	// seconds; a decline (release) or a timeout offers it to the next best
	// agent, never back to the same one. The offer reserves the agent's
	// capacity. An accepted offer counts as touched, so
	// the response SLA is met by accepting.
	OfferTimeoutSeconds int `json:"offer_timeout_seconds,omitempty" yaml:"offer_timeout_seconds,omitempty"`

	// AgingMinutes, when set, raises a waiting item's priority by 1 for every
	// AgingMinutes it has waited in this queue, up to AgingMax (default 10)
	// steps, so that nothing starves behind a stream of higher priorities.
	AgingMinutes int `json:"aging_minutes,omitempty" yaml:"aging_minutes,omitempty"`
	AgingMax     int `json:"aging_max,omitempty" yaml:"aging_max,omitempty"`

	// StickyKey names an item attribute (e.g. "account_id"). When set, an
	// item whose key was last assigned to an agent who is eligible now goes
	// to that agent, before the policy is asked.
	StickyKey string `json:"sticky_key,omitempty" yaml:"sticky_key,omitempty"`

	// Reroute: when an assigned item's attributes change so that the rules now
	// send it to another queue, take it from its owner and route it again.
	// Waiting items always follow their rules.
	Reroute bool `json:"reroute,omitempty" yaml:"reroute,omitempty"`
}

// Rule is one routing rule: a CEL condition over the item and the actions taken
// when it is the first rule that matches.
//
// The condition sees one variable, item, a map holding the item's attributes and
// the fields type, external_id, priority, score and tier, e.g.
//
//	item.country == "DE" && item.program in ["ielts", "toefl"] && item.score > 50
type Rule struct {
	Name string `json:"name" yaml:"name"` // unique within the region
	When string `json:"when" yaml:"when"` // CEL; empty means always

	Queue string `json:"queue" yaml:"queue"`
	// Skills the agent must have, each at a minimum level.
	Skills []SkillReq `json:"skills,omitempty" yaml:"skills,omitempty"`
	// Match lists attribute matches between item and agent.
	Match []AttrMatch `json:"match,omitempty" yaml:"match,omitempty"`
	// Priority overrides the item's priority when set.
	Priority *int `json:"priority,omitempty" yaml:"priority,omitempty"`
	// SLAMinutes is the first-touch deadline; 0 means the queue's.
	SLAMinutes int  `json:"sla_minutes,omitempty" yaml:"sla_minutes,omitempty"`
	Disabled   bool `json:"disabled,omitempty" yaml:"disabled,omitempty"`
}

// SkillReq requires a skill at or above a level (1–5).
type SkillReq struct {
	Skill    string `json:"skill" yaml:"skill"`
	MinLevel int    `json:"min_level,omitempty" yaml:"min_level,omitempty"` // default 1
	// DropAfterMinutes > 0 makes the skill optional: an item that has waited
	// this long with no eligible agent stops requiring it (skill relaxation,
	// like Omni-Channel's "drop additional skills after timeout"). 0 means
	// always required.
	DropAfterMinutes int `json:"drop_after_minutes,omitempty" yaml:"drop_after_minutes,omitempty"`
}

// MatchOp is how an item attribute is matched against an agent attribute.
type MatchOp string

// The attribute match operators.
const (
	// MatchIn: the item's value is one of the agent's values
	// (language ∈ agent.languages, office, program, call type).
	MatchIn MatchOp = "in"
	// MatchTerritory: the agent's values are post code prefixes ("75", "750")
	// or inclusive ranges of equal-length codes ("10000-19999"); the item's
	// value matches when it starts with a prefix or falls in a range.
	MatchTerritory MatchOp = "territory"
)

// AttrMatch requires the item attribute Item to match the agent attribute Agent.
type AttrMatch struct {
	Item  string  `json:"item" yaml:"item"`
	Agent string  `json:"agent" yaml:"agent"`
	Op    MatchOp `json:"op,omitempty" yaml:"op,omitempty"` // default "in"
	// Optional: an item without the attribute matches every agent. Otherwise
	// such an item matches no agent.
	Optional bool `json:"optional,omitempty" yaml:"optional,omitempty"`
}

// ScoringRule adds Points to the score of every item its condition matches.
type ScoringRule struct {
	Name   string `json:"name" yaml:"name"`
	When   string `json:"when" yaml:"when"`
	Points int    `json:"points" yaml:"points"`
}

// Agent is a person (or bot) who receives work.
type Agent struct {
	ID   string `json:"id" yaml:"id"`
	Name string `json:"name,omitempty" yaml:"name,omitempty"`

	// Skills maps a skill to its level, 1 (basic) to 5 (expert).
	Skills map[string]int `json:"skills,omitempty" yaml:"skills,omitempty"`
	// Attributes are multi-valued: languages, office, post codes, programs.
	Attributes map[string][]string `json:"attributes,omitempty" yaml:"attributes,omitempty"`

	Capacity Capacity `json:"capacity" yaml:"capacity"`
	// Weight is the agent's share in weighted policies, 1–1000 (default 1).
	Weight int   `json:"weight,omitempty" yaml:"weight,omitempty"`
	Caps   []Cap `json:"caps,omitempty" yaml:"caps,omitempty"`

	// Presence is the status the agent starts in; default "offline".
	Presence string `json:"presence,omitempty" yaml:"presence,omitempty"`
	// Schedule is when the agent works; nil means always.
	Schedule *Schedule `json:"schedule,omitempty" yaml:"schedule,omitempty"`
	Absences []Absence `json:"absences,omitempty" yaml:"absences,omitempty"`
	// AbsencePolicy overrides the region's for this agent.
	AbsencePolicy AbsencePolicy `json:"absence_policy,omitempty" yaml:"absence_policy,omitempty"`

	// Manual agents are never auto-assigned (pushed) work; they receive an
	// item only when they ask for the next one.
	Manual bool `json:"manual,omitempty" yaml:"manual,omitempty"`
}

// Capacity bounds an agent's open work in capacity units. Each item takes its
// type's units; workload counts across types against Total and per type against
// PerType.
type Capacity struct {
	Total   int            `json:"total" yaml:"total"`
	PerType map[string]int `json:"per_type,omitempty" yaml:"per_type,omitempty"`
}

// Cap limits how many items (of Type, or of every type when Type is empty) an
// agent is assigned per calendar day and week in the agent's time zone. Zero
// means no limit.
type Cap struct {
	Type    string `json:"type,omitempty" yaml:"type,omitempty"`
	PerDay  int    `json:"per_day,omitempty" yaml:"per_day,omitempty"`
	PerWeek int    `json:"per_week,omitempty" yaml:"per_week,omitempty"`
}

package httpapi

import (
	"fmt"

	"github.com/danielgtaylor/huma/v2"

	"github.com/allot/allot"
)

// schemaDocs describes the fields of the types the API shares with the rest
// of allot (the root package's config and decision types, the engine's agent
// status): those packages stay free of HTTP concerns, so their descriptions
// live here. documentSchemas panics when a schema or a field named here is
// missing, and a test checks that every field of every schema has a
// description: a field added to a shared type must be described here.
var schemaDocs = map[string]map[string]string{
	"Holiday": {
		"date": "The day, YYYY-MM-DD.",
		"name": "A label, e.g. Christmas.",
	},
	"Region": {
		"hand_back":                "When an absence ends, give the agent back the items its absence handed to others that are still untouched, if the agent passes every filter then.",
		"make_up_credit":           "How many items an agent back from an absence, a shift break or a non-routable status may catch up in the weighted policies (0: it resumes at its fair share).",
		"holidays":                 "Region-wide days off: on each date no agent of the region works (each agent's local calendar day).",
		"offline_at_shift_end":     "Set agents offline when their shift ends (pending offers return, accepted work stays); they receive nothing until they log in again.",
		"heartbeat_seconds":        "Greater than 0: an agent whose client sends heartbeats (POST .../heartbeat) is set offline when none arrives for this long.",
		"away_after_missed_offers": "Set an agent's presence to away_status after this many offers in a row time out (0: never); its other pending offers then return at once.",
		"away_status":              "The non-routable presence status set by away_after_missed_offers (default offline).",
		"absence_policy":           "What happens to an agent's open items when one of its absences starts: keep (default; the SLA timers still move untouched ones), reassign_untouched (assigned, untouched items go to others) or reassign_all.",
		"id":                       "The region's id: letters, digits and _ . : @ - (at most 128). Fixed once created.",
		"name":                     "A name for people.",
		"time_zone":                "IANA time zone of the region (e.g. Europe/Paris); default UTC. Today's counts start at its midnight.",
		"item_types":               "The kinds of work and their size in capacity units. Undeclared types take 1 unit.",
		"tiers":                    "Score bands (e.g. hot ≥ 80, warm ≥ 40, cold ≥ 0); default a single tier \"default\".",
		"queues":                   "The region's queues.",
		"agents":                   "The region's agents.",
		"rules":                    "Routing rules, in order: the first whose condition holds routes the item.",
		"scoring_rules":            "Scoring rules: every one whose condition holds adds its points to the item's score.",
		"default_queue":            "The queue of items no rule matches; empty: such items are unroutable (kept, not assigned).",
	},
	"ItemType": {
		"name":  "The item type, e.g. lead.",
		"units": "Capacity units one item of this type takes (1–1000).",
	},
	"Tier": {
		"name":      "The tier's name, e.g. hot.",
		"min_score": "The lowest score of the tier; each tier needs its own.",
	},
	"Queue": {
		"id":                     "The queue's id: letters, digits and _ . : @ - (at most 128).",
		"name":                   "A name for people.",
		"members":                "The ids of the agents who take work from the queue, in order (round robin starts with the first).",
		"policy":                 "How the queue picks among eligible agents; default round_robin.",
		"order":                  "The order of waiting items: priority (priority, score, due time, arrival; the default) or fifo (arrival).",
		"sla_minutes":            "Response SLA of items routed here, in minutes; 0: none. A rule's SLA wins. Sets the item's due time (created + SLA) and gives every assignment that long to be touched: an untouched assignment is then taken back and routed to another agent (never the one who neglected it).",
		"out_of_hours":           "A queue (typically 24/7) that receives items routed here while no member is working (all off shift or absent); empty: they wait for the next shift.",
		"offer_timeout_seconds":  "Greater than 0 makes this an offer-mode queue: the chosen agent is offered the item and accepts it (accept/touch) within this many seconds; a decline (release) or a timeout offers it to the next best agent, never back to the same one. An offer reserves the agent's capacity; an accepted offer counts as touched.",
		"aging_minutes":          "Raise a waiting item's priority by 1 for every this many minutes it has waited in this queue (0: no aging), so that nothing starves.",
		"aging_max":              "The most aging steps one wait can add (default 10).",
		"max_reassignments":      "How many times one item may be taken back for neglect (default 3); the next breach escalates it: to the overflow queue, else to the supervisor, else it is only recorded.",
		"supervisor":             "The agent who receives escalated items when the queue has no overflow queue (never beyond their capacity).",
		"overflow":               "A queue items move to after overflow_after_minutes without an eligible agent.",
		"overflow_after_minutes": "Minutes an item waits before it overflows; required with overflow.",
		"sticky_key":             "An item attribute (e.g. account_id): items with the same value go to the agent who got the last one, while eligible.",
		"reroute":                "Take an assigned item back and route it again when an update makes the rules send it to another queue.",
	},
	"Rule": {
		"name":        "The rule's name, unique in the region; used in its URL.",
		"when":        "CEL condition over item (its attributes and type, external_id, priority, score, tier), e.g. item.country == \"FR\" && item.score > 50. Empty: always.",
		"queue":       "The queue the rule sends matching items to.",
		"skills":      "Skills the agent must have, each at a minimum level.",
		"match":       "Attribute matches required between the item and the agent (language in the agent's languages, post code in its territory).",
		"priority":    "Overrides the item's priority when set.",
		"sla_minutes": "First-touch deadline in minutes; 0: the queue's.",
		"disabled":    "A disabled rule never matches.",
	},
	"SkillReq": {
		"drop_after_minutes": "Greater than 0 makes the skill optional: an item that has waited this long in its queue with no eligible agent stops requiring it (skill relaxation). 0: always required.",
		"skill":              "The skill's name.",
		"min_level":          "The lowest level accepted, 1–5; default 1.",
	},
	"AttrMatch": {
		"item":     "The item attribute, e.g. language.",
		"agent":    "The agent attribute, e.g. languages.",
		"op":       "in: the item's value is one of the agent's values (default); territory: the agent's values are post code prefixes or ranges (10000-19999).",
		"optional": "When true, an item without the attribute matches every agent; otherwise no agent.",
	},
	"ScoringRule": {
		"name":   "The scoring rule's name, unique in the region; used in its URL.",
		"when":   "CEL condition over item (its attributes and type, external_id, priority; not score or tier). Required.",
		"points": "Points added to the score of every item the condition matches (may be negative).",
	},
	"Agent": {
		"absence_policy": "Overrides the region's absence policy for this agent: keep, reassign_untouched or reassign_all.",
		"id":             "The agent's id: letters, digits and _ . : @ - (at most 128).",
		"name":           "A name for people.",
		"skills":         "Skill levels, 1 (basic) to 5 (expert), by skill name.",
		"attributes":     "Multi-valued attributes rules match items against: languages, office, post codes, programs.",
		"capacity":       "How much open work the agent takes, in capacity units.",
		"weight":         "The agent's share in weighted policies, 1–1000; default 1.",
		"caps":           "Limits on items assigned per day and week.",
		"presence":       "The presence status the agent starts in; default offline. Change it later with PUT .../presence.",
		"schedule":       "Working hours; omitted: always on shift.",
		"absences":       "Periods the agent does not work (holidays): no new work then.",
		"manual":         "A manual agent is never pushed work; it gets items only by asking for the next one.",
	},
	"Capacity": {
		"total":    "Capacity units of open work the agent may hold (0–1,000,000).",
		"per_type": "Per item type limits, in units, within total.",
	},
	"Cap": {
		"type":     "The item type the cap counts; empty: every type.",
		"per_day":  "Most items assigned per calendar day in the agent's time zone; 0: no limit.",
		"per_week": "Most items assigned per calendar week; 0: no limit.",
	},
	"Schedule": {
		"time_zone": "IANA time zone of the shifts, e.g. Europe/Paris.",
		"shifts":    "The weekly working periods.",
	},
	"Shift": {
		"days":  "Week days: mon-fri, sat,sun or tue.",
		"start": "Local start time, HH:MM.",
		"end":   "Local end time, HH:MM; at or before start runs past midnight.",
	},
	"Absence": {
		"start":  "First instant of the absence (RFC 3339).",
		"end":    "End of the absence (exclusive, RFC 3339).",
		"reason": "Why (holiday, sick leave, ...).",
	},
	"Decision": {
		"config_version": "The version of the region config the decision was made under (the audit-log seq of that config entry; see GET .../config/versions).",
		"seq":            "The decision's sequence number in its region, strictly increasing.",
		"at":             "When the decision was made.",
		"kind":           "assigned, queued (no eligible agent with room), reassigned (taken from one agent, given to another) or unroutable (no rule, no default queue).",
		"item":           "The item decided.",
		"agent":          "The agent who got the item.",
		"from":           "The previous owner of a re-assigned item.",
		"queue":          "The queue the item was routed to.",
		"cause":          "The event that led to the decision: arrival, agent_available, next, released, rerouted, transfer, config_changed, capacity_freed, ...",
		"explanation":    "Why: the rule, the score, each candidate agent and the filter that excluded it or its scores.",
	},
	"Explanation": {
		"rule":          "The routing rule that matched (empty: the default queue).",
		"scoring_rules": "Every scoring rule that added points.",
		"score":         "The item's score.",
		"tier":          "The score's tier.",
		"queue":         "The queue the item was routed to.",
		"policy":        "The queue's distribution policy.",
		"sticky":        "True when the owner of related work (sticky key) was chosen.",
		"candidates":    "Every member of the queue considered, in queue order.",
		"reason":        "The outcome in a sentence.",
	},
	"Candidate": {
		"agent":  "The agent considered.",
		"filter": "The first filter that excluded the agent, in the order exclusion, skills, attributes (who the agent is), presence, schedule, capacity, caps (what it is doing); empty when eligible.",
		"reason": "Why the filter excluded it.",
		"scores": "The policy's order keys for an eligible agent; the highest first wins.",
		"chosen": "True for the agent who got the item.",
	},
	"Score": {
		"scorer": "The scorer's name.",
		"value":  "Its value; higher is better.",
	},
	"AgentStatus": {
		"id":            "The agent's id.",
		"presence":      "The current presence status.",
		"routable":      "Whether the presence receives work.",
		"on_shift":      "Inside working hours.",
		"absent":        "Inside an absence.",
		"load":          "Capacity units in use.",
		"capacity":      "Total capacity units.",
		"open":          "Open items owned.",
		"type_load":     "Capacity units in use per item type.",
		"assigned":      "Items assigned per queue since the region was loaded.",
		"tier_assigned": "Items assigned per queue and tier.",
	},
}

// schemaEnums are the closed sets of the shared types' string fields.
var schemaEnums = map[string]map[string][]string{
	"Queue":     {"policy": policies(), "order": {"priority", "fifo"}},
	"AttrMatch": {"op": {string(allot.MatchIn), string(allot.MatchTerritory)}},
	"Decision":  {"kind": {string(allot.DecisionAssigned), string(allot.DecisionQueued), string(allot.DecisionReassigned), string(allot.DecisionUnroutable), string(allot.DecisionEscalated), string(allot.DecisionOffered)}},
	"Region":    {"absence_policy": absencePolicies},
	"Agent":     {"absence_policy": absencePolicies},
}

var absencePolicies = []string{string(allot.AbsenceKeep), string(allot.AbsenceReassignUntouched), string(allot.AbsenceReassignAll)}

// schemaMinimums are lower bounds of the shared types' integer fields. These
// fields mean "not set" when omitted; a value sent explicitly must be valid
// (an SLA or timeout of 0 is refused, not read as "none").
var schemaMinimums = map[string]map[string]float64{
	"Queue": {"sla_minutes": 1, "overflow_after_minutes": 1, "offer_timeout_seconds": 1, "aging_minutes": 1,
		"aging_max": 1, "max_reassignments": 1},
	"Rule":     {"sla_minutes": 1},
	"SkillReq": {"drop_after_minutes": 1, "min_level": 1},
	"Region":   {"heartbeat_seconds": 1, "away_after_missed_offers": 1},
	"Agent":    {"weight": 1},
}

func policies() []string {
	out := make([]string, len(allot.Policies))
	for i, p := range allot.Policies {
		out[i] = string(p)
	}
	return out
}

// documentSchemas adds schemaDocs and schemaEnums to the document's schemas.
func documentSchemas(o *huma.OpenAPI) {
	schemas := o.Components.Schemas.Map()
	prop := func(name, field string) *huma.Schema {
		s, ok := schemas[name]
		if !ok {
			panic(fmt.Sprintf("httpapi: schemaDocs names schema %q, which the API does not use", name))
		}
		p, ok := s.Properties[field]
		if !ok {
			panic(fmt.Sprintf("httpapi: schemaDocs names field %s.%s, which does not exist", name, field))
		}
		return p
	}
	for name, fields := range schemaDocs {
		for field, doc := range fields {
			prop(name, field).Description = doc
		}
	}
	for name, fields := range schemaEnums {
		for field, values := range fields {
			p := prop(name, field)
			p.Enum = make([]any, len(values))
			for i, v := range values {
				p.Enum[i] = v
			}
			p.PrecomputeMessages()
		}
	}
	for name, fields := range schemaMinimums {
		for field, min := range fields {
			p := prop(name, field)
			p.Minimum = &min
			p.PrecomputeMessages()
		}
	}
}

package allot

import "time"

// Status is where an item is in its life: queued → assigned → working → closed.
type Status string

// Item statuses.
const (
	StatusQueued   Status = "queued"   // waiting in a queue for an eligible agent
	StatusOffered  Status = "offered"  // offered to an agent who has not accepted yet (offer-mode queues)
	StatusAssigned Status = "assigned" // owned by an agent, not yet touched
	StatusWorking  Status = "working"  // owned and touched (accepted)
	StatusClosed   Status = "closed"   // done; no longer counts against capacity
)

// Open reports whether an item in status s still needs work.
func (s Status) Open() bool { return s == StatusQueued || s.Owned() }

// Owned reports whether an item in status s counts against its owner's
// capacity (an offer reserves the room it needs).
func (s Status) Owned() bool { return s == StatusOffered || s == StatusAssigned || s == StatusWorking }

// Reserved item attribute names: the rule language exposes them beside the
// item's own attributes, so attributes may not use them.
var ReservedAttributes = []string{"type", "external_id", "priority", "score", "tier"}

// Item is one work item: a lead, a case, an opportunity, a work order.
//
// Attribute values are strings, numbers (float64 or int64), booleans or lists of
// strings; see ValidateAttributes.
type Item struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	ExternalID string         `json:"external_id,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`

	Score    int    `json:"score"`
	Tier     string `json:"tier,omitempty"`
	Priority int    `json:"priority"`

	CreatedAt time.Time `json:"created_at"`
	// DueAt is the first-touch deadline (zero: no SLA).
	DueAt time.Time `json:"due_at,omitzero"`

	Status Status `json:"status"`
	Queue  string `json:"queue,omitempty"`
	Owner  string `json:"owner,omitempty"`
	Rule   string `json:"rule,omitempty"`

	History []HistoryEntry `json:"history,omitempty"`
}

// HistoryEntry is one thing that happened to an item.
type HistoryEntry struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"` // created, queued, assigned, accepted, released, rerouted, closed, ...
	Queue  string    `json:"queue,omitempty"`
	Agent  string    `json:"agent,omitempty"`
	Reason string    `json:"reason,omitempty"`
}

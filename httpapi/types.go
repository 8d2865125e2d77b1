package httpapi

import (
	"encoding/json"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/allot/allot"
	"github.com/allot/allot/store"
)

// List is one page of a list.
type List[T any] struct {
	Items      []T    `json:"items" doc:"The page's elements."`
	NextCursor string `json:"next_cursor" doc:"Pass as cursor to get the next page; empty on the last page."`
}

// listOut wraps a list as a response.
type listOut[T any] struct {
	Body List[T]
}

func list[T any](items []T, next string) *listOut[T] {
	if items == nil {
		items = []T{}
	}
	return &listOut[T]{Body: List[T]{Items: items, NextCursor: next}}
}

// bodyOut is a response with a body and a status.
type bodyOut[T any] struct {
	Status int
	Body   T
}

func ok[T any](status int, b T) *bodyOut[T] { return &bodyOut[T]{Status: status, Body: b} }

// RegionPath is the {region} path parameter.
type RegionPath struct {
	Region string `path:"region" maxLength:"128" doc:"The region's id."`
}

// ItemInput is an item as an integration sends it.
type ItemInput struct {
	Type       string         `json:"type" required:"true" minLength:"1" maxLength:"128" doc:"The kind of work, e.g. lead or case. Its capacity units come from the region's item_types (1 when undeclared)."`
	ExternalID string         `json:"external_id,omitempty" maxLength:"256" doc:"The item's id in the CRM. Creation is idempotent on it: a second create with the same external_id returns the existing item (200)."`
	Attributes map[string]any `json:"attributes,omitempty" doc:"Free attributes the rules read as item.<name>: strings, numbers, booleans or lists of strings. Names are letters, digits and _; type, external_id, priority, score and tier are reserved."`
	Priority   int            `json:"priority,omitempty" doc:"Base priority; higher is served first. A matching rule may override it."`
	DueAt      *time.Time     `json:"due_at,omitempty" doc:"First-touch deadline (RFC 3339). Omitted: the rule's or queue's SLA applies."`
}

// Item is an item as the API shows it.
type Item struct {
	ID         string         `json:"id" doc:"The item's id, assigned by the server (itm_...)."`
	Type       string         `json:"type" doc:"The kind of work."`
	ExternalID string         `json:"external_id,omitempty" doc:"The item's id in the CRM."`
	Attributes map[string]any `json:"attributes,omitempty" doc:"The item's attributes."`
	Score      int            `json:"score" doc:"Points from the scoring rules that matched."`
	Tier       string         `json:"tier,omitempty" doc:"The score's tier."`
	Priority   int            `json:"priority" doc:"Effective priority (the base priority or the matching rule's)."`
	CreatedAt  time.Time      `json:"created_at" doc:"When the item arrived."`
	DueAt      *time.Time     `json:"due_at,omitempty" doc:"First-touch deadline; absent when there is no SLA."`
	Status     allot.Status   `json:"status" enum:"queued,offered,assigned,working,closed" doc:"queued, offered (offered to an agent who has not accepted yet), assigned (owned, not yet touched), working (touched or accepted) or closed."`
	Queue      string         `json:"queue,omitempty" doc:"The queue the item waits in or was assigned from."`
	Owner      string         `json:"owner,omitempty" doc:"The agent who owns the item (assigned or working)."`
	Rule       string         `json:"rule,omitempty" doc:"The routing rule that matched (empty: the default queue)."`

	// Decision is the routing decision this request made for the item
	// (create, bulk create).
	Decision *allot.Decision `json:"decision,omitempty" doc:"The routing decision this request made for the item, with its explanation (create only)."`
	// History and Explanation are filled by GET item.
	History     []HistoryEvent     `json:"history,omitempty" doc:"Everything that happened to the item, oldest first (GET only)."`
	Explanation *allot.Explanation `json:"explanation,omitempty" doc:"The explanation of the item's latest decision (GET only)."`
}

func itemOut(it allot.Item) Item {
	out := Item{ID: it.ID, Type: it.Type, ExternalID: it.ExternalID, Attributes: it.Attributes, Score: it.Score,
		Tier: it.Tier, Priority: it.Priority, CreatedAt: it.CreatedAt.UTC(), Status: it.Status, Queue: it.Queue,
		Owner: it.Owner, Rule: it.Rule}
	if !it.DueAt.IsZero() {
		d := it.DueAt.UTC()
		out.DueAt = &d
	}
	return out
}

// HistoryEvent is one thing that happened to an item: a logged event (an
// input: arrival, touch, release, ...) or a decision (an output).
type HistoryEvent struct {
	At     time.Time       `json:"at" doc:"When it happened."`
	Source string          `json:"source" enum:"event,decision" doc:"event (a request or timer the log recorded) or decision (a routing outcome)."`
	Seq    uint64          `json:"seq" doc:"The audit log's seq (events) or the decision's seq (decisions)."`
	Kind   string          `json:"kind" doc:"The event kind (item_arrived, item_touched, item_released, item_closed, item_updated, item_transferred) or the decision kind (assigned, queued, reassigned, unroutable)."`
	Actor  string          `json:"actor,omitempty" doc:"Who caused the event: a token id, system or cli."`
	Agent  string          `json:"agent,omitempty" doc:"The agent the decision gave the item to."`
	From   string          `json:"from,omitempty" doc:"The previous owner of a re-assigned item."`
	Queue  string          `json:"queue,omitempty" doc:"The decision's queue."`
	Cause  string          `json:"cause,omitempty" doc:"What led to the decision (arrival, released, transfer, ...)."`
	Data   json.RawMessage `json:"data,omitempty" doc:"The event as logged."`
}

// ActionResult is the answer to an action on an item.
type ActionResult struct {
	Item      Item             `json:"item" doc:"The item's state after the action."`
	Decisions []allot.Decision `json:"decisions" doc:"Every decision the action caused, for this item and others (e.g. an item pushed to the agent whose capacity was freed)."`
}

// ValidationResult is the answer of a dry-run validation.
type ValidationResult struct {
	Valid    bool                `json:"valid" doc:"True when there is no problem."`
	Problems []*huma.ErrorDetail `json:"problems" doc:"Every problem, with its location (body... for the object sent, config... for the rest of the region's config)."`
}

// Token is an API token as listed (never its secret).
type Token struct {
	ID        string     `json:"id" doc:"The token's id (the part after allot_ and before the secret)."`
	Role      store.Role `json:"role" enum:"admin,manager,agent,integration" doc:"What the token may do."`
	Region    string     `json:"region,omitempty" doc:"The region the token reaches (all for admin; all for an integration token without one)."`
	Agent     string     `json:"agent,omitempty" doc:"The agent an agent token acts for."`
	Name      string     `json:"name,omitempty" doc:"A label for people."`
	CreatedAt time.Time  `json:"created_at" doc:"When the token was created."`
	ExpiresAt *time.Time `json:"expires_at,omitempty" doc:"When the token stops working; absent: never."`
	Revoked   bool       `json:"revoked,omitempty" doc:"True once revoked."`
}

func tokenOut(t store.Token) Token {
	return Token{ID: t.ID, Role: t.Role, Region: t.Region, Agent: t.Agent, Name: t.Name, CreatedAt: t.CreatedAt.UTC(),
		ExpiresAt: t.ExpiresAt, Revoked: t.Revoked}
}

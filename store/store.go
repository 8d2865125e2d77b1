// Package store is allot's storage seam. A region's state is event-sourced:
// its audit log (Entry) holds every input of the region's engine — config
// versions, item and agent events, with their times and actors — hash-chained.
// Replaying the log through a fresh engine rebuilds the region exactly (the
// engine is deterministic). Items, assignments and decisions are also kept as
// tables, written in the same transaction as the entries that produced them,
// so that queries need no replay.
//
// Implementations: store/sqlite (embedded default). Every implementation
// must pass store/storetest.
package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"

	"github.com/allot/allot"
)

// KindConfig is the entry kind of a region's config (its creation, each
// replacement and edit): the region's config versions.
const KindConfig = "config"

// Entry is one audit-log entry. Entries of a region form a chain: Seq is
// 1, 2, 3, ... without gaps, and PrevHash is the Hash of the previous entry
// ("" for the first). Global entries (Region "") form their own chain.
type Entry struct {
	Region string    `json:"region"`
	Seq    uint64    `json:"seq"`
	At     time.Time `json:"at"`    // the engine time of the event, UTC
	Actor  string    `json:"actor"` // token id, "system" or "cli"
	// Kind is the event kind: "config", "item_arrived", "item_updated",
	// "item_touched", "item_released", "item_closed", "agent_presence",
	// "agent_next", "tick", or a global one such as "token_created".
	Kind     string `json:"kind"`
	Item     string `json:"item,omitempty"` // the item concerned, if any
	Payload  []byte `json:"payload"`        // the event as JSON
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
}

// HashEntry computes e's hash from its fields and PrevHash (not from Hash):
// sha256 over length-prefixed fields, hex-encoded.
func HashEntry(e *Entry) string {
	h := sha256.New()
	var buf [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(buf[:], uint64(len(b)))
		h.Write(buf[:])
		h.Write(b)
	}
	field([]byte(e.PrevHash))
	field([]byte(e.Region))
	binary.BigEndian.PutUint64(buf[:], e.Seq)
	h.Write(buf[:])
	field([]byte(e.At.UTC().Format(time.RFC3339Nano)))
	field([]byte(e.Actor))
	field([]byte(e.Kind))
	field([]byte(e.Item))
	field(e.Payload)
	return hex.EncodeToString(h.Sum(nil))
}

// Batch is what one group commit writes for one region, atomically.
type Batch struct {
	Region string
	// Entries continue the region's chain: the first has Seq = last+1 and
	// PrevHash = the last entry's Hash; Commit rejects anything else with
	// ECONFLICT (another writer got there first) and writes nothing.
	Entries []Entry
	// Decisions the entries produced, in order.
	Decisions []allot.Decision
	// Items holds the new state of every item the entries changed (upsert by
	// region and id; closed items keep their row with status closed).
	// Assignments follow: an item with an Owner has exactly one active
	// assignment, to that owner; an item without has none.
	Items []allot.Item
	// Idempotency records to keep (same transaction: a retried request after
	// a crash either sees the record or the whole batch is absent).
	Idempotency []IdempotencyRecord
}

// IdempotencyRecord is the stored response to a request made with an
// Idempotency-Key (Stripe semantics: same key and body → same response).
type IdempotencyRecord struct {
	Region      string    `json:"region"`
	Key         string    `json:"key"`
	RequestHash string    `json:"request_hash"` // sha256 of method, path and body
	Status      int       `json:"status"`
	Body        []byte    `json:"body"`
	CreatedAt   time.Time `json:"created_at"`
}

// Role is what a token may do.
type Role string

// Roles.
const (
	RoleAdmin       Role = "admin"       // everything
	RoleManager     Role = "manager"     // everything in its region
	RoleAgent       Role = "agent"       // its own presence and its own items
	RoleIntegration Role = "integration" // item intake and reads (in its region, or all when Region is "")
)

// Token is an API token. Only the hash of its secret is stored.
type Token struct {
	ID         string     `json:"id"`
	SecretHash string     `json:"-"` // hex sha256 of the secret
	Role       Role       `json:"role"`
	Region     string     `json:"region,omitempty"` // required for manager and agent
	Agent      string     `json:"agent,omitempty"`  // required for agent
	Name       string     `json:"name,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	Revoked    bool       `json:"revoked,omitempty"`
}

// ItemQuery filters and pages items of a region. Empty fields do not filter.
type ItemQuery struct {
	Region string
	Status allot.Status
	Queue  string
	Owner  string
	Type   string
	// After is the opaque cursor returned by the previous page.
	After string
	Limit int // 1–1000; 0 means 100
}

// DecisionQuery filters and pages decisions of a region, in seq order.
type DecisionQuery struct {
	Region   string
	Item     string
	Agent    string
	AfterSeq uint64
	Limit    int // 1–1000; 0 means 100
}

// Store is the storage seam. Methods are safe for concurrent use. Errors are
// *allot.Error with ENOTFOUND or ECONFLICT where the documentation says so,
// anything else is an internal error.
type Store interface {
	// Commit writes b in one transaction (one fsync). See Batch.
	Commit(ctx context.Context, b *Batch) error
	// CommitGlobal appends entries to the global chain ("" region) together
	// with token changes, in one transaction.
	CommitGlobal(ctx context.Context, entries []Entry, tokens []Token) error

	// Regions lists the regions that have at least one entry, sorted.
	Regions(ctx context.Context) ([]string, error)
	// Head returns the last entry's Seq and Hash of a region's chain (0, ""
	// when empty).
	Head(ctx context.Context, region string) (uint64, string, error)
	// Entries calls fn for the region's entries with Seq > afterSeq, in
	// order, until fn returns an error (returned) or the log ends.
	Entries(ctx context.Context, region string, afterSeq uint64, fn func(Entry) error) error
	// ItemEntries calls fn for the region's entries about item (Entry.Item),
	// in seq order, until fn returns an error (returned) or they end.
	ItemEntries(ctx context.Context, region, item string, fn func(Entry) error) error
	// ConfigEntries calls fn for the region's entries of kind KindConfig
	// with Seq > afterSeq, in order, until fn returns an error (returned) or
	// they end. A store indexes them: listing config versions costs time in
	// their number, not in the length of the log.
	ConfigEntries(ctx context.Context, region string, afterSeq uint64, fn func(Entry) error) error

	// Item returns an item by id (ENOTFOUND when absent).
	Item(ctx context.Context, region, id string) (allot.Item, error)
	// ItemByExternalID returns an item by its external id (ENOTFOUND).
	ItemByExternalID(ctx context.Context, region, externalID string) (allot.Item, error)
	// Items returns one page of items, oldest first, and the cursor of the
	// next page ("" at the end). It reflects every commit that returned
	// before the call; an item changed during the call may be left out of
	// the page (never shown in a state the query does not match), so a
	// page can be shorter than Limit with more pages after it.
	Items(ctx context.Context, q ItemQuery) ([]allot.Item, string, error)
	// Decisions returns one page of decisions in seq order.
	Decisions(ctx context.Context, q DecisionQuery) ([]allot.Decision, error)
	// ActiveAssignments maps item id → agent id for every active assignment
	// of the region.
	ActiveAssignments(ctx context.Context, region string) (map[string]string, error)

	// Idempotency returns the stored record for a key (ENOTFOUND).
	Idempotency(ctx context.Context, region, key string) (IdempotencyRecord, error)

	// Token returns a token by id (ENOTFOUND).
	Token(ctx context.Context, id string) (Token, error)
	// Tokens lists every token, sorted by id.
	Tokens(ctx context.Context) ([]Token, error)

	Close() error
}

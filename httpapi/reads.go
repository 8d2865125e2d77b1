package httpapi

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/allot/allot"
	"github.com/allot/allot/engine"
	"github.com/allot/allot/store"
)

// AuditEntry is one entry of a region's hash-chained audit log.
type AuditEntry struct {
	Seq      uint64          `json:"seq" doc:"The entry's position in the region's log: 1, 2, 3, ... without gaps."`
	At       time.Time       `json:"at" doc:"When the event happened."`
	Actor    string          `json:"actor" doc:"Who caused it: a token id, system or cli."`
	Kind     string          `json:"kind" doc:"The event kind: config, item_arrived, item_updated, item_touched, item_released, item_closed, item_transferred, agent_presence, agent_next, tick, shadow_config, shadow_end (shadow mode)."`
	Item     string          `json:"item,omitempty" doc:"The item concerned, if any."`
	Payload  json.RawMessage `json:"payload" doc:"The event as logged."`
	PrevHash string          `json:"prev_hash" doc:"The previous entry's hash (empty for the first)."`
	Hash     string          `json:"hash" doc:"SHA-256 over this entry's fields and prev_hash."`
}

// QueueStats is a queue's live state.
type QueueStats struct {
	ID                string     `json:"id" doc:"The queue's id."`
	Depth             int        `json:"depth" doc:"Items waiting."`
	OldestItem        string     `json:"oldest_item,omitempty" doc:"The waiting item that arrived first."`
	OldestSince       *time.Time `json:"oldest_since,omitempty" doc:"When the oldest waiting item arrived."`
	OldestWaitSeconds float64    `json:"oldest_wait_seconds" doc:"How long the oldest waiting item has waited (0 when none waits)."`
}

// AgentStats is an agent's live load.
type AgentStats struct {
	ID       string `json:"id" doc:"The agent's id."`
	Presence string `json:"presence" doc:"The agent's presence status."`
	Routable bool   `json:"routable" doc:"Whether the presence receives work."`
	OnShift  bool   `json:"on_shift" doc:"Inside working hours."`
	Absent   bool   `json:"absent" doc:"Inside an absence."`
	Load     int    `json:"load" doc:"Capacity units in use."`
	Capacity int    `json:"capacity" doc:"Total capacity units."`
	Open     int    `json:"open" doc:"Open items owned."`
}

// TodayStats counts the decisions of the region's current day.
type TodayStats struct {
	Since     time.Time        `json:"since" doc:"Local midnight in the region's time zone, in UTC."`
	Arrivals  int              `json:"arrivals" doc:"Items that arrived (created or reopened) and were routed."`
	Decisions int              `json:"decisions" doc:"Decisions of any kind."`
	ByKind    map[string]int   `json:"by_kind" doc:"Decisions per kind (assigned, queued, reassigned, unroutable)."`
	ByAgent   map[string]int64 `json:"assigned_by_agent" doc:"Items given to each agent (assigned or reassigned to it)."`
}

// Stats is a region's live statistics.
type Stats struct {
	Region    string       `json:"region" doc:"The region's id."`
	At        time.Time    `json:"at" doc:"When the figures were taken."`
	OpenItems int          `json:"open_items" doc:"Open items (queued, assigned, working)."`
	Queues    []QueueStats `json:"queues" doc:"Per queue, in config order."`
	Agents    []AgentStats `json:"agents" doc:"Per agent, in config order."`
	Today     TodayStats   `json:"today" doc:"Counts since local midnight."`
}

func (a *API) routeReads() {
	huma.Register(a.api, a.op(opSpec{id: "list-decisions", method: http.MethodGet, path: "/v1/regions/{region}/decisions",
		summary: "List decisions", tags: []string{"decisions"}, perm: permRead, errors: []int{http.StatusUnprocessableEntity},
		desc: "Lists the region's decisions in order (seq), with their explanations, filtered by item or agent."}),
		func(ctx context.Context, in *struct {
			RegionPath
			Item     string `query:"item" maxLength:"128" doc:"Only decisions about this item."`
			Agent    string `query:"agent" maxLength:"128" doc:"Only decisions giving an item to this agent."`
			AfterSeq int64  `query:"after_seq" minimum:"0" doc:"Only decisions with a greater seq."`
			Cursor   string `query:"cursor" maxLength:"32" doc:"The next_cursor of the previous page (wins over after_seq)."`
			Limit    int    `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Page size."`
		}) (*listOut[allot.Decision], error) {
			after := uint64(in.AfterSeq)
			if in.Cursor != "" {
				c, err := strconv.ParseUint(in.Cursor, 10, 64)
				if err != nil {
					return nil, invalid("invalid cursor", allot.Problems{{Path: "query.cursor", Message: "not a cursor this API returned"}})
				}
				after = c
			}
			ds, err := a.n.Store().Decisions(ctx, store.DecisionQuery{Region: in.Region, Item: in.Item, Agent: in.Agent, AfterSeq: after, Limit: in.Limit})
			if err != nil {
				return nil, a.problem(ctx, err, queryLocator)
			}
			next := ""
			if len(ds) == in.Limit {
				next = strconv.FormatUint(ds[len(ds)-1].Seq, 10)
			}
			return list(ds, next), nil
		})

	huma.Register(a.api, a.op(opSpec{id: "list-audit", method: http.MethodGet, path: "/v1/regions/{region}/audit",
		summary: "Read the audit log", tags: []string{"audit"}, perm: permManage, errors: []int{http.StatusUnprocessableEntity},
		desc: "Lists the region's audit log entries in order: every input of the region's engine (config versions, item and agent events, timer ticks) with its time and actor, hash-chained."}),
		func(ctx context.Context, in *struct {
			RegionPath
			AfterSeq int64  `query:"after_seq" minimum:"0" doc:"Only entries with a greater seq."`
			Cursor   string `query:"cursor" maxLength:"32" doc:"The next_cursor of the previous page (wins over after_seq)."`
			Limit    int    `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Page size."`
		}) (*listOut[AuditEntry], error) {
			after := uint64(in.AfterSeq)
			if in.Cursor != "" {
				c, err := strconv.ParseUint(in.Cursor, 10, 64)
				if err != nil {
					return nil, invalid("invalid cursor", allot.Problems{{Path: "query.cursor", Message: "not a cursor this API returned"}})
				}
				after = c
			}
			out, next, err := pageEntries(ctx, a.n.Store(), in.Region, after, in.Limit, func(e store.Entry) (AuditEntry, bool) {
				return auditEntry(e), true
			})
			if err != nil {
				return nil, a.problem(ctx, err, nil)
			}
			return list(out, next), nil
		})

	huma.Register(a.api, a.op(opSpec{id: "get-stats", method: http.MethodGet, path: "/v1/regions/{region}/stats",
		summary: "Live statistics of a region", tags: []string{"stats"}, perm: permManage,
		desc: "Per queue: depth and oldest wait; per agent: presence, load, capacity and open items; today's counts (since local midnight in the region's time zone)."}),
		func(ctx context.Context, in *RegionPath) (*bodyOut[Stats], error) {
			st, err := a.stats(ctx, in.Region)
			if err != nil {
				return nil, err
			}
			return ok(http.StatusOK, st), nil
		})
}

func auditEntry(e store.Entry) AuditEntry {
	p := json.RawMessage(e.Payload)
	if !json.Valid(p) {
		p, _ = json.Marshal(string(e.Payload))
	}
	return AuditEntry{Seq: e.Seq, At: e.At.UTC(), Actor: e.Actor, Kind: e.Kind, Item: e.Item, Payload: p, PrevHash: e.PrevHash, Hash: e.Hash}
}

func (a *API) stats(ctx context.Context, region string) (Stats, error) {
	now := time.Now().UTC()
	out := Stats{Region: region, At: now}
	var tz string
	err := a.n.Read(ctx, region, func(e *engine.Engine) {
		r := e.Region()
		tz = r.TimeZone
		out.OpenItems = e.OpenItems()
		for _, q := range r.Queues {
			qs, _ := e.Queue(q.ID)
			s := QueueStats{ID: q.ID, Depth: len(qs.Waiting)}
			for _, id := range qs.Waiting {
				it, _ := e.Item(id)
				if s.OldestSince == nil || it.CreatedAt.Before(*s.OldestSince) {
					t := it.CreatedAt.UTC()
					s.OldestSince, s.OldestItem = &t, id
				}
			}
			if s.OldestSince != nil {
				s.OldestWaitSeconds = max(0, now.Sub(*s.OldestSince).Seconds())
			}
			out.Queues = append(out.Queues, s)
		}
		for _, ag := range r.Agents {
			as, _ := e.Agent(ag.ID)
			out.Agents = append(out.Agents, AgentStats{ID: as.ID, Presence: as.Presence, Routable: as.Routable, OnShift: as.OnShift,
				Absent: as.Absent, Load: as.Load, Capacity: as.Capacity, Open: as.Open})
		}
	})
	if err != nil {
		return out, a.problem(ctx, err, nil)
	}
	if out.Queues == nil {
		out.Queues = []QueueStats{}
	}
	if out.Agents == nil {
		out.Agents = []AgentStats{}
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	lt := now.In(loc)
	midnight := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc).UTC()
	today, err := a.today.count(ctx, a.n.Store(), region, midnight)
	if err != nil {
		return out, a.problem(ctx, err, nil)
	}
	out.Today = today
	return out, nil
}

// todayCounter counts each region's decisions since local midnight,
// incrementally: it remembers the last seq it counted, so each call reads
// only the decisions made since the previous one. The first call of a day
// finds the day's first decision by binary search over seq.
type todayCounter struct {
	mu sync.Mutex
	m  map[string]*dayCount
}

type dayCount struct {
	since   time.Time
	lastSeq uint64
	stats   TodayStats
}

func (c *todayCounter) count(ctx context.Context, st store.Store, region string, midnight time.Time) (TodayStats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	dc := c.m[region]
	if dc == nil || !dc.since.Equal(midnight) {
		start, err := lastSeqBefore(ctx, st, region, midnight)
		if err != nil {
			return TodayStats{}, err
		}
		dc = &dayCount{since: midnight, lastSeq: start,
			stats: TodayStats{Since: midnight, ByKind: map[string]int{}, ByAgent: map[string]int64{}}}
		c.m[region] = dc
	}
	for {
		ds, err := st.Decisions(ctx, store.DecisionQuery{Region: region, AfterSeq: dc.lastSeq, Limit: 1000})
		if err != nil {
			return TodayStats{}, err
		}
		for _, d := range ds {
			dc.lastSeq = d.Seq
			if d.At.Before(midnight) {
				continue
			}
			dc.stats.Decisions++
			dc.stats.ByKind[string(d.Kind)]++
			if d.Cause == "arrival" {
				dc.stats.Arrivals++
			}
			if d.Agent != "" && (d.Kind == allot.DecisionAssigned || d.Kind == allot.DecisionReassigned) {
				dc.stats.ByAgent[d.Agent]++
			}
		}
		if len(ds) < 1000 {
			break
		}
	}
	out := dc.stats
	out.ByKind = maps(dc.stats.ByKind)
	out.ByAgent = maps(dc.stats.ByAgent)
	return out, nil
}

func maps[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// lastSeqBefore returns a seq s such that every decision with seq ≤ s was
// made before t and the first one after s (if any) at or after t. Decision
// times never decrease with seq.
func lastSeqBefore(ctx context.Context, st store.Store, region string, t time.Time) (uint64, error) {
	// firstAfter reports whether the first decision after seq s is at or
	// after t (or there is none).
	firstAfter := func(s uint64) (bool, error) {
		ds, err := st.Decisions(ctx, store.DecisionQuery{Region: region, AfterSeq: s, Limit: 1})
		if err != nil || len(ds) == 0 {
			return true, err
		}
		return !ds[0].At.Before(t), nil
	}
	if ok, err := firstAfter(0); ok || err != nil {
		return 0, err
	}
	lo, hi := uint64(0), uint64(1) // firstAfter(lo) false; find hi with true
	for {
		ok, err := firstAfter(hi)
		if err != nil {
			return 0, err
		}
		if ok {
			break
		}
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := firstAfter(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, nil
}

// itemEntrier is a store that reads an item's log entries directly (an
// index on the entries' item). Without it, history scans the region's log.
type itemEntrier interface {
	ItemEntries(ctx context.Context, region, item string, fn func(store.Entry) error) error
}

// history merges an item's logged events and its decisions, oldest first,
// and returns the latest decision's explanation.
func (a *API) history(ctx context.Context, region, id string) ([]HistoryEvent, *allot.Explanation, error) {
	var hs []HistoryEvent
	add := func(e store.Entry) error {
		if e.Item != id {
			return nil
		}
		p := json.RawMessage(e.Payload)
		if !json.Valid(p) {
			p = nil
		}
		hs = append(hs, HistoryEvent{At: e.At.UTC(), Source: "event", Seq: e.Seq, Kind: e.Kind, Actor: e.Actor, Data: p})
		return nil
	}
	var err error
	if ie, ok := a.n.Store().(itemEntrier); ok {
		err = ie.ItemEntries(ctx, region, id, add)
	} else {
		err = a.n.Store().Entries(ctx, region, 0, add)
	}
	if err != nil {
		return nil, nil, err
	}
	var exp *allot.Explanation
	var after uint64
	for {
		ds, err := a.n.Store().Decisions(ctx, store.DecisionQuery{Region: region, Item: id, AfterSeq: after, Limit: 1000})
		if err != nil {
			return nil, nil, err
		}
		for _, d := range ds {
			hs = append(hs, HistoryEvent{At: d.At.UTC(), Source: "decision", Seq: d.Seq, Kind: string(d.Kind), Agent: d.Agent,
				From: d.From, Queue: d.Queue, Cause: d.Cause})
			after = d.Seq
			if d.Explanation != nil {
				exp = d.Explanation
			}
		}
		if len(ds) < 1000 {
			break
		}
	}
	// Events before the decisions they caused at the same instant.
	slices.SortStableFunc(hs, func(x, y HistoryEvent) int {
		if c := x.At.Compare(y.At); c != 0 {
			return c
		}
		return cmp.Compare(sourceOrder(x.Source), sourceOrder(y.Source))
	})
	return hs, exp, nil
}

func sourceOrder(s string) int {
	if s == "event" {
		return 0
	}
	return 1
}

// pageEntries returns up to limit entries of region with Seq > after that
// keep accepts, converted, and the cursor of the next page ("" at the end).
func pageEntries[T any](ctx context.Context, st store.Store, region string, after uint64, limit int,
	keep func(store.Entry) (T, bool)) ([]T, string, error) {
	return pageOf(limit, func(fn func(store.Entry) error) error { return st.Entries(ctx, region, after, fn) }, keep)
}

// pageOf is pageEntries over any ordered stream of entries (read calls its
// function with each entry until it returns an error).
func pageOf[T any](limit int, read func(func(store.Entry) error) error, keep func(store.Entry) (T, bool)) ([]T, string, error) {
	var out []T
	var last uint64
	errEnough := errors.New("page full")
	err := read(func(e store.Entry) error {
		v, ok := keep(e)
		if !ok {
			return nil
		}
		if len(out) == limit {
			return errEnough
		}
		out, last = append(out, v), e.Seq
		return nil
	})
	if errors.Is(err, errEnough) {
		return out, strconv.FormatUint(last, 10), nil
	}
	return out, "", err
}

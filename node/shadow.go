package node

// Shadow mode: a region may run a candidate config beside its live one. The
// candidate gets a second engine (the shadow), seeded from the live engine's
// state when the shadow starts; from then on every event the live engine
// applies is applied to the shadow too, at the same clock time, and for every
// arrival the two decisions are compared. The shadow never acts: its
// decisions are neither stored nor answered.
//
// Starting and ending a shadow are logged entries of the region's chain
// (KindShadowConfig, KindShadowEnd), so a restart rebuilds the shadow and
// its report by replay, exactly as they were. Promoting the shadow applies
// its config as an ordinary config change (a new version; roll back with the
// previous version) and ends the shadow, atomically.

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/engine"
	"github.com/allot/allot/store"
)

// Entry kinds of shadow mode.
const (
	KindShadowConfig = "shadow_config"
	KindShadowEnd    = "shadow_end"
)

// maxShadowExamples bounds the disagreement examples a report keeps (the
// most recent ones).
const maxShadowExamples = 50

// shadowConfig starts (or replaces) a region's shadow. Config is the whole
// config the shadow engine runs (the live config with the candidate region);
// Actor is who started it. It embeds engine.Tick only to be an engine.Event
// that the writer can carry and log; the live engine never sees it.
type shadowConfig struct {
	engine.Tick
	Config allot.Config `json:"config"`
	Actor  string       `json:"actor,omitempty"`
}

// shadowEnd ends a region's shadow.
type shadowEnd struct{ engine.Tick }

// shadowPromote is a command (never logged as such): apply the shadow's
// config as a config change, then end the shadow.
type shadowPromote struct {
	engine.Tick
	seq *uint64 // receives the new config version
}

// ShadowOutcome is what one engine decided for an arriving item.
type ShadowOutcome struct {
	Rule  string             `json:"rule,omitempty" doc:"The routing rule that matched (empty: the default queue)."`
	Queue string             `json:"queue,omitempty" doc:"The queue the item went to."`
	Tier  string             `json:"tier,omitempty" doc:"The item's tier."`
	Score int                `json:"score" doc:"The item's score."`
	Agent string             `json:"agent,omitempty" doc:"The agent the item was given or offered to (empty: it waits)."`
	Kind  allot.DecisionKind `json:"kind,omitempty" doc:"The decision's kind: assigned, offered, queued, unroutable, ..."`
}

// ShadowExample is one arrival on which live and shadow disagreed.
type ShadowExample struct {
	Item   string        `json:"item" doc:"The item's id."`
	At     time.Time     `json:"at" doc:"When it arrived."`
	Fields []string      `json:"fields" doc:"The fields that differ: rule, queue, tier, score, agent, kind."`
	Live   ShadowOutcome `json:"live" doc:"What the live config decided."`
	Shadow ShadowOutcome `json:"shadow" doc:"What the candidate config would have decided."`
	// Reason is the shadow decision's explanation.
	Reason     string `json:"reason,omitempty" doc:"The shadow decision's explanation."`
	LiveReason string `json:"live_reason,omitempty" doc:"The live decision's explanation."`
}

// ShadowAgent compares one agent's work under both configs since the
// shadow started.
type ShadowAgent struct {
	Agent             string `json:"agent" doc:"The agent's id."`
	InLive            bool   `json:"in_live" doc:"Whether the live config has the agent."`
	InShadow          bool   `json:"in_shadow" doc:"Whether the candidate config has the agent."`
	LiveAssignments   int64  `json:"live_assignments" doc:"Items given or offered to the agent by the live engine since the shadow started."`
	ShadowAssignments int64  `json:"shadow_assignments" doc:"Items the shadow engine gave or offered to the agent since it started."`
	LiveLoad          int    `json:"live_load" doc:"Capacity units in use now, live."`
	ShadowLoad        int    `json:"shadow_load" doc:"Capacity units in use now, in the shadow."`
	LiveWeight        int    `json:"live_weight,omitempty" doc:"The agent's weight in the live config."`
	ShadowWeight      int    `json:"shadow_weight,omitempty" doc:"The agent's weight in the candidate config."`
}

// ShadowSide sums up one engine's work since the shadow started.
type ShadowSide struct {
	Assignments int64 `json:"assignments" doc:"Items given or offered to agents."`
	Load        int   `json:"load" doc:"Capacity units in use now, over every agent."`
	// Fairness is the Gini coefficient of assignments divided by weight
	// over the config's agents: 0 is perfectly even, 1 all to one agent.
	Fairness float64 `json:"fairness_gini" doc:"Gini coefficient of assignments per unit of weight over the config's agents: 0 perfectly even, towards 1 concentrated on few agents."`
}

// ShadowReport is where a region's candidate config and its live config
// disagree since the shadow started.
type ShadowReport struct {
	Region    string       `json:"region" doc:"The region."`
	Seq       uint64       `json:"seq" doc:"The audit-log entry that started the shadow."`
	StartedAt time.Time    `json:"started_at" doc:"When the shadow started."`
	StartedBy string       `json:"started_by,omitempty" doc:"Who started it."`
	Candidate allot.Region `json:"candidate" doc:"The candidate config."`

	Arrivals      int64            `json:"arrivals" doc:"Arrivals compared."`
	Agreements    int64            `json:"agreements" doc:"Arrivals both configs decided alike (rule, queue, tier, score, agent and kind)."`
	Disagreements int64            `json:"disagreements" doc:"Arrivals decided differently."`
	ByField       map[string]int64 `json:"by_field" doc:"Disagreements per field: rule, queue, tier, score, agent, kind (an arrival counts under every field that differs)."`
	Examples      []ShadowExample  `json:"examples" doc:"The most recent disagreements (at most 50)."`

	Events            int64            `json:"events" doc:"Live events mirrored to the shadow."`
	Skipped           int64            `json:"skipped" doc:"Live events the shadow could not apply (e.g. a touch by an agent who does not own the item in the shadow); they were skipped."`
	SkippedByKind     map[string]int64 `json:"skipped_by_kind,omitempty" doc:"Skipped events per kind."`
	LastSkip          string           `json:"last_skip,omitempty" doc:"Why the last skipped event failed in the shadow."`
	SeedSkipped       int64            `json:"seed_skipped" doc:"Steps of copying the live state into the shadow at its start that the candidate refused (e.g. an owner it lacks or who has no room)."`
	LiveConfigChanges int64            `json:"live_config_changes" doc:"Live config changes since the shadow started; the shadow keeps its candidate, and promoting replaces them."`

	Live   ShadowSide    `json:"live" doc:"The live engine's work since the shadow started."`
	Shadow ShadowSide    `json:"shadow" doc:"The shadow engine's work since it started."`
	Agents []ShadowAgent `json:"agents" doc:"Per agent, live beside shadow."`
}

// shadow is a region's shadow (writer goroutine only).
type shadow struct {
	cfg      allot.Config // the whole config the shadow engine runs (defaulted)
	eng      *engine.Engine
	rep      ShadowReport
	liveAsg  map[string]int64
	shadAsg  map[string]int64
	examples []ShadowExample // ring, next at exNext
	exNext   int
}

// StartShadow starts running candidate, a whole region config, in shadow
// beside region's live config (replacing a shadow already running). The
// candidate is validated like a config change: an invalid one fails with
// EINVALID and its problems (paths under regions[0]) and changes nothing.
// Its id may be empty; otherwise it must be region.
func (n *Node) StartShadow(ctx context.Context, region, actor string, candidate allot.Region) error {
	if candidate.ID == "" {
		candidate.ID = region
	}
	if candidate.ID != region {
		return &allot.Error{Code: allot.EINVALID, Message: "invalid candidate config",
			Problems: allot.Problems{{Path: "regions[0].id", Message: fmt.Sprintf("must be the region %q", region)}}}
	}
	_, err := n.Submit(ctx, region, Command{Actor: actor, Event: shadowConfig{Config: allot.Config{Regions: []allot.Region{candidate}}, Actor: actor}})
	return err
}

// EndShadow ends region's shadow; ENOTFOUND when it has none.
func (n *Node) EndShadow(ctx context.Context, region, actor string) error {
	_, err := n.Submit(ctx, region, Command{Actor: actor, Event: shadowEnd{}})
	return err
}

// PromoteShadow applies region's shadow config as a config change (a new
// config version, the seq returned) and ends the shadow, in one commit. To
// undo, roll back to the previous version. ENOTFOUND when there is no shadow;
// a candidate that no longer applies (EINVALID) changes nothing.
func (n *Node) PromoteShadow(ctx context.Context, region, actor string) (uint64, error) {
	var seq uint64
	_, err := n.Submit(ctx, region, Command{Actor: actor, Event: shadowPromote{seq: &seq}})
	return seq, err
}

// ShadowReport returns region's shadow report; ENOTFOUND when it has no
// shadow.
func (n *Node) ShadowReport(ctx context.Context, region string) (ShadowReport, error) {
	r, err := n.region(region)
	if err != nil {
		return ShadowReport{}, err
	}
	var rep ShadowReport
	var rerr error
	done := make(chan struct{})
	c := &Command{read: func(*engine.Engine) {
		defer close(done)
		if r.shadow == nil {
			rerr = allot.Errorf(allot.ENOTFOUND, "region %q has no shadow config; start one with PUT /v1/regions/%s/shadow", region, region)
			return
		}
		rep = r.shadow.report(r)
	}}
	if _, err := r.submit(ctx, c); err != nil {
		return rep, err
	}
	<-done
	return rep, rerr
}

// isShadowEvent reports whether ev is a shadow-mode entry, which engines
// never apply.
func isShadowEvent(ev engine.Event) bool {
	switch ev.(type) {
	case shadowConfig, shadowEnd, shadowPromote:
		return true
	}
	return false
}

// encodeShadow encodes shadow-mode entries (codec's fallback).
func encodeShadow(ev engine.Event) (kind, item string, payload []byte, err error) {
	switch ev.(type) {
	case shadowConfig:
		kind = KindShadowConfig
	case shadowEnd:
		kind = KindShadowEnd
	default:
		return "", "", nil, fmt.Errorf("node: cannot encode event %T", ev)
	}
	payload, err = json.Marshal(ev)
	return kind, "", payload, err
}

// decodeShadow decodes shadow-mode entries (codec's fallback).
func decodeShadow(kind string, payload []byte) (engine.Event, error) {
	switch kind {
	case KindShadowConfig:
		var e shadowConfig
		if err := json.Unmarshal(payload, &e); err != nil {
			return nil, fmt.Errorf("node: decode %s entry: %w", kind, err)
		}
		return e, nil
	case KindShadowEnd:
		return shadowEnd{}, nil
	}
	return nil, fmt.Errorf("node: unknown entry kind %q", kind)
}

// shadowCommand handles the shadow-mode commands inside decide (the clock
// is set to now). ok is false for every other command.
func (r *region) shadowCommand(b *store.Batch, c *Command, now time.Time) (res Result, ok bool, err error) {
	switch ev := c.Event.(type) {
	case shadowConfig:
		full, err := cloneConfig(r.cfg)
		if err != nil {
			return Result{}, true, err
		}
		cand, err := regionConfig(ev.Config)
		if err != nil || cand.ID != r.id {
			return Result{}, true, allot.Errorf(allot.EINVALID, "a shadow config holds exactly the region %q", r.id)
		}
		full.Regions = []allot.Region{cand}
		ev.Config = full
		s, err := r.newShadow(ev, r.headSeq+1, now)
		if err != nil {
			return Result{}, true, err
		}
		if err := r.appendEntry(b, now, c.Actor, ev); err != nil {
			return Result{}, true, err
		}
		r.shadow = s
		return Result{}, true, nil
	case shadowEnd:
		if r.shadow == nil {
			return Result{}, true, r.noShadow()
		}
		if err := r.appendEntry(b, now, c.Actor, ev); err != nil {
			return Result{}, true, err
		}
		r.shadow = nil
		return Result{}, true, nil
	case shadowPromote:
		if r.shadow == nil {
			return Result{}, true, r.noShadow()
		}
		cfg, err := cloneConfig(r.shadow.cfg)
		if err != nil {
			return Result{}, true, err
		}
		res, err := r.decide(b, &Command{Actor: c.Actor, Event: engine.ConfigChanged{Config: cfg}})
		if err != nil {
			return res, true, err
		}
		if ev.seq != nil {
			*ev.seq = r.headSeq
		}
		if err := r.appendEntry(b, now, c.Actor, shadowEnd{}); err != nil {
			return res, true, err
		}
		r.shadow = nil
		return res, true, nil
	}
	return Result{}, false, nil
}

func (r *region) noShadow() error {
	return allot.Errorf(allot.ENOTFOUND, "region %q has no shadow config", r.id)
}

// replayShadow applies a shadow-mode entry during replay; false for any
// other event. A candidate that no longer loads (a newer version's stricter
// validation) drops the shadow with a warning rather than failing the load.
func (r *region) replayShadow(ev engine.Event) bool {
	switch ev := ev.(type) {
	case shadowConfig:
		s, err := r.newShadow(ev, r.headSeq+1, r.clock.T)
		if err != nil {
			r.n.log.Warn("shadow config no longer loads; shadow dropped", "region", r.id, "seq", r.headSeq+1, "err", err)
			r.shadow = nil
			return true
		}
		r.shadow = s
		return true
	case shadowEnd:
		r.shadow = nil
		return true
	}
	return false
}

// newShadow builds the shadow engine for ev's config and seeds it with the
// live engine's state: agents' presence, then the open items in arrival
// order, each given to its live owner (and accepted if it is) when the
// candidate allows. Deterministic, so replay rebuilds the same shadow.
func (r *region) newShadow(ev shadowConfig, seq uint64, now time.Time) (*shadow, error) {
	eng, err := engine.New(ev.Config, r.id, r.clock)
	if err != nil {
		return nil, err
	}
	// The shadow's decisions are compared (outcome copies what it needs)
	// and dropped: their explanations' memory is reused call to call.
	eng.ReuseExplanations(true)
	s := &shadow{cfg: ev.Config.WithDefaults(), eng: eng, liveAsg: map[string]int64{}, shadAsg: map[string]int64{}}
	s.rep = ShadowReport{Region: r.id, Seq: seq, StartedAt: now.UTC(), StartedBy: ev.Actor,
		ByField: map[string]int64{}, SkippedByKind: map[string]int64{}}
	if cand, err := regionConfig(s.cfg); err == nil {
		s.rep.Candidate = cand
	}
	seed := func(ev engine.Event) {
		if _, err := eng.Apply(ev); err != nil {
			s.rep.SeedSkipped++
		}
	}
	for _, a := range r.eng.Region().Agents {
		live, _ := r.eng.Agent(a.ID)
		if sh, ok := eng.Agent(a.ID); ok && sh.Presence != live.Presence {
			seed(engine.AgentPresence{Agent: a.ID, Status: live.Presence})
		}
	}
	items := r.eng.Items()
	// Owned items first, so that their owners' capacity is right before
	// waiting items are routed.
	slices.SortStableFunc(items, func(a, b allot.Item) int {
		ao, bo := a.Owner != "", b.Owner != ""
		switch {
		case ao == bo:
			return 0
		case ao:
			return -1
		}
		return 1
	})
	for _, it := range items {
		in := allot.Item{ID: it.ID, Type: it.Type, ExternalID: it.ExternalID, Attributes: cloneAttrs(it.Attributes),
			Priority: it.Priority, CreatedAt: it.CreatedAt, DueAt: it.DueAt}
		seed(engine.ItemArrived{Item: in})
		if it.Owner == "" {
			continue
		}
		seed(engine.ItemTransferred{ID: it.ID, To: it.Owner, Reason: "shadow start: the live owner"})
		if it.Status == allot.StatusWorking {
			seed(engine.ItemTouched{ID: it.ID, Agent: it.Owner})
		}
	}
	return s, nil
}

func cloneAttrs(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// shadowMirror applies an event the live engine applied (with ds, its
// decisions) to the shadow, and compares the decisions of an arrival.
// Writer goroutine only; called by decide and replay.
func (r *region) shadowMirror(ev engine.Event, ds []allot.Decision) {
	s := r.shadow
	if s == nil {
		return
	}
	countAssignments(s.liveAsg, ds)
	if _, ok := ev.(engine.ConfigChanged); ok {
		s.rep.LiveConfigChanges++
		return
	}
	s.rep.Events++
	sds, err := s.eng.Apply(shadowCopy(ev))
	countAssignments(s.shadAsg, sds)
	if err != nil {
		s.rep.Skipped++
		s.rep.SkippedByKind[eventKind(ev)]++
		s.rep.LastSkip = err.Error()
		return
	}
	if arr, ok := ev.(engine.ItemArrived); ok {
		s.compare(r, arr.Item.ID, ds, sds)
	}
}

// shadowCopy gives the shadow its own copy of events that carry maps (the
// engines take ownership of them), as replay would decode it.
func shadowCopy(ev engine.Event) engine.Event {
	switch e := ev.(type) {
	case engine.ItemArrived:
		if b, err := json.Marshal(e); err == nil {
			var c engine.ItemArrived
			if json.Unmarshal(b, &c) == nil {
				return c
			}
		}
	case engine.ItemUpdated:
		if b, err := json.Marshal(e); err == nil {
			var c engine.ItemUpdated
			if json.Unmarshal(b, &c) == nil {
				return c
			}
		}
	}
	return ev
}

func countAssignments(m map[string]int64, ds []allot.Decision) {
	for _, d := range ds {
		switch d.Kind {
		case allot.DecisionAssigned, allot.DecisionOffered, allot.DecisionReassigned:
			if d.Agent != "" {
				m[d.Agent]++
			}
		}
	}
}

// outcome is what eng decided for the arriving item id (ds: the decisions
// of its arrival).
func outcome(eng *engine.Engine, id string, ds []allot.Decision) (ShadowOutcome, string) {
	var o ShadowOutcome
	reason := ""
	for _, d := range ds {
		if d.Item != id {
			continue
		}
		o.Kind, o.Agent, o.Queue = d.Kind, d.Agent, d.Queue
		if d.Explanation != nil {
			reason = d.Explanation.Reason
			o.Rule, o.Tier, o.Score = d.Explanation.Rule, d.Explanation.Tier, d.Explanation.Score
		}
		break
	}
	if it, ok := eng.Item(id); ok {
		o.Rule, o.Queue, o.Tier, o.Score, o.Agent = it.Rule, it.Queue, it.Tier, it.Score, it.Owner
	}
	return o, reason
}

func (s *shadow) compare(r *region, id string, ds, sds []allot.Decision) {
	live, liveReason := outcome(r.eng, id, ds)
	sh, reason := outcome(s.eng, id, sds)
	var fields []string
	if live.Rule != sh.Rule {
		fields = append(fields, "rule")
	}
	if live.Queue != sh.Queue {
		fields = append(fields, "queue")
	}
	if live.Tier != sh.Tier {
		fields = append(fields, "tier")
	}
	if live.Score != sh.Score {
		fields = append(fields, "score")
	}
	if live.Agent != sh.Agent {
		fields = append(fields, "agent")
	}
	if live.Kind != sh.Kind {
		fields = append(fields, "kind")
	}
	s.rep.Arrivals++
	if len(fields) == 0 {
		s.rep.Agreements++
		return
	}
	s.rep.Disagreements++
	for _, f := range fields {
		s.rep.ByField[f]++
	}
	ex := ShadowExample{Item: id, At: r.clock.T.UTC(), Fields: fields, Live: live, Shadow: sh, Reason: reason, LiveReason: liveReason}
	if len(s.examples) < maxShadowExamples {
		s.examples = append(s.examples, ex)
	} else {
		s.examples[s.exNext] = ex
	}
	s.exNext = (s.exNext + 1) % maxShadowExamples
}

// report builds the report from the shadow's counters and both engines'
// current state (writer goroutine).
func (s *shadow) report(r *region) ShadowReport {
	rep := s.rep
	rep.ByField = copyCounts(s.rep.ByField)
	rep.SkippedByKind = copyCounts(s.rep.SkippedByKind)
	// Examples oldest first.
	rep.Examples = make([]ShadowExample, 0, len(s.examples))
	if len(s.examples) == maxShadowExamples {
		rep.Examples = append(rep.Examples, s.examples[s.exNext:]...)
		rep.Examples = append(rep.Examples, s.examples[:s.exNext]...)
	} else {
		rep.Examples = append(rep.Examples, s.examples...)
	}
	byID := map[string]*ShadowAgent{}
	var order []string
	get := func(id string) *ShadowAgent {
		if a, ok := byID[id]; ok {
			return a
		}
		a := &ShadowAgent{Agent: id}
		byID[id] = a
		order = append(order, id)
		return a
	}
	var liveX, shadX []float64
	for _, ag := range r.eng.Region().Agents {
		a := get(ag.ID)
		a.InLive, a.LiveWeight, a.LiveAssignments = true, weightOf(ag), s.liveAsg[ag.ID]
		st, _ := r.eng.Agent(ag.ID)
		a.LiveLoad = st.Load
		rep.Live.Load += st.Load
		liveX = append(liveX, float64(a.LiveAssignments)/float64(a.LiveWeight))
	}
	for _, ag := range s.eng.Region().Agents {
		a := get(ag.ID)
		a.InShadow, a.ShadowWeight, a.ShadowAssignments = true, weightOf(ag), s.shadAsg[ag.ID]
		st, _ := s.eng.Agent(ag.ID)
		a.ShadowLoad = st.Load
		rep.Shadow.Load += st.Load
		shadX = append(shadX, float64(a.ShadowAssignments)/float64(a.ShadowWeight))
	}
	for _, v := range s.liveAsg {
		rep.Live.Assignments += v
	}
	for _, v := range s.shadAsg {
		rep.Shadow.Assignments += v
	}
	rep.Live.Fairness, rep.Shadow.Fairness = gini(liveX), gini(shadX)
	rep.Agents = make([]ShadowAgent, 0, len(order))
	for _, id := range order {
		rep.Agents = append(rep.Agents, *byID[id])
	}
	return rep
}

func weightOf(a allot.Agent) int {
	if a.Weight < 1 {
		return 1
	}
	return a.Weight
}

func copyCounts(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// gini is the Gini coefficient of xs (0 when empty or all zero), rounded to
// four decimals.
func gini(xs []float64) float64 {
	n := len(xs)
	if n == 0 {
		return 0
	}
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	var sum, weighted float64
	for i, x := range sorted {
		sum += x
		weighted += float64(i+1) * x
	}
	if sum == 0 {
		return 0
	}
	g := (2*weighted)/(float64(n)*sum) - float64(n+1)/float64(n)
	return math.Round(g*1e4) / 1e4
}

// eventKind names an event like its entry kind.
func eventKind(ev engine.Event) string {
	switch ev.(type) {
	case engine.ItemArrived:
		return KindItemArrived
	case engine.ItemUpdated:
		return KindItemUpdated
	case engine.ItemTouched:
		return KindItemTouched
	case engine.ItemReleased:
		return KindItemReleased
	case engine.ItemClosed:
		return KindItemClosed
	case engine.ItemTransferred:
		return KindItemTransfer
	case engine.AgentPresence:
		return KindAgentPresence
	case engine.AgentNext:
		return KindAgentNext
	case engine.Tick:
		return KindTick
	}
	return fmt.Sprintf("%T", ev)
}

package node

import (
	"context"
	"fmt"

	"github.com/allot/allot"
	"github.com/allot/allot/engine"
	"github.com/allot/allot/store"
)

// VerifyReport is what Verify found.
type VerifyReport struct {
	Regions []RegionReport `json:"regions"`
	Global  ChainReport    `json:"global"`
	// Problems lists every inconsistency; empty means the store is sound.
	Problems []string `json:"problems"`
}

// ChainReport describes one hash chain.
type ChainReport struct {
	Entries uint64 `json:"entries"`
	Head    string `json:"head"`
}

// RegionReport describes one region after replay.
type RegionReport struct {
	Region      string `json:"region"`
	Chain       ChainReport
	Decisions   int `json:"decisions"`
	OpenItems   int `json:"open_items"`
	Assignments int `json:"active_assignments"`
}

// Verify checks a store without a running node: every chain links (each
// entry's hash is recomputed and its PrevHash must equal the previous hash,
// so any edit, insertion or deletion shows), and every region's log replays
// to exactly the stored state: the same decisions, the same open items with
// the same owners, and active assignments that match the owners.
func Verify(ctx context.Context, st store.Store) (VerifyReport, error) {
	var rep VerifyReport
	problem := func(format string, args ...any) { rep.Problems = append(rep.Problems, fmt.Sprintf(format, args...)) }

	g, err := verifyChain(ctx, st, "", problem, nil)
	if err != nil {
		return rep, err
	}
	rep.Global = g
	ids, err := st.Regions(ctx)
	if err != nil {
		return rep, err
	}
	for _, id := range ids {
		if id == "" {
			continue
		}
		rr, err := verifyRegion(ctx, st, id, problem)
		if err != nil {
			return rep, err
		}
		rep.Regions = append(rep.Regions, rr)
	}
	return rep, nil
}

func verifyChain(ctx context.Context, st store.Store, region string, problem func(string, ...any), each func(store.Entry) error) (ChainReport, error) {
	var cr ChainReport
	prev := ""
	err := st.Entries(ctx, region, 0, func(e store.Entry) error {
		if e.Seq != cr.Entries+1 {
			problem("region %q: entry %d follows entry %d (gap or reorder)", region, e.Seq, cr.Entries)
		}
		if e.PrevHash != prev {
			problem("region %q: entry %d does not link to the previous entry (prev_hash %.12s…, want %.12s…)", region, e.Seq, e.PrevHash, prev)
		}
		if h := store.HashEntry(&e); h != e.Hash {
			problem("region %q: entry %d was altered (its hash does not match its content)", region, e.Seq)
		}
		prev = e.Hash
		cr.Entries = e.Seq
		if each != nil {
			return each(e)
		}
		return nil
	})
	cr.Head = prev
	return cr, err
}

func verifyRegion(ctx context.Context, st store.Store, id string, problem func(string, ...any)) (RegionReport, error) {
	rr := RegionReport{Region: id}
	clock := &allot.ManualClock{}
	var eng *engine.Engine
	var replayed []allot.Decision
	chain, err := verifyChain(ctx, st, id, problem, func(e store.Entry) error {
		ev, err := decode(e.Kind, e.Payload)
		if err != nil {
			problem("region %q: entry %d: %v", id, e.Seq, err)
			return nil
		}
		clock.Set(e.At)
		if isShadowEvent(ev) {
			return nil // shadow mode: the live engine does not see it
		}
		if eng == nil {
			cc, ok := ev.(engine.ConfigChanged)
			if !ok {
				problem("region %q: the first entry is %s, want config", id, e.Kind)
				return nil
			}
			if eng, err = engine.New(cc.Config, id, clock); err != nil {
				problem("region %q: entry %d: config does not load: %v", id, e.Seq, err)
			}
			return nil
		}
		ds, err := eng.Apply(ev)
		if err != nil {
			problem("region %q: entry %d (%s) fails on replay: %v", id, e.Seq, e.Kind, err)
		}
		replayed = append(replayed, ds...)
		return nil
	})
	if err != nil {
		return rr, err
	}
	rr.Chain = chain
	if eng == nil {
		problem("region %q has no config entry", id)
		return rr, nil
	}
	// Decisions: the stored ones must be exactly the replayed ones.
	var stored []allot.Decision
	var after uint64
	for {
		page, err := st.Decisions(ctx, store.DecisionQuery{Region: id, AfterSeq: after, Limit: 1000})
		if err != nil {
			return rr, err
		}
		stored = append(stored, page...)
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].Seq
	}
	rr.Decisions = len(stored)
	if len(stored) != len(replayed) {
		problem("region %q: %d decisions stored, replay makes %d", id, len(stored), len(replayed))
	}
	for i := range min(len(stored), len(replayed)) {
		s, r := stored[i], replayed[i]
		if s.Seq != r.Seq || s.Kind != r.Kind || s.Item != r.Item || s.Agent != r.Agent || s.From != r.From || s.Queue != r.Queue || !s.At.Equal(r.At) {
			problem("region %q: decision %d stored as %s %s→%s, replay makes %d %s %s→%s", id, s.Seq, s.Kind, s.Item, s.Agent, r.Seq, r.Kind, r.Item, r.Agent)
			break
		}
	}
	// Items: every open item in the engine is stored with the same owner,
	// status and queue; every stored open item is open in the engine.
	open := eng.Items()
	rr.OpenItems = len(open)
	for _, it := range open {
		s, err := st.Item(ctx, id, it.ID)
		if err != nil {
			problem("region %q: open item %s is not stored: %v", id, it.ID, err)
			continue
		}
		if s.Owner != it.Owner || s.Status != it.Status || s.Queue != it.Queue {
			problem("region %q: item %s stored as %s/%s/%s, replay says %s/%s/%s", id, it.ID, s.Status, s.Queue, s.Owner, it.Status, it.Queue, it.Owner)
		}
	}
	cursor := ""
	for {
		page, next, err := st.Items(ctx, store.ItemQuery{Region: id, After: cursor, Limit: 1000})
		if err != nil {
			return rr, err
		}
		for _, s := range page {
			if s.Status == allot.StatusClosed {
				continue
			}
			if _, ok := eng.Item(s.ID); !ok {
				problem("region %q: item %s is stored as %s but replay has it closed or absent", id, s.ID, s.Status)
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	// Assignments: exactly the owners.
	active, err := st.ActiveAssignments(ctx, id)
	if err != nil {
		return rr, err
	}
	rr.Assignments = len(active)
	owners := map[string]string{}
	for _, it := range open {
		if it.Owner != "" {
			owners[it.ID] = it.Owner
		}
	}
	for item, agent := range active {
		if owners[item] != agent {
			problem("region %q: item %s has an active assignment to %s, but its owner is %q", id, item, agent, owners[item])
		}
	}
	for item, agent := range owners {
		if active[item] != agent {
			problem("region %q: item %s is owned by %s without an active assignment", id, item, agent)
		}
	}
	// Loads equal open items.
	for _, a := range eng.Region().Agents {
		st, _ := eng.Agent(a.ID)
		n := 0
		for _, it := range open {
			if it.Owner == a.ID {
				n++
			}
		}
		if st.Open != n {
			problem("region %q: agent %s counts %d open items, owns %d", id, a.ID, st.Open, n)
		}
	}
	return rr, nil
}

package httpapi

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/allot/allot"
)

// The hand-written encoders write exactly what huma's encoding/json encoder
// writes, for every shape of the types they cover.
func TestFastJSONMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	strs := []string{"", "ana", "a \"quoted\" \\ back", "<b>&amp;</b>", "line\nbreak\ttab\rcr\b\f", "\x00\x01\x1f\x7f",
		"héllo wörld ✓ 日本", "sep\u2028par\u2029", "bad \xff\xfe utf8", "emoji 🎉", "\u00e9\u0301"}
	str := func() string { return strs[rng.IntN(len(strs))] }
	maybe := func(s string) string {
		if rng.IntN(3) == 0 {
			return ""
		}
		return s
	}
	zones := []*time.Location{time.UTC, time.FixedZone("CET", 3600), time.FixedZone("odd", -(5*3600 + 30*60))}
	tm := func() time.Time {
		t := time.Date(1990+rng.IntN(60), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60), rng.IntN(3)*rng.IntN(1e9), zones[rng.IntN(len(zones))])
		if rng.IntN(20) == 0 {
			t = time.Date(10000+rng.IntN(5), 1, 1, 0, 0, 0, 0, time.UTC) // MarshalJSON refuses it
		}
		return t
	}
	explanation := func() *allot.Explanation {
		if rng.IntN(4) == 0 {
			return nil
		}
		x := &allot.Explanation{Rule: maybe(str()), Score: rng.IntN(200) - 50, Tier: maybe(str()), Queue: maybe(str()),
			Policy: allot.Policy(maybe(str())), Sticky: rng.IntN(2) == 0, Reason: maybe(str())}
		var rules []string
		for range rng.IntN(3) {
			rules = append(rules, str())
		}
		x.ScoringRules = allot.NewRuleList(rules...)
		if rng.IntN(5) == 0 {
			// A list through a larger shared table, as the engine makes.
			x.ScoringRules = allot.RuleList{Table: []string{str(), str(), str()}, Index: []int32{2, 0}}
		}
		var list []allot.Candidate
		scorers := []string{str(), str(), str()}
		for range rng.IntN(6) {
			c := allot.Candidate{Agent: str()}
			if rng.IntN(2) == 0 {
				c.Filter, c.Reason = maybe(str()), maybe(str())
			} else {
				c.Chosen = rng.IntN(4) == 0
				for j := range rng.IntN(3) {
					c.Scores = append(c.Scores, allot.Score{Scorer: scorers[j], Value: rng.Int64() - rng.Int64()})
				}
			}
			list = append(list, c)
		}
		x.Candidates = allot.MustCandidates(list...)
		return x
	}
	decision := func() *allot.Decision {
		if rng.IntN(4) == 0 {
			return nil
		}
		return &allot.Decision{Seq: rng.Uint64() >> rng.IntN(64), At: tm(), Kind: allot.DecisionKind(str()), Item: str(),
			Agent: maybe(str()), From: maybe(str()), Queue: maybe(str()), Cause: str(), ConfigVersion: uint64(rng.IntN(3)) * rng.Uint64(),
			Explanation: explanation()}
	}
	item := func() *Item {
		it := &Item{ID: str(), Type: str(), ExternalID: maybe(str()), Score: rng.IntN(1000) - 500, Tier: maybe(str()),
			Priority: rng.IntN(10) - 3, CreatedAt: tm(), Status: allot.Status(str()), Queue: maybe(str()), Owner: maybe(str()),
			Rule: maybe(str()), Decision: decision()}
		switch rng.IntN(4) {
		case 0:
			it.Attributes = map[string]any{"country": str(), "budget": rng.Float64() * 1e6, "n": float64(rng.IntN(100)),
				"tags": []any{str(), str()}, "ok": rng.IntN(2) == 0, str(): str()}
		case 1:
			it.Attributes = map[string]any{}
		}
		if rng.IntN(3) == 0 {
			d := tm()
			it.DueAt = &d
		}
		if rng.IntN(6) == 0 {
			it.History = []HistoryEvent{{At: tm(), Source: "event", Seq: 3, Kind: str(), Data: []byte(`{"a": 1}`)}}
		}
		if rng.IntN(6) == 0 {
			it.Explanation = explanation()
		}
		return it
	}
	check := func(what string, v any) {
		t.Helper()
		var want, got bytes.Buffer
		werr := huma.DefaultJSONFormat.Marshal(&want, v)
		gerr := jsonFormat.Marshal(&got, v)
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("%s: error %v, encoding/json's %v", what, gerr, werr)
		}
		if werr == nil && !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("%s:\ngot  %s\nwant %s", what, got.Bytes(), want.Bytes())
		}
	}
	for i := range 3000 {
		it := item()
		check("item", *it)
		check("item pointer", it)
		var out BulkOutput
		if i%10 != 0 {
			for j := range rng.IntN(4) {
				r := BulkResult{Index: j, Status: []int{200, 201, 422, 503}[rng.IntN(4)]}
				if rng.IntN(3) > 0 {
					r.Item = item()
				} else {
					r.Problem = &huma.ErrorModel{Status: 422, Title: str(), Detail: str(), Errors: []*huma.ErrorDetail{{Location: str(), Message: str()}}}
				}
				out.Results = append(out.Results, r)
			}
			out.Created, out.Existing, out.Failed = rng.IntN(5), rng.IntN(5), rng.IntN(5)
		}
		check("bulk", out)
		check("bulk pointer", &out)
	}
	// A bulk answer larger than one piece (written as it is encoded).
	var big BulkOutput
	for j := range 300 {
		it := item()
		it.CreatedAt = time.Date(2026, 11, 23, 9, 0, 0, j, time.UTC)
		it.Decision = &allot.Decision{Seq: uint64(j), At: it.CreatedAt, Kind: allot.DecisionAssigned, Item: it.ID, Agent: "a", Cause: "arrival",
			Explanation: &allot.Explanation{Policy: allot.RoundRobin, Queue: "main"}}
		var list []allot.Candidate
		for k := range 50 {
			list = append(list, allot.Candidate{Agent: fmt.Sprintf("agent%04d", k), Scores: []allot.Score{{Scorer: "round_robin", Value: int64(k - j)}}, Chosen: k == j%50})
		}
		it.Decision.Explanation.Candidates = allot.MustCandidates(list...)
		big.Results = append(big.Results, BulkResult{Index: j, Status: 201, Item: it})
	}
	big.Created = 300
	check("big bulk", big)
	// Other values go through encoding/json.
	check("other", map[string]any{"x": "<y>"})
}

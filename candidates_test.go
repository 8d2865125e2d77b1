package allot_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/allot/allot"
)

// genCandidates draws a well-formed candidate list: excluded candidates
// have a filter or a reason and nothing else; eligible ones carry a prefix
// of one scorer order.
func genCandidates(t *rapid.T) []allot.Candidate {
	scorers := []string{"fair_turn", "fair_deadline", "round_robin"}
	names := rapid.SampledFrom([]string{"ana", "bo", "cy", "<b>&</b>", "é", ""})
	n := rapid.IntRange(0, 12).Draw(t, "n")
	var list []allot.Candidate
	for range n {
		c := allot.Candidate{Agent: names.Draw(t, "agent")}
		if rapid.Bool().Draw(t, "excluded") {
			c.Filter = rapid.SampledFrom([]string{"presence", "caps"}).Draw(t, "filter")
			c.Reason = rapid.SampledFrom([]string{"", "daily cap reached", "absent"}).Draw(t, "reason")
		} else {
			c.Chosen = rapid.IntRange(0, 3).Draw(t, "chosen") == 0
			for j := range rapid.IntRange(0, len(scorers)).Draw(t, "scores") {
				c.Scores = append(c.Scores, allot.Score{Scorer: scorers[j], Value: rapid.Int64().Draw(t, "value")})
			}
		}
		list = append(list, c)
	}
	return list
}

// The compact list gives back exactly the candidates it was made of, in
// full, through JSON too, and its accessors agree with the full form.
func TestCandidatesRoundTrip(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		list := genCandidates(t)
		cs, err := allot.NewCandidates(list)
		if err != nil {
			t.Fatal(err)
		}
		if err := cs.Validate(); err != nil {
			t.Fatal(err)
		}
		if got := cs.List(); !reflect.DeepEqual(got, list) {
			t.Fatalf("List() =\n%+v\nwant\n%+v", got, list)
		}
		eligible, chosen := 0, -1
		for i, c := range list {
			if c.Filter == "" && c.Reason == "" {
				eligible++
			}
			if c.Chosen && chosen < 0 {
				chosen = i
			}
			if _, rejected := cs.Rejected(i); rejected != (c.Filter != "" || c.Reason != "") || cs.IsChosen(i) != c.Chosen || cs.Agent(i) != c.Agent {
				t.Fatalf("candidate %d: accessors disagree with %+v", i, c)
			}
		}
		if cs.Eligible() != eligible || cs.Chosen() != chosen || cs.Len() != len(list) || cs.IsZero() != (len(list) == 0) {
			t.Fatalf("Eligible %d Chosen %d Len %d, want %d %d %d", cs.Eligible(), cs.Chosen(), cs.Len(), eligible, chosen, len(list))
		}
		b, err := json.Marshal(cs)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(list)
		if len(list) == 0 {
			want = []byte("[]")
		}
		if string(b) != string(want) {
			t.Fatalf("JSON %s, want %s (the JSON of the full list)", b, want)
		}
		var back allot.Candidates
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !back.Equal(cs) || !cs.Equal(back) {
			t.Fatalf("JSON round trip: %+v, want %+v", back.List(), list)
		}
	})
}

func TestCandidatesEqualIgnoresTables(t *testing.T) {
	t.Parallel()
	a := allot.MustCandidates(allot.Candidate{Agent: "ana", Filter: "caps", Reason: "daily cap reached"},
		allot.Candidate{Agent: "bo", Scores: []allot.Score{{Scorer: "round_robin", Value: 3}}, Chosen: true})
	// The same candidates through a larger table (as the engine's, which
	// lists every rejection its filters can give).
	b := allot.Candidates{
		Names: &allot.CandidateNames{Agents: []string{"ana", "bo"},
			Rejections: []allot.Rejection{{Filter: "presence", Reason: "absent"}, {Filter: "caps", Reason: "daily cap reached"}},
			Scorers:    []string{"round_robin", "unused"}},
		Records: []allot.CandidateRecord{{Mark: allot.MarkRejected + 1}, {Mark: allot.MarkChosen, N: 1, Off: 1}},
		Values:  []int64{99, 3},
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	if !a.Equal(b) || !b.Equal(a) {
		t.Fatalf("%+v and %+v differ", a.List(), b.List())
	}
	for name, c := range map[string]allot.Candidates{
		"other agent":  allot.MustCandidates(allot.Candidate{Agent: "cy", Filter: "caps", Reason: "daily cap reached"}, allot.Candidate{Agent: "bo", Scores: []allot.Score{{Scorer: "round_robin", Value: 3}}, Chosen: true}),
		"other reason": allot.MustCandidates(allot.Candidate{Agent: "ana", Filter: "caps", Reason: "weekly cap reached"}, allot.Candidate{Agent: "bo", Scores: []allot.Score{{Scorer: "round_robin", Value: 3}}, Chosen: true}),
		"not chosen":   allot.MustCandidates(allot.Candidate{Agent: "ana", Filter: "caps", Reason: "daily cap reached"}, allot.Candidate{Agent: "bo", Scores: []allot.Score{{Scorer: "round_robin", Value: 3}}}),
		"other score":  allot.MustCandidates(allot.Candidate{Agent: "ana", Filter: "caps", Reason: "daily cap reached"}, allot.Candidate{Agent: "bo", Scores: []allot.Score{{Scorer: "round_robin", Value: 4}}, Chosen: true}),
		"other scorer": allot.MustCandidates(allot.Candidate{Agent: "ana", Filter: "caps", Reason: "daily cap reached"}, allot.Candidate{Agent: "bo", Scores: []allot.Score{{Scorer: "load", Value: 3}}, Chosen: true}),
		"shorter":      allot.MustCandidates(allot.Candidate{Agent: "ana", Filter: "caps", Reason: "daily cap reached"}),
	} {
		if a.Equal(c) || c.Equal(a) {
			t.Errorf("%s: compares equal", name)
		}
	}
}

func TestNewCandidatesRefusesMalformedLists(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		list []allot.Candidate
		want string
	}{
		{"excluded and scored", []allot.Candidate{{Agent: "a", Filter: "caps", Scores: []allot.Score{{Scorer: "x"}}}}, "candidates[0]: excluded"},
		{"excluded and chosen", []allot.Candidate{{Agent: "a", Reason: "why", Chosen: true}}, "candidates[0]: excluded"},
		{"scorer order differs", []allot.Candidate{
			{Agent: "a", Scores: []allot.Score{{Scorer: "x"}, {Scorer: "y"}}},
			{Agent: "b", Scores: []allot.Score{{Scorer: "y"}}}}, "candidates[1].scores[0]: scorer \"y\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := allot.NewCandidates(tt.list); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			b, _ := json.Marshal(tt.list)
			var c allot.Candidates
			if err := json.Unmarshal(b, &c); err == nil {
				t.Fatalf("%s decoded", b)
			}
		})
	}
}

func TestCandidatesValidate(t *testing.T) {
	t.Parallel()
	names := &allot.CandidateNames{Agents: []string{"a"}, Rejections: []allot.Rejection{{Filter: "f"}}, Scorers: []string{"s"}}
	tests := []struct {
		name string
		c    allot.Candidates
		want string // "" = valid
	}{
		{"empty", allot.Candidates{}, ""},
		{"valid", allot.Candidates{Names: names, Records: []allot.CandidateRecord{{N: 1}}, Values: []int64{1}}, ""},
		{"no names", allot.Candidates{Records: []allot.CandidateRecord{{}}}, "no names"},
		{"agents miscounted", allot.Candidates{Names: names, Records: []allot.CandidateRecord{{}, {}}}, "1 agents for 2 records"},
		{"missing rejection", allot.Candidates{Names: names, Records: []allot.CandidateRecord{{Mark: allot.MarkRejected + 1}}}, "no such rejection"},
		{"scores past values", allot.Candidates{Names: names, Records: []allot.CandidateRecord{{N: 1, Off: 1}}, Values: []int64{1}}, "out of range"},
		{"more scores than scorers", allot.Candidates{Names: names, Records: []allot.CandidateRecord{{N: 2}}, Values: []int64{1, 2}}, "out of range"},
		{"negative offset", allot.Candidates{Names: names, Records: []allot.CandidateRecord{{N: 1, Off: -1}}, Values: []int64{1}}, "out of range"},
	}
	for _, tt := range tests {
		err := tt.c.Validate()
		if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: Validate() = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// MarshalJSON leaves HTML alone so that an API writing unescaped JSON gets
// it unescaped; json.Marshal still escapes it.
func TestCandidatesJSONEscaping(t *testing.T) {
	t.Parallel()
	cs := allot.MustCandidates(allot.Candidate{Agent: "<b>&</b>"})
	raw, err := cs.MarshalJSON()
	if err != nil || string(raw) != `[{"agent":"<b>&</b>"}]` {
		t.Fatalf("MarshalJSON = %s, %v", raw, err)
	}
	esc, _ := json.Marshal(cs)
	if string(esc) != `[{"agent":"\u003cb\u003e\u0026\u003c/b\u003e"}]` {
		t.Fatalf("json.Marshal = %s", esc)
	}
	// An explanation without candidates leaves the field out.
	x, _ := json.Marshal(allot.Explanation{Rule: "r"})
	if strings.Contains(string(x), "candidates") {
		t.Fatalf("empty candidates marshalled: %s", x)
	}
}

func TestRuleList(t *testing.T) {
	t.Parallel()
	// As the engine makes one: indexes into the region's table of names.
	shared := allot.RuleList{Table: []string{"vip", "<big>", "fr"}, Index: []int32{2, 0, 1}}
	if err := shared.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := shared.All(); !reflect.DeepEqual(got, []string{"fr", "vip", "<big>"}) || shared.Len() != 3 || shared.At(1) != "vip" {
		t.Fatalf("All() = %v, Len %d, At(1) %q", got, shared.Len(), shared.At(1))
	}
	b, err := json.Marshal(allot.Explanation{ScoringRules: shared})
	if err != nil || !strings.Contains(string(b), `"scoring_rules":["fr","vip","\u003cbig\u003e"]`) {
		t.Fatalf("JSON %s, %v", b, err)
	}
	var x allot.Explanation
	if err := json.Unmarshal(b, &x); err != nil || !reflect.DeepEqual(x.ScoringRules.All(), shared.All()) {
		t.Fatalf("decoded %v, %v", x.ScoringRules.All(), err)
	}
	if !reflect.DeepEqual(x.ScoringRules, allot.NewRuleList("fr", "vip", "<big>")) {
		t.Fatalf("decoded list %+v is not NewRuleList's", x.ScoringRules)
	}
	// Empty lists: left out of JSON, nil names.
	if b, _ := json.Marshal(allot.Explanation{ScoringRules: allot.NewRuleList()}); strings.Contains(string(b), "scoring_rules") {
		t.Fatalf("empty list marshalled: %s", b)
	}
	if allot.NewRuleList().All() != nil || !allot.NewRuleList().IsZero() {
		t.Fatal("empty list is not zero")
	}
	for _, bad := range []allot.RuleList{{Table: []string{"a"}, Index: []int32{1}}, {Index: []int32{-1}}} {
		if bad.Validate() == nil {
			t.Errorf("%+v validated", bad)
		}
	}
	if err := json.Unmarshal([]byte(`[1]`), &x.ScoringRules); err == nil {
		t.Error("a list of numbers decoded")
	}
}

// FuzzExplanationJSON: any bytes decode into an explanation or fail cleanly;
// what decodes is well formed and survives a round trip through JSON.
func FuzzExplanationJSON(f *testing.F) {
	f.Add([]byte(`{"rule":"fr","scoring_rules":["vip"],"score":3,"candidates":[{"agent":"ana","filter":"caps","reason":"daily cap reached"},{"agent":"bo","scores":[{"scorer":"round_robin","value":-4}],"chosen":true}]}`))
	f.Add([]byte(`{"candidates":[{"agent":"a","filter":"f","scores":[{"scorer":"x","value":1}]}]}`))
	f.Add([]byte(`{"candidates":[{"agent":"a","scores":[{"scorer":"x"},{"scorer":"y"}]},{"agent":"b","scores":[{"scorer":"y"}]}]}`))
	f.Add([]byte(`{"scoring_rules":null,"candidates":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var x allot.Explanation
		if err := json.Unmarshal(b, &x); err != nil {
			return
		}
		if err := x.Candidates.Validate(); err != nil {
			t.Fatalf("decoded candidates are malformed: %v", err)
		}
		if err := x.ScoringRules.Validate(); err != nil {
			t.Fatalf("decoded rules are malformed: %v", err)
		}
		out, err := json.Marshal(x)
		if err != nil {
			t.Fatalf("a decoded explanation does not marshal: %v", err)
		}
		var y allot.Explanation
		if err := json.Unmarshal(out, &y); err != nil {
			t.Fatalf("%s does not decode: %v", out, err)
		}
		if !x.Candidates.Equal(y.Candidates) || !reflect.DeepEqual(x.ScoringRules.All(), y.ScoringRules.All()) {
			t.Fatalf("round trip changed the explanation: %s", out)
		}
	})
}

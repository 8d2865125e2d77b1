package store_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/allot/allot"
	"github.com/allot/allot/store"
)

func TestExplanationRoundTrip(t *testing.T) {
	t.Parallel()
	full := &allot.Explanation{Rule: "fr", ScoringRules: []string{"big"}, Score: 40, Tier: "hot", Queue: "q", Policy: allot.WeightedRoundRobin,
		Sticky: true, Reason: "assigned to cy by weighted_round_robin",
		Candidates: []allot.Candidate{
			{Agent: "ana", Filter: "presence", Reason: "presence is not routable"},
			{Agent: "bo", Filter: "skills", Reason: "lacks a required skill at the required level"},
			{Agent: "cy", Scores: []allot.Score{{Scorer: "weighted_turn", Value: 1}, {Scorer: "weighted_deadline", Value: -4}}, Chosen: true},
			{Agent: "dee", Scores: []allot.Score{{Scorer: "weighted_turn", Value: 0}, {Scorer: "weighted_deadline", Value: -9}}},
			{Agent: "eve", Filter: "presence", Reason: "presence is not routable"},
			{Agent: "fay"}, // eligible, no scorers
		}}
	tests := []struct {
		name string
		x    *allot.Explanation
	}{
		{"nil", nil},
		{"summary only", &allot.Explanation{Rule: "r", Score: -3, Queue: "q", Reason: "queued"}},
		{"every kind of candidate", full},
		{"strings that need escaping", &allot.Explanation{Rule: "r\"<&>\\", Reason: "é\n\u2028", ScoringRules: []string{"a\tb"},
			Candidates: []allot.Candidate{{Agent: "\"ana\"", Filter: "f<", Reason: "why\x00"}, {Agent: "bö", Scores: []allot.Score{{Scorer: "s&", Value: -1 << 63}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := store.EncodeExplanation(tt.x)
			if err != nil {
				t.Fatal(err)
			}
			got, err := store.DecodeExplanation(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.x) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, tt.x)
			}
			z, err := store.EncodeStoredExplanation(tt.x)
			if err != nil {
				t.Fatal(err)
			}
			if got, err = store.DecodeExplanation(z); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.x) {
				t.Fatalf("stored round trip:\n got %+v\nwant %+v", got, tt.x)
			}
		})
	}
}

func TestExplanationIsCompact(t *testing.T) {
	t.Parallel()
	x := &allot.Explanation{Policy: allot.RoundRobin}
	for i := range 50 {
		x.Candidates = append(x.Candidates, allot.Candidate{Agent: "agent" + string(rune('a'+i%26)), Scores: []allot.Score{{Scorer: "round_robin", Value: int64(-i * 1000)}}})
	}
	b, _ := store.EncodeExplanation(x)
	plain, _ := jsonMarshal(x)
	if len(b)*2 > len(plain) {
		t.Fatalf("compact form is %d bytes, plain %d: want at most half", len(b), len(plain))
	}
}

func TestDecodeExplanationRejectsGarbage(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"\x01not deflate", `{`, `{"v":2}`, `{"v":1,"c":[["a"]]}`, `{"v":1,"c":[["a",3]]}`, `{"v":1,"c":[["a",-1,[1,2]]]}`} {
		if _, err := store.DecodeExplanation([]byte(raw)); err == nil {
			t.Errorf("%s decoded without error", raw)
		}
	}
}

func TestStoredExplanationIsSmall(t *testing.T) {
	t.Parallel()
	x := &allot.Explanation{Policy: allot.RoundRobin, Queue: "support", Reason: "assigned to agent-017 by round_robin"}
	for i := range 50 {
		x.Candidates = append(x.Candidates, allot.Candidate{Agent: fmt.Sprintf("agent-%03d", i), Scores: []allot.Score{{Scorer: "round_robin", Value: int64(-i * 1000)}}, Chosen: i == 17})
	}
	b, _ := store.EncodeExplanation(x)
	z, err := store.EncodeStoredExplanation(x)
	if err != nil {
		t.Fatal(err)
	}
	if len(z)*2 > len(b) {
		t.Fatalf("stored form is %d bytes, compact JSON %d: want at most half", len(z), len(b))
	}
}

func BenchmarkEncodeStoredExplanation(b *testing.B) {
	x := &allot.Explanation{Policy: allot.RoundRobin, Queue: "support", Reason: "assigned to agent-017 by round_robin"}
	for i := range 50 {
		x.Candidates = append(x.Candidates, allot.Candidate{Agent: fmt.Sprintf("agent-%03d", i), Scores: []allot.Score{{Scorer: "round_robin", Value: int64(-i * 1000)}}, Chosen: i == 17})
	}
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			store.EncodeExplanation(x)
		}
	})
	b.Run("stored", func(b *testing.B) {
		for b.Loop() {
			store.EncodeStoredExplanation(x)
		}
	})
}

package store_test

import (
	"bytes"
	"compress/flate"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/allot/allot"
	"github.com/allot/allot/store"
)

func TestExplanationRoundTrip(t *testing.T) {
	t.Parallel()
	full := &allot.Explanation{Rule: "fr", ScoringRules: allot.NewRuleList("big"), Score: 40, Tier: "hot", Queue: "q", Policy: allot.WeightedRoundRobin,
		Sticky: true, Reason: "assigned to cy by weighted_round_robin",
		Candidates: allot.MustCandidates(
			allot.Candidate{Agent: "ana", Filter: "presence", Reason: "presence is not routable"},
			allot.Candidate{Agent: "bo", Filter: "skills", Reason: "lacks a required skill at the required level"},
			allot.Candidate{Agent: "cy", Scores: []allot.Score{{Scorer: "weighted_turn", Value: 1}, {Scorer: "weighted_deadline", Value: -4}}, Chosen: true},
			allot.Candidate{Agent: "dee", Scores: []allot.Score{{Scorer: "weighted_turn", Value: 0}, {Scorer: "weighted_deadline", Value: -9}}},
			allot.Candidate{Agent: "eve", Filter: "presence", Reason: "presence is not routable"},
			allot.Candidate{Agent: "fay"}, // eligible, no scorers
		)}
	tests := []struct {
		name string
		x    *allot.Explanation
	}{
		{"nil", nil},
		{"summary only", &allot.Explanation{Rule: "r", Score: -3, Queue: "q", Reason: "queued"}},
		{"every kind of candidate", full},
		{"strings that need escaping", &allot.Explanation{Rule: "r\"<&>\\", Reason: "é\n\u2028", ScoringRules: allot.NewRuleList("a\tb"),
			Candidates: allot.MustCandidates(allot.Candidate{Agent: "\"ana\"", Filter: "f<", Reason: "why\x00"}, allot.Candidate{Agent: "bö", Scores: []allot.Score{{Scorer: "s&", Value: -1 << 63}}})}},
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
			old, err := store.DeflatedExplanation(tt.x)
			if err != nil {
				t.Fatal(err)
			}
			if got, err = store.DecodeExplanation(old); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.x) {
				t.Fatalf("deflated (earlier stored form) round trip:\n got %+v\nwant %+v", got, tt.x)
			}
		})
	}
}

func TestExplanationIsCompact(t *testing.T) {
	t.Parallel()
	x := &allot.Explanation{Policy: allot.RoundRobin}
	var list []allot.Candidate
	for i := range 50 {
		list = append(list, allot.Candidate{Agent: "agent" + string(rune('a'+i%26)), Scores: []allot.Score{{Scorer: "round_robin", Value: int64(-i * 1000)}}})
	}
	x.Candidates = allot.MustCandidates(list...)
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
	var list []allot.Candidate
	for i := range 50 {
		list = append(list, allot.Candidate{Agent: fmt.Sprintf("agent-%03d", i), Scores: []allot.Score{{Scorer: "round_robin", Value: int64(-i * 1000)}}, Chosen: i == 17})
	}
	x.Candidates = allot.MustCandidates(list...)
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
	var list []allot.Candidate
	for i := range 50 {
		list = append(list, allot.Candidate{Agent: fmt.Sprintf("agent-%03d", i), Scores: []allot.Score{{Scorer: "round_robin", Value: int64(-i * 1000)}}, Chosen: i == 17})
	}
	x.Candidates = allot.MustCandidates(list...)
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

// Random explanations: the stored form, the compact JSON and the earlier
// deflated form all decode to the same explanation; every truncation of a
// stored form and random bytes behind its tag are errors, never a panic.
func TestStoredExplanationForms(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	words := []string{"", "ana", "agent-001", "agent-002", "agent-010", "a", "ab", "é\n\"<", "presence", "skills"}
	w := func() string { return words[rng.IntN(len(words))] }
	values := []int64{0, 1, -1, 17, -1000, math.MaxInt64, math.MinInt64, 1 << 40}
	for i := range 3000 {
		x := &allot.Explanation{Rule: w(), Score: rng.IntN(400) - 200, Tier: w(), Queue: w(), Policy: allot.Policy(w()),
			Sticky: rng.IntN(2) == 0, Reason: w()}
		var rules []string
		for range rng.IntN(3) {
			rules = append(rules, w())
		}
		x.ScoringRules = allot.NewRuleList(rules...)
		scorers := []string{"round_robin", "least_loaded", "sticky"}[:rng.IntN(4)%3+rng.IntN(2)]
		var list []allot.Candidate
		for range rng.IntN(60) {
			cd := allot.Candidate{Agent: w() + fmt.Sprint(rng.IntN(30))}
			if rng.IntN(3) == 0 {
				cd.Filter, cd.Reason = w(), w()
			} else {
				cd.Chosen = rng.IntN(5) == 0
				for _, sc := range scorers[:rng.IntN(len(scorers)+1)] {
					cd.Scores = append(cd.Scores, allot.Score{Scorer: sc, Value: values[rng.IntN(len(values))] + rng.Int64N(100)})
				}
			}
			list = append(list, cd)
		}
		x.Candidates = allot.MustCandidates(list...)
		viaJSON, err := store.EncodeExplanation(x)
		if err != nil {
			t.Fatal(err)
		}
		want, err := store.DecodeExplanation(viaJSON)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := store.EncodeStoredExplanation(x)
		if err != nil {
			t.Fatal(err)
		}
		got, err := store.DecodeExplanation(stored)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d: stored form decodes to\n%+v\ncompact JSON to\n%+v", i, got, want)
		}
		old, _ := store.DeflatedExplanation(x)
		if got, err := store.DecodeExplanation(old); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d: deflated form decodes to %+v, %v", i, got, err)
		}
		for n := 1; n < len(stored) && i%10 == 0; n++ {
			if _, err := store.DecodeExplanation(stored[:n]); err == nil {
				t.Fatalf("case %d: the stored form cut to %d of %d bytes decoded", i, n, len(stored))
			}
		}
		junk := append([]byte{stored[0]}, make([]byte, rng.IntN(40))...)
		for j := 1; j < len(junk); j++ {
			junk[j] = byte(rng.IntN(256))
		}
		store.DecodeExplanation(junk) // must not panic
	}
	// Bytes that are not UTF-8 (which JSON would replace) are kept.
	odd := &allot.Explanation{Rule: "bad\xff", Candidates: allot.MustCandidates(allot.Candidate{Agent: "\xfe\xff", Filter: "f\x00"})}
	b, err := store.EncodeStoredExplanation(odd)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := store.DecodeExplanation(b); err != nil || !reflect.DeepEqual(got, odd) {
		t.Fatalf("round trip of non-UTF-8 strings: %+v, %v", got, err)
	}
	// A mixed scorer order cannot be made into a list, and records that
	// point outside their tables are refused by both encoders.
	if _, err := allot.NewCandidates([]allot.Candidate{
		{Agent: "a", Scores: []allot.Score{{Scorer: "x", Value: 1}, {Scorer: "y", Value: 2}}},
		{Agent: "b", Scores: []allot.Score{{Scorer: "y", Value: 1}}}}); err == nil {
		t.Fatal("mixed scorer order made a list")
	}
	bad := &allot.Explanation{Candidates: allot.Candidates{Names: &allot.CandidateNames{Agents: []string{"a"}},
		Records: []allot.CandidateRecord{{Mark: allot.MarkRejected}}}}
	if _, err := store.EncodeStoredExplanation(bad); err == nil {
		t.Fatal("a record naming a missing rejection encoded")
	}
	if _, err := store.EncodeExplanation(bad); err == nil {
		t.Fatal("a record naming a missing rejection encoded as JSON")
	}
}

// FuzzDecodeExplanation: any stored bytes decode or fail, never panic; what
// decodes is well formed, and encodes and decodes again to the same thing.
// (The fuzzer soon finds small DEFLATE streams of the earlier stored form
// that inflate to the 16 MiB limit; decoding those takes seconds, so its
// exec rate drops to near zero while it works on them.)
func FuzzDecodeExplanation(f *testing.F) {
	full := &allot.Explanation{Rule: "fr", ScoringRules: allot.NewRuleList("vip"), Score: 3, Queue: "q", Policy: allot.RoundRobin,
		Candidates: allot.MustCandidates(
			allot.Candidate{Agent: "agent-001", Filter: "caps", Reason: "daily cap reached"},
			allot.Candidate{Agent: "agent-002", Scores: []allot.Score{{Scorer: "round_robin", Value: -7}}, Chosen: true},
			allot.Candidate{Agent: "agent-003", Scores: []allot.Score{{Scorer: "round_robin", Value: 1 << 40}}})}
	for _, enc := range []func(*allot.Explanation) ([]byte, error){store.EncodeStoredExplanation, store.EncodeExplanation, store.DeflatedExplanation} {
		b, err := enc(full)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x02})
	f.Add([]byte(`{"v":1,"c":[["a",0]]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := store.DecodeExplanation(b)
		if err != nil || x == nil {
			return
		}
		if err := x.Candidates.Validate(); err != nil {
			t.Fatalf("decoded candidates are malformed: %v", err)
		}
		if err := x.ScoringRules.Validate(); err != nil {
			t.Fatalf("decoded rules are malformed: %v", err)
		}
		z, err := store.EncodeStoredExplanation(x)
		if err != nil {
			t.Fatalf("a decoded explanation does not encode: %v", err)
		}
		y, err := store.DecodeExplanation(z)
		if err != nil {
			t.Fatalf("re-encoded explanation does not decode: %v", err)
		}
		if !y.Candidates.Equal(x.Candidates) || !reflect.DeepEqual(y.ScoringRules.All(), x.ScoringRules.All()) ||
			y.Rule != x.Rule || y.Score != x.Score || y.Reason != x.Reason || y.Queue != x.Queue || y.Policy != x.Policy {
			t.Fatalf("round trip changed the explanation:\n%+v\n%+v", x, y)
		}
	})
}

// A deflated explanation that inflates past the bound (a few KB of input
// can inflate to megabytes) is refused by the bound, before any parsing.
func TestDecodeExplanationRefusesDeflateBombs(t *testing.T) {
	t.Parallel()
	var z bytes.Buffer
	z.WriteByte(0x01) // the deflated form's tag
	w, _ := flate.NewWriter(&z, flate.BestCompression)
	w.Write([]byte(`{"v":1,"r":"`))
	w.Write(bytes.Repeat([]byte("a"), 8<<20))
	w.Write([]byte(`"}`))
	w.Close()
	_, err := store.DecodeExplanation(z.Bytes())
	if err == nil || !strings.Contains(err.Error(), "inflates to more than") {
		t.Fatalf("a %d-byte input inflating to 8 MiB: %v, want refused by the bound", z.Len(), err)
	}
}

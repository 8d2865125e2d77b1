package configfile

import (
	"bytes"
	"testing"

	"github.com/allot/allot/internal/gen"
)

// BenchmarkValidateLarge: decode + validate + compile + lint of the issue's
// large config (4,000 rules, 500 queues, 10,000 agents) from its YAML.
func BenchmarkValidateLarge(b *testing.B) {
	cfg := gen.Config(gen.Large)
	y, err := Encode(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(y)))
	b.ResetTimer()
	for b.Loop() {
		f, err := DecodeFile(bytes.NewReader(y), "large.yaml")
		if err != nil {
			b.Fatal(err)
		}
		f.Lint()
	}
}

// BenchmarkLintLarge: lint alone.
func BenchmarkLintLarge(b *testing.B) {
	cfg := gen.Config(gen.Large)
	for b.Loop() {
		Lint(cfg)
	}
}

// BenchmarkDiffLarge: the diff apply prints, of the large region against
// itself with every rule changed.
func BenchmarkDiffLarge(b *testing.B) {
	cfg := gen.Config(gen.Large)
	want := cfg.Regions[0]
	want.Rules = append(want.Rules[:0:0], want.Rules...)
	for i := range want.Rules {
		want.Rules[i].SLAMinutes++
	}
	for b.Loop() {
		Diff(cfg.Regions[0], want)
	}
}

// BenchmarkCheckLarge: validate + rule compilation only (no YAML).
func BenchmarkCheckLarge(b *testing.B) {
	cfg := gen.Config(gen.Large)
	f := &File{Config: cfg, Name: "large"}
	for b.Loop() {
		if ps := f.check(); len(ps) > 0 {
			b.Fatal(ps[0])
		}
	}
}

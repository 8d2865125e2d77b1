package configfile

import (
	"fmt"
	"slices"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/engine"
)

// TestEpoch is the instant rule tests run at (the engine's manual clock): a
// Monday, so schedules have no say in what routing decides.
var TestEpoch = time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)

// TestResult is the outcome of one test.
type TestResult struct {
	Name  string `json:"name"`
	Index int    `json:"index"`
	Path  string `json:"path"` // tests[i]
	Pass  bool   `json:"pass"`
	// Failures says what differed, one line per expectation.
	Failures []string `json:"failures,omitempty"`
	// Got is what routing decided.
	Got Outcome `json:"got"`
}

// Outcome is what routing decided for a test's item.
type Outcome struct {
	Region     string   `json:"region"`
	Queue      string   `json:"queue,omitempty"`
	Rule       string   `json:"rule,omitempty"` // "default" for the default queue
	Tier       string   `json:"tier,omitempty"`
	Score      int      `json:"score"`
	Skills     []string `json:"skills,omitempty"`
	Unroutable bool     `json:"unroutable,omitempty"`
}

// RunTests runs every test of f against a throwaway engine per region (with a
// manual clock at TestEpoch; nothing is stored or sent). f must have passed
// its checks (DecodeFile/LoadFile); an engine that cannot be built fails
// every test of its region.
func (f *File) RunTests() []TestResult {
	engines := map[string]*engine.Engine{}
	errs := map[string]error{}
	regions := map[string]*allot.Region{}
	out := make([]TestResult, 0, len(f.Tests))
	for i, t := range f.Tests {
		res := TestResult{Name: t.Name, Index: i, Path: fmt.Sprintf("tests[%d]", i)}
		if res.Name == "" {
			res.Name = res.Path
		}
		region := t.Region
		if region == "" && len(f.Regions) > 0 {
			region = f.Regions[0].ID
		}
		res.Got.Region = region
		e, ok := engines[region]
		if !ok && errs[region] == nil {
			var err error
			e, err = engine.New(f.Config, region, &allot.ManualClock{T: TestEpoch}, engine.WithoutCandidates())
			if err != nil {
				errs[region] = err
			} else {
				engines[region] = e
				regions[region] = e.Region()
			}
		}
		if err := errs[region]; err != nil {
			res.Failures = []string{"region " + region + ": " + err.Error()}
			out = append(out, res)
			continue
		}
		d, err := e.Explain(allot.Item{ID: res.Name, Type: t.Item.Type, ExternalID: t.Item.ExternalID,
			Priority: t.Item.Priority, Attributes: normalizeAttrs(t.Item.Attributes)})
		if err != nil {
			res.Failures = []string{err.Error()}
			out = append(out, res)
			continue
		}
		g := &res.Got
		if d.Kind == allot.DecisionUnroutable {
			g.Unroutable = true
		}
		if x := d.Explanation; x != nil {
			g.Queue, g.Tier, g.Score, g.Rule = x.Queue, x.Tier, x.Score, x.Rule
			if g.Queue == "" {
				g.Queue = d.Queue
			}
			if g.Rule == "" && !g.Unroutable {
				g.Rule = "default"
			}
		}
		if r := regions[region]; r != nil && g.Rule != "" && g.Rule != "default" {
			for _, ru := range r.Rules {
				if ru.Name == g.Rule {
					for _, s := range ru.Skills {
						g.Skills = append(g.Skills, s.Skill)
					}
				}
			}
		}
		res.Failures = t.Expect.compare(*g)
		res.Pass = len(res.Failures) == 0
		out = append(out, res)
	}
	return out
}

func (x Expect) compare(g Outcome) []string {
	var fs []string
	if x.Unroutable != g.Unroutable && (x.Unroutable || x.Queue != "" || x.Rule != "") {
		if x.Unroutable {
			fs = append(fs, fmt.Sprintf("want unroutable, got queue %q (rule %q)", g.Queue, g.Rule))
		} else {
			fs = append(fs, "got unroutable: no rule matched and the region has no default queue")
		}
	}
	if x.Queue != "" && x.Queue != g.Queue {
		fs = append(fs, fmt.Sprintf("queue: want %q, got %q", x.Queue, g.Queue))
	}
	if x.Rule != "" && x.Rule != g.Rule {
		fs = append(fs, fmt.Sprintf("rule: want %q, got %q", x.Rule, g.Rule))
	}
	if x.Tier != "" && x.Tier != g.Tier {
		fs = append(fs, fmt.Sprintf("tier: want %q, got %q (score %d)", x.Tier, g.Tier, g.Score))
	}
	if x.Score != nil && *x.Score != g.Score {
		fs = append(fs, fmt.Sprintf("score: want %d, got %d", *x.Score, g.Score))
	}
	if len(x.Skills) > 0 {
		want, got := slices.Sorted(slices.Values(x.Skills)), slices.Sorted(slices.Values(g.Skills))
		if !slices.Equal(want, got) {
			fs = append(fs, fmt.Sprintf("skills: want %v, got %v", want, got))
		}
	}
	return fs
}

// NormalizeAttributes turns decoded YAML or JSON attribute values into the
// types the engine takes (int → int64, lists of strings → []string), as
// rule tests and `allot explain` do.
func NormalizeAttributes(in map[string]any) map[string]any { return normalizeAttrs(in) }

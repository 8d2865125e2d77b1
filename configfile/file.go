package configfile

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/allot/allot"
	"github.com/allot/allot/rules"
)

// MaxFileBytes bounds a config file (a 4,000-rule, 10,000-agent config is
// about 5 MB).
const MaxFileBytes = 64 << 20

// File is a config file: the config and its optional rule tests. The root
// package's Config is embedded unchanged; tests live beside it, top-level.
type File struct {
	allot.Config `yaml:",inline"`
	// Tests are rule tests: items and what routing should decide for them.
	// They are run by `allot test` and before `allot apply`.
	Tests []Test `json:"tests,omitempty" yaml:"tests,omitempty"`

	// Name is the file name used in problems.
	Name string `json:"-" yaml:"-"`
	pos  *positions
}

// Test is one rule test: an item and what routing should decide for it.
type Test struct {
	// Name identifies the test in reports (default "tests[i]").
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
	// Region is the region the item arrives in; default the config's only
	// region (required when there are several).
	Region string   `json:"region,omitempty" yaml:"region,omitempty"`
	Item   TestItem `json:"item" yaml:"item"`
	Expect Expect   `json:"expect" yaml:"expect"`
}

// TestItem is the item of a test, as an integration would send it.
type TestItem struct {
	Type       string         `json:"type" yaml:"type"`
	ExternalID string         `json:"external_id,omitempty" yaml:"external_id,omitempty"`
	Priority   int            `json:"priority,omitempty" yaml:"priority,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty" yaml:"attributes,omitempty"`
}

// Expect is what a test expects. Empty fields are not checked; at least one
// must be set.
type Expect struct {
	// Queue the item is routed to.
	Queue string `json:"queue,omitempty" yaml:"queue,omitempty"`
	// Rule is the routing rule that matched; "default" means no rule
	// matched and the item went to the region's default queue.
	Rule string `json:"rule,omitempty" yaml:"rule,omitempty"`
	// Tier the item's score falls in.
	Tier string `json:"tier,omitempty" yaml:"tier,omitempty"`
	// Score is the item's score after the scoring rules.
	Score *int `json:"score,omitempty" yaml:"score,omitempty"`
	// Skills the matched rule requires of an agent, by name, in any order
	// (an empty list is not checked; use no_skills for "none").
	Skills []string `json:"skills,omitempty" yaml:"skills,omitempty"`
	// Unroutable: no rule matches and there is no default queue.
	Unroutable bool `json:"unroutable,omitempty" yaml:"unroutable,omitempty"`
}

// Problem is one problem of a config file, located in it.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"` // 1-based; 0 when unknown
	Column  int    `json:"column,omitempty"`
	Path    string `json:"path,omitempty"` // field path, e.g. regions[0].rules[3].when
	Message string `json:"message"`
	// Warning marks lint findings: the config is valid but probably not
	// what was meant.
	Warning bool `json:"warning,omitempty"`
}

// String formats p as file:line:col: path: message (warnings say so).
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, ":%d", p.Column)
		}
	}
	b.WriteString(": ")
	if p.Warning {
		b.WriteString("warning: ")
	}
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Error is a config file that cannot be used; Problems holds every reason,
// in file order.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Load reads, decodes and checks the config file at path. See Decode.
func Load(path string) (allot.Config, error) {
	f, err := LoadFile(path)
	if err != nil {
		return allot.Config{}, err
	}
	return f.Config, nil
}

// Decode decodes and checks one config from r; name is the file name used in
// problems. A config that fails is reported as an *Error listing every
// problem; I/O errors are returned as they are.
func Decode(r io.Reader, name string) (allot.Config, error) {
	f, err := DecodeFile(r, name)
	if err != nil {
		return allot.Config{}, err
	}
	return f.Config, nil
}

// LoadFile is Load keeping the tests and the positions of the file.
func LoadFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return DecodeFile(fh, path)
}

// DecodeFile is Decode keeping the tests and the positions of the file.
func DecodeFile(r io.Reader, name string) (*File, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(b) > MaxFileBytes {
		return nil, &Error{Problems: []Problem{{File: name, Message: fmt.Sprintf("file larger than %d MiB", MaxFileBytes>>20)}}}
	}
	f := &File{Name: name}
	pos, err := decodeStrict(b, name, f)
	if err != nil {
		return nil, err
	}
	f.pos = pos
	if ps := f.check(); len(ps) > 0 {
		return nil, &Error{Problems: ps}
	}
	return f, nil
}

// Parse decodes b without the semantic checks (defaults, validation, rule
// compilation): only syntax, unknown keys and types. Lint and diff tools
// that must look at invalid configs use it.
func Parse(b []byte, name string) (*File, error) {
	f := &File{Name: name}
	pos, err := decodeStrict(b, name, f)
	if err != nil {
		return nil, err
	}
	f.pos = pos
	return f, nil
}

// check runs the server's checks and the tests' own, located in the file.
func (f *File) check() []Problem {
	d := f.Config.WithDefaults()
	// Conditions are compiled even when Validate found problems, as the
	// engine does: a bad condition is worth reporting in the same pass.
	// Compiling (CEL) is most of the time: it runs beside Validate, split
	// in chunks of rules compiled in parallel.
	cps := make(chan allot.Problems, 1)
	go func() { cps <- compileParallel(d.Regions) }()
	ps := d.Validate()
	ps = append(ps, f.checkTests()...)
	ps = append(ps, <-cps...)
	return f.Locate(ps, false)
}

// compileChunk is the fewest rules worth a goroutine of their own.
const compileChunk = 250

// compileParallel compiles every region's routing and scoring conditions
// as rules.Compile does and returns the problems (paths regions[i]...).
// Each region's rules are split in up to GOMAXPROCS chunks compiled at
// once: a condition's problems do not depend on the other rules, so the
// problems are those of one rules.Compile of the whole region.
func compileParallel(regions []allot.Region) allot.Problems {
	type job struct {
		region     int
		r          allot.Region // a shallow copy holding one chunk
		offR, offS int          // the chunk's first rule and scoring rule
		ps         allot.Problems
	}
	var jobs []*job
	workers := runtime.GOMAXPROCS(0)
	for i := range regions {
		r := &regions[i]
		n := len(r.Rules) + len(r.ScoringRules)
		k := max(1, min(workers, n/compileChunk))
		for c := range k {
			j := &job{region: i, r: *r}
			j.offR, j.offS = c*len(r.Rules)/k, c*len(r.ScoringRules)/k
			j.r.Rules = r.Rules[j.offR : (c+1)*len(r.Rules)/k]
			j.r.ScoringRules = r.ScoringRules[j.offS : (c+1)*len(r.ScoringRules)/k]
			jobs = append(jobs, j)
		}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, workers)
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			_, j.ps = rules.Compile(&j.r)
		}()
	}
	wg.Wait()
	var ps allot.Problems
	for _, j := range jobs {
		for _, p := range j.ps {
			ps.Add(fmt.Sprintf("regions[%d].%s", j.region, shiftIndex(p.Path, j.offR, j.offS)), p.Message)
		}
	}
	return ps
}

// shiftIndex moves a chunk's path (rules[3].when) to the whole region's.
func shiftIndex(path string, offR, offS int) string {
	for _, l := range []struct {
		prefix string
		off    int
	}{{"rules[", offR}, {"scoring_rules[", offS}} {
		rest, ok := strings.CutPrefix(path, l.prefix)
		if !ok {
			continue
		}
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			break
		}
		n, err := strconv.Atoi(rest[:end])
		if err != nil {
			break
		}
		return l.prefix + strconv.Itoa(n+l.off) + rest[end:]
	}
	return path
}

// Locate turns field-path problems into file problems: each gets the
// position of its path in the file, or of the closest enclosing field that
// is in the file (a default the file left out). The result is in file order.
func (f *File) Locate(ps allot.Problems, warning bool) []Problem {
	out := make([]Problem, 0, len(ps))
	for _, p := range ps {
		m := f.pos.find(p.Path)
		out = append(out, Problem{File: f.Name, Line: m.line, Column: m.col, Path: p.Path, Message: p.Message, Warning: warning})
	}
	sortProblems(out)
	return out
}

func sortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}

// checkTests checks the tests' shape (not their outcome: see RunTests).
func (f *File) checkTests() allot.Problems {
	var ps allot.Problems
	regions := map[string]bool{}
	for _, r := range f.Regions {
		regions[r.ID] = true
	}
	names := map[string]bool{}
	for i, t := range f.Tests {
		p := fmt.Sprintf("tests[%d]", i)
		if t.Name != "" {
			if names[t.Name] {
				ps.Add(p+".name", fmt.Sprintf("duplicate test name %q", t.Name))
			}
			names[t.Name] = true
		}
		switch {
		case t.Region == "" && len(f.Regions) > 1:
			ps.Add(p+".region", "required: the config has several regions")
		case t.Region != "" && !regions[t.Region]:
			ps.Add(p+".region", fmt.Sprintf("unknown region %q", t.Region))
		}
		if t.Item.Type == "" {
			ps.Add(p+".item.type", "required: the item's type, e.g. lead")
		}
		ps.AddAll(p+".item", allot.ValidateAttributes(normalizeAttrs(t.Item.Attributes)))
		e := t.Expect
		if e.Queue == "" && e.Rule == "" && e.Tier == "" && e.Score == nil && len(e.Skills) == 0 && !e.Unroutable {
			ps.Add(p+".expect", "expects nothing: set queue, rule, tier, score, skills or unroutable")
		}
		if e.Unroutable && (e.Queue != "" || e.Rule != "") {
			ps.Add(p+".expect.unroutable", "an unroutable item has no queue or rule")
		}
	}
	return ps
}

// normalizeAttrs turns YAML's decoded values into the item attribute types
// the engine takes: int → int64, lists of strings → []string.
func normalizeAttrs(in map[string]any) map[string]any {
	if in == nil {
		return nil
	}
	out := make(map[string]any, len(in))
	for k, v := range in {
		switch v := v.(type) {
		case int:
			out[k] = int64(v)
		case uint64:
			out[k] = float64(v)
		case []any:
			ss := make([]string, 0, len(v))
			all := true
			for _, e := range v {
				s, ok := e.(string)
				if !ok {
					all = false
					break
				}
				ss = append(ss, s)
			}
			if all {
				out[k] = ss
			} else {
				out[k] = v
			}
		default:
			out[k] = v
		}
	}
	return out
}

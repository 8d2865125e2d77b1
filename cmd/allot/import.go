package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/httpapi"
)

// allot import: bulk-load agents or items from CSV into a region of a
// running server. Every row is checked first and a bad row is reported with
// its line and lands nothing; the good rows land. Agents land as one config
// change of the region (PUT .../config, one version); items through
// POST .../items:bulk in chunks of 1,000, idempotent on external_id.

const importUsage = "allot import agents.csv|items.csv --region R [--kind agents|items] [--map col=field,...] [--type T] [--delimiter ;] [--dry-run] [--url URL] [--token T]"

const importHelp = `Columns map to fields by header name (case-insensitive; spaces and - read
as _); --map "CSV header=field,..." maps others, and "header=-" skips one.

Agents (one row per agent; an existing id is updated: non-empty cells
replace those fields, the rest is kept):
  id (required), name, capacity (total units), capacity.TYPE, weight,
  presence, manual (true/false), absence_policy,
  skills ("exams:5;french:3"; a bare skill is level 1), skill.NAME (level),
  attr.NAME (values separated by ;), queues (queue ids separated by ;: the
  agent is added to each queue's members).
Items (one row per item; re-running is safe when rows have external_id):
  type (or --type), external_id, priority, due_at (RFC 3339), and any other
  column is the attribute of that name (attr.NAME also works). Values are
  typed: true/false → boolean, 42 or 4.5 → number (not 0123: it stays a
  string), else a string; force one with NAME:string, :number, :bool or
  :list (values separated by ;), e.g. --map "Post code=post_code:string".
`

// mapFlag collects --map col=field pairs (repeatable, comma-separated).
type mapFlag map[string]string

func (m mapFlag) String() string { return "" }

func (m mapFlag) Set(s string) error {
	for _, kv := range strings.Split(s, ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" {
			return fmt.Errorf("want col=field, got %q", kv)
		}
		m[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return nil
}

// rowError is one bad row.
type rowError struct {
	Line    int    `json:"line"`
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

func (e rowError) format(file string) string {
	s := fmt.Sprintf("%s:%d: ", file, e.Line)
	if e.Column != "" {
		s += fmt.Sprintf("column %q: ", e.Column)
	}
	return s + e.Message
}

// csvRow is a data row with the line it starts on.
type csvRow struct {
	line   int
	fields []string
}

func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s\n\n%s\nFlags:\n", importUsage, importHelp)
		fs.PrintDefaults()
	}
	base, token := remoteFlags(fs)
	region := fs.String("region", "", "the region to import into (required)")
	kind := fs.String("kind", "", "agents or items (default: from the file name)")
	mapping := mapFlag{}
	fs.Var(mapping, "map", `column mapping "CSV header=field,..." (repeatable); field - skips the column`)
	itemType := fs.String("type", "", "items: the type of rows with no type column or an empty one")
	delim := fs.String("delimiter", ",", "the field separator (one character, e.g. ; or \\t)")
	dryRun := fs.Bool("dry-run", false, "check every row (agents: with the server's dry run) and change nothing")
	pos, code := parseArgs(fs, args, stdout)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "allot import: want one CSV file: allot import agents.csv --region R")
		return 2
	}
	path := pos[0]
	if *kind == "" {
		switch b := strings.ToLower(filepath.Base(path)); {
		case strings.Contains(b, "agent"):
			*kind = "agents"
		case strings.Contains(b, "item"):
			*kind = "items"
		}
	}
	if *kind != "agents" && *kind != "items" {
		fmt.Fprintf(stderr, "allot import: --kind: want agents or items (the file name %q does not say)\n", filepath.Base(path))
		return 2
	}
	if *region == "" {
		fmt.Fprintln(stderr, "allot import: --region: required")
		return 2
	}
	d := []rune(strings.ReplaceAll(*delim, `\t`, "\t"))
	if len(d) != 1 {
		fmt.Fprintf(stderr, "allot import: --delimiter: want one character, got %q\n", *delim)
		return 2
	}
	if !needToken("import", *token, stderr) {
		return 2
	}
	fh, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(stderr, "allot import:", err)
		return 1
	}
	defer fh.Close()
	header, rows, bad, err := readCSV(fh, d[0])
	if err != nil {
		fmt.Fprintf(stderr, "allot import: %s: %v\n", path, err)
		return 1
	}
	im := &importer{c: newRemote(*base, *token), region: *region, file: path, stdout: stdout, stderr: stderr, dryRun: *dryRun}
	if *kind == "agents" {
		return im.agents(ctx, header, rows, bad, mapping)
	}
	return im.items(ctx, header, rows, bad, mapping, *itemType)
}

// readCSV reads the header and every row; rows that cannot be parsed are
// returned as errors (the others are still read).
func readCSV(r io.Reader, delim rune) ([]string, []csvRow, []rowError, error) {
	cr := csv.NewReader(r)
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, nil, errors.New("empty file: want a header line")
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	var rows []csvRow
	var bad []rowError
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad = append(bad, rowError{Line: pe.StartLine, Message: pe.Err.Error()})
				continue
			}
			return nil, nil, nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if len(rec) != len(header) {
			bad = append(bad, rowError{Line: line, Message: fmt.Sprintf("%d fields, the header has %d", len(rec), len(header))})
			continue
		}
		rows = append(rows, csvRow{line: line, fields: rec})
	}
	return header, rows, bad, nil
}

func normHeader(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	return strings.NewReplacer(" ", "_", "-", "_").Replace(h)
}

// column is a CSV column mapped to a field.
type column struct {
	index  int
	header string
	field  string // id, skill.french, attr.languages, ...
	typ    string // items: "", string, number, bool, list
}

var reAttrName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// mapColumns maps the header to fields: --map first, then the header's own
// name. known reports whether a field is valid (and normalizes it).
func mapColumns(header []string, m mapFlag, known func(string) (string, bool)) ([]column, []string) {
	var cols []column
	var errs []string
	used := map[string]bool{}
	seen := map[string]string{}
	for i, h := range header {
		f, ok := m[h]
		if !ok {
			f, ok = m[strings.TrimSpace(h)]
		}
		if ok {
			used[h], used[strings.TrimSpace(h)] = true, true
		} else {
			f = normHeader(h)
		}
		if f == "-" {
			continue
		}
		typ := ""
		if name, t, has := strings.Cut(f, ":"); has {
			f, typ = name, t
		}
		nf, good := known(f)
		if !good {
			if ok {
				errs = append(errs, fmt.Sprintf("--map %s=%s: unknown field %q", h, f, f))
			} else {
				errs = append(errs, fmt.Sprintf("column %q: unknown field; map it with --map %q=FIELD, or skip it with --map %q=-", h, h, h))
			}
			continue
		}
		switch typ {
		case "", "string", "number", "bool", "list":
		default:
			errs = append(errs, fmt.Sprintf("column %q: unknown type %q; want string, number, bool or list", h, typ))
			continue
		}
		if prev, dup := seen[nf]; dup {
			errs = append(errs, fmt.Sprintf("columns %q and %q both map to %s", prev, h, nf))
			continue
		}
		seen[nf] = h
		cols = append(cols, column{index: i, header: h, field: nf, typ: typ})
	}
	for k := range m {
		if !used[k] {
			errs = append(errs, fmt.Sprintf("--map %s=...: the file has no column %q", k, k))
		}
	}
	slices.Sort(errs)
	return cols, errs
}

type importer struct {
	c              *remote
	region, file   string
	stdout, stderr io.Writer
	dryRun         bool
}

func (im *importer) printRowErrors(bad []rowError) {
	slices.SortStableFunc(bad, func(a, b rowError) int { return a.Line - b.Line })
	for _, e := range bad {
		fmt.Fprintln(im.stderr, e.format(im.file))
	}
}

// ---- agents ----

var agentFields = []string{"id", "name", "capacity", "weight", "presence", "manual", "absence_policy", "skills", "queues"}

func agentField(f string) (string, bool) {
	f = strings.ToLower(f)
	if slices.Contains(agentFields, f) {
		return f, true
	}
	for _, p := range []string{"skill.", "attr.", "capacity."} {
		if rest, ok := strings.CutPrefix(f, p); ok && rest != "" {
			return f, true
		}
	}
	switch f {
	case "skill", "attributes", "attrs":
		return "", false
	case "total", "capacity.total":
		return "capacity", true
	}
	return f, false
}

// agentRow is one parsed agent row: the fields it sets.
type agentRow struct {
	line   int
	id     string
	set    func(a *allot.Agent)
	queues []string
}

func parseAgentRow(r csvRow, cols []column, queues map[string]bool) (agentRow, []rowError) {
	out := agentRow{line: r.line}
	var errs []rowError
	var sets []func(a *allot.Agent)
	bad := func(c column, format string, args ...any) {
		errs = append(errs, rowError{Line: r.line, Column: c.header, Message: fmt.Sprintf(format, args...)})
	}
	for _, c := range cols {
		v := strings.TrimSpace(r.fields[c.index])
		if c.field == "id" {
			out.id = v
			continue
		}
		if v == "" {
			continue
		}
		switch f := c.field; {
		case f == "name":
			sets = append(sets, func(a *allot.Agent) { a.Name = v })
		case f == "presence":
			sets = append(sets, func(a *allot.Agent) { a.Presence = v })
		case f == "absence_policy":
			sets = append(sets, func(a *allot.Agent) { a.AbsencePolicy = allot.AbsencePolicy(v) })
		case f == "capacity", f == "weight":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				bad(c, "want a whole number ≥ 0, got %q", v)
				continue
			}
			if f == "capacity" {
				sets = append(sets, func(a *allot.Agent) { a.Capacity.Total = n })
			} else {
				sets = append(sets, func(a *allot.Agent) { a.Weight = n })
			}
		case strings.HasPrefix(f, "capacity."):
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				bad(c, "want a whole number ≥ 0, got %q", v)
				continue
			}
			typ := strings.TrimPrefix(f, "capacity.")
			sets = append(sets, func(a *allot.Agent) {
				if a.Capacity.PerType == nil {
					a.Capacity.PerType = map[string]int{}
				}
				a.Capacity.PerType[typ] = n
			})
		case f == "manual":
			b, err := strconv.ParseBool(v)
			if err != nil {
				bad(c, "want true or false, got %q", v)
				continue
			}
			sets = append(sets, func(a *allot.Agent) { a.Manual = b })
		case f == "skills":
			skills := map[string]int{}
			for _, s := range splitList(v) {
				name, lv, has := strings.Cut(s, ":")
				n := 1
				if has {
					var err error
					if n, err = strconv.Atoi(strings.TrimSpace(lv)); err != nil {
						bad(c, "skill %q: want name:level such as french:3, got %q", name, s)
						continue
					}
				}
				skills[strings.TrimSpace(name)] = n
			}
			sets = append(sets, func(a *allot.Agent) { a.Skills = skills })
		case strings.HasPrefix(f, "skill."):
			n, err := strconv.Atoi(v)
			if err != nil {
				bad(c, "want a skill level 1 to 5, got %q", v)
				continue
			}
			name := strings.TrimPrefix(f, "skill.")
			sets = append(sets, func(a *allot.Agent) {
				if a.Skills == nil {
					a.Skills = map[string]int{}
				}
				a.Skills[name] = n
			})
		case strings.HasPrefix(f, "attr."):
			name, vals := strings.TrimPrefix(f, "attr."), splitList(v)
			sets = append(sets, func(a *allot.Agent) {
				if a.Attributes == nil {
					a.Attributes = map[string][]string{}
				}
				a.Attributes[name] = vals
			})
		case f == "queues":
			for _, q := range splitList(v) {
				if !queues[q] {
					bad(c, "unknown queue %q", q)
					continue
				}
				out.queues = append(out.queues, q)
			}
		}
	}
	if out.id == "" {
		errs = append(errs, rowError{Line: r.line, Column: "id", Message: "required: the agent's id"})
	}
	out.set = func(a *allot.Agent) {
		for _, s := range sets {
			s(a)
		}
	}
	return out, errs
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ";") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func cloneAgent(a allot.Agent) allot.Agent {
	if a.Skills != nil {
		m := make(map[string]int, len(a.Skills))
		for k, v := range a.Skills {
			m[k] = v
		}
		a.Skills = m
	}
	if a.Attributes != nil {
		m := make(map[string][]string, len(a.Attributes))
		for k, v := range a.Attributes {
			m[k] = v
		}
		a.Attributes = m
	}
	if a.Capacity.PerType != nil {
		m := make(map[string]int, len(a.Capacity.PerType))
		for k, v := range a.Capacity.PerType {
			m[k] = v
		}
		a.Capacity.PerType = m
	}
	return a
}

// agents imports agent rows as one config change of the region: the rows
// are merged into the live config, the server dry-runs it, rows its
// problems point at are dropped (reported), and the rest is applied with
// one PUT .../config.
func (im *importer) agents(ctx context.Context, header []string, rows []csvRow, bad []rowError, m mapFlag) int {
	cols, errs := mapColumns(header, m, agentField)
	if !slices.ContainsFunc(cols, func(c column) bool { return c.field == "id" }) {
		errs = append(errs, `no id column: name one "id" or map it with --map "HEADER=id"`)
	}
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintf(im.stderr, "%s:1: %s\n", im.file, e)
		}
		fmt.Fprintln(im.stderr, "allot import: nothing imported")
		return 1
	}
	live, liveVersion, err := im.c.regionVersion(ctx, im.region)
	if err != nil {
		fmt.Fprintf(im.stderr, "allot import: region %s: %v\n", im.region, err)
		return 1
	}
	queues := map[string]bool{}
	for _, q := range live.Queues {
		queues[q.ID] = true
	}
	var good []agentRow
	byID := map[string]int{} // agent id → line of its first row
	for _, r := range rows {
		ar, es := parseAgentRow(r, cols, queues)
		if ar.id != "" {
			if first, dup := byID[ar.id]; dup {
				es = append(es, rowError{Line: r.line, Column: "id", Message: fmt.Sprintf("agent %q is also on line %d", ar.id, first)})
			} else {
				byID[ar.id] = r.line
			}
		}
		if len(es) > 0 {
			bad = append(bad, es...)
			continue
		}
		good = append(good, ar)
	}
	// Merge, dry-run, drop the rows the server's problems point at; again
	// until clean (each round drops at least one row).
	var want allot.Region
	var added, updated int
	for {
		want, added, updated = mergeAgents(live, good)
		var vr struct {
			Valid    bool `json:"valid"`
			Problems []struct {
				Location string `json:"location"`
				Message  string `json:"message"`
			} `json:"problems"`
		}
		if len(good) > 0 {
			if err := im.c.call(ctx, "POST", regionPath(im.region)+"/config/validate", want, &vr); err != nil {
				fmt.Fprintf(im.stderr, "allot import: region %s: %v\n", im.region, err)
				return 1
			}
		} else {
			vr.Valid = true
		}
		if vr.Valid {
			break
		}
		drop := map[int]bool{} // index in good
		var general []string
		lineOf := agentLines(live, want, good)
		for _, p := range vr.Problems {
			loc := strings.TrimPrefix(strings.TrimPrefix(p.Location, "body"), ".")
			if i, ok := lineOf(loc); ok {
				drop[i] = true
				bad = append(bad, rowError{Line: good[i].line, Message: strings.TrimPrefix(agentSubpath(loc)+": ", ": ") + p.Message})
				continue
			}
			general = append(general, loc+": "+p.Message)
		}
		if len(general) > 0 || len(drop) == 0 {
			im.printRowErrors(bad)
			for _, g := range general {
				fmt.Fprintf(im.stderr, "allot import: region %s: %s\n", im.region, g)
			}
			fmt.Fprintln(im.stderr, "allot import: the region's config would be invalid; nothing imported")
			return 1
		}
		kept := good[:0:0]
		for i, r := range good {
			if !drop[i] {
				kept = append(kept, r)
			}
		}
		good = kept
	}
	im.printRowErrors(bad)
	total := len(good) + countLines(bad)
	verb := "imported"
	if im.dryRun {
		verb = "would import (dry run)"
	}
	fmt.Fprintf(im.stdout, "%s: %d row%s: %s %d (%d added, %d updated), %d failed\n", im.file, total, plural(total), verb, len(good), added, updated, countLines(bad))
	if len(good) > 0 && !im.dryRun {
		// Conditional on the config the rows were merged into: an agent
		// added or changed by someone else meanwhile is never overwritten.
		v, err := im.c.replaceConfig(ctx, im.region, want, liveVersion)
		if err != nil {
			fmt.Fprintf(im.stderr, "allot import: region %s: %v (nothing imported)\n", im.region, err)
			return 1
		}
		if v == 0 { // an older server: ask for the region's versions
			v, err = im.c.latestVersion(ctx, im.region)
		}
		if err == nil {
			fmt.Fprintf(im.stdout, "region %s: applied as version %d\n", im.region, v)
		}
	}
	if len(bad) > 0 {
		return 1
	}
	return 0
}

// countLines counts the distinct lines of errs.
func countLines(errs []rowError) int {
	seen := map[int]bool{}
	for _, e := range errs {
		seen[e.Line] = true
	}
	return len(seen)
}

// mergeAgents applies the rows to a copy of live: new agents are appended,
// existing ones updated; queue memberships added.
func mergeAgents(live allot.Region, rows []agentRow) (allot.Region, int, int) {
	r := live
	r.Agents = make([]allot.Agent, len(live.Agents), len(live.Agents)+len(rows))
	for i, a := range live.Agents {
		r.Agents[i] = cloneAgent(a)
	}
	r.Queues = slices.Clone(live.Queues)
	idx := make(map[string]int, len(r.Agents))
	for i, a := range r.Agents {
		idx[a.ID] = i
	}
	qidx := map[string]int{}
	for i, q := range r.Queues {
		qidx[q.ID] = i
	}
	added, updated := 0, 0
	for _, row := range rows {
		i, ok := idx[row.id]
		if !ok {
			r.Agents = append(r.Agents, allot.Agent{ID: row.id})
			i = len(r.Agents) - 1
			idx[row.id] = i
			added++
		} else {
			updated++
		}
		row.set(&r.Agents[i])
		for _, q := range row.queues {
			qq := &r.Queues[qidx[q]]
			if !slices.Contains(qq.Members, row.id) {
				qq.Members = append(slices.Clone(qq.Members), row.id)
			}
		}
	}
	return r, added, updated
}

var reAgentPath = regexp.MustCompile(`^agents\[(\d+)\](.*)$`)

// agentSubpath is the part of a problem path below the agent (skills.x).
func agentSubpath(loc string) string {
	if m := reAgentPath.FindStringSubmatch(loc); m != nil {
		return strings.TrimPrefix(m[2], ".")
	}
	return ""
}

// agentLines returns a function mapping a problem path (agents[i]...) of
// want to the index in rows of the row that set that agent.
func agentLines(live, want allot.Region, rows []agentRow) func(string) (int, bool) {
	byID := map[string]int{}
	for i, r := range rows {
		byID[r.id] = i
	}
	return func(loc string) (int, bool) {
		m := reAgentPath.FindStringSubmatch(loc)
		if m == nil {
			return 0, false
		}
		n, _ := strconv.Atoi(m[1])
		if n >= len(want.Agents) {
			return 0, false
		}
		i, ok := byID[want.Agents[n].ID]
		return i, ok
	}
}

// ---- items ----

func itemField(f string) (string, bool) {
	switch f {
	case "type", "external_id", "priority", "due_at":
		return f, true
	}
	name := strings.TrimPrefix(f, "attr.")
	if !reAttrName.MatchString(name) || slices.Contains(allot.ReservedAttributes, name) {
		return f, false
	}
	return "attr." + name, true
}

var (
	reInt   = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,17})$`)
	reFloat = regexp.MustCompile(`^-?(0|[1-9][0-9]*)\.[0-9]+$`)
)

// attrValue types a cell: as the column says, else by its look.
func attrValue(v, typ string) (any, error) {
	switch typ {
	case "string":
		return v, nil
	case "list":
		l := splitList(v)
		if l == nil {
			l = []string{}
		}
		return l, nil
	case "bool":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("want true or false, got %q", v)
		}
		return b, nil
	case "number":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("want a number, got %q", v)
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n, nil
		}
		return f, nil
	}
	switch {
	case v == "true" || v == "false":
		return v == "true", nil
	case reInt.MatchString(v):
		n, _ := strconv.ParseInt(v, 10, 64)
		return n, nil
	case reFloat.MatchString(v):
		f, _ := strconv.ParseFloat(v, 64)
		return f, nil
	}
	return v, nil
}

type itemRow struct {
	line int
	in   httpapi.ItemInput
}

func parseItemRow(r csvRow, cols []column, defType string) (itemRow, []rowError) {
	out := itemRow{line: r.line, in: httpapi.ItemInput{Type: defType}}
	var errs []rowError
	for _, c := range cols {
		v := strings.TrimSpace(r.fields[c.index])
		if v == "" {
			continue
		}
		switch c.field {
		case "type":
			out.in.Type = v
		case "external_id":
			out.in.ExternalID = v
		case "priority":
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, rowError{Line: r.line, Column: c.header, Message: fmt.Sprintf("want a whole number, got %q", v)})
				continue
			}
			out.in.Priority = n
		case "due_at":
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				errs = append(errs, rowError{Line: r.line, Column: c.header, Message: fmt.Sprintf("want an RFC 3339 time such as 2025-03-03T09:30:00Z, got %q", v)})
				continue
			}
			t = t.UTC()
			out.in.DueAt = &t
		default:
			val, err := attrValue(v, c.typ)
			if err != nil {
				errs = append(errs, rowError{Line: r.line, Column: c.header, Message: err.Error()})
				continue
			}
			if out.in.Attributes == nil {
				out.in.Attributes = map[string]any{}
			}
			out.in.Attributes[strings.TrimPrefix(c.field, "attr.")] = val
		}
	}
	if out.in.Type == "" {
		errs = append(errs, rowError{Line: r.line, Column: "type", Message: "required: the item's type (a type column, or --type)"})
	}
	for _, p := range allot.ValidateAttributes(out.in.Attributes) {
		errs = append(errs, rowError{Line: r.line, Message: p.Path + ": " + p.Message})
	}
	return out, errs
}

// importChunk is how many items go in one bulk request.
const importChunk = httpapi.MaxBulkItems

// items imports item rows through POST .../items:bulk, 1,000 at a time.
func (im *importer) items(ctx context.Context, header []string, rows []csvRow, bad []rowError, m mapFlag, defType string) int {
	cols, errs := mapColumns(header, m, itemField)
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintf(im.stderr, "%s:1: %s\n", im.file, e)
		}
		fmt.Fprintln(im.stderr, "allot import: nothing imported")
		return 1
	}
	var good []itemRow
	for _, r := range rows {
		ir, es := parseItemRow(r, cols, defType)
		if len(es) > 0 {
			bad = append(bad, es...)
			continue
		}
		good = append(good, ir)
	}
	total := len(good) + countLines(bad)
	if im.dryRun {
		im.printRowErrors(bad)
		fmt.Fprintf(im.stdout, "%s: %d row%s: would import %d (dry run), %d failed\n", im.file, total, plural(total), len(good), countLines(bad))
		if len(bad) > 0 {
			return 1
		}
		return 0
	}
	prog := newProgress(im.stderr, "importing "+filepath.Base(im.file), len(good))
	var created, existing int
	for start := 0; start < len(good); start += importChunk {
		chunk := good[start:min(start+importChunk, len(good))]
		body := struct {
			Items []httpapi.ItemInput `json:"items"`
		}{Items: make([]httpapi.ItemInput, len(chunk))}
		for i, r := range chunk {
			body.Items[i] = r.in
		}
		var out httpapi.BulkOutput
		if err := im.c.call(ctx, "POST", regionPath(im.region)+"/items:bulk", body, &out); err != nil {
			prog.done()
			im.printRowErrors(bad)
			fmt.Fprintf(im.stderr, "allot import: region %s: %v\n", im.region, err)
			if start == 0 {
				fmt.Fprintln(im.stderr, "allot import: nothing imported")
			} else {
				fmt.Fprintf(im.stderr, "allot import: stopped at line %d: %d created, %d already there before it; re-run to import the rest (external_id makes it safe)\n", chunk[0].line, created, existing)
			}
			return 1
		}
		for _, res := range out.Results {
			if res.Index < 0 || res.Index >= len(chunk) {
				continue
			}
			switch {
			case res.Status == 201:
				created++
			case res.Status == 200:
				existing++
			default:
				msg := fmt.Sprintf("status %d", res.Status)
				if p := res.Problem; p != nil {
					msg = p.Detail
					if msg == "" {
						msg = p.Title
					}
					for _, d := range p.Errors {
						msg += fmt.Sprintf("; %s: %s", strings.TrimPrefix(d.Location, "body."), d.Message)
					}
				}
				bad = append(bad, rowError{Line: chunk[res.Index].line, Message: msg})
			}
		}
		prog.set(start + len(chunk))
	}
	prog.done()
	im.printRowErrors(bad)
	fmt.Fprintf(im.stdout, "%s: %d row%s: %d created, %d already there (same external_id), %d failed\n", im.file, total, plural(total), created, existing, countLines(bad))
	if len(bad) > 0 {
		return 1
	}
	return 0
}

// progress prints a percentage line on a terminal, nothing otherwise.
type progress struct {
	w     io.Writer
	label string
	total int
	on    bool
}

func newProgress(w io.Writer, label string, total int) *progress {
	p := &progress{w: w, label: label, total: total, on: isTerminal(w) && total > 0}
	p.set(0)
	return p
}

func (p *progress) set(n int) {
	if !p.on {
		return
	}
	const width = 30
	filled := n * width / p.total
	fmt.Fprintf(p.w, "\r%s [%s%s] %3d%% (%d/%d)", p.label, strings.Repeat("=", filled), strings.Repeat(" ", width-filled), n*100/p.total, n, p.total)
}

func (p *progress) done() {
	if p.on {
		fmt.Fprintln(p.w)
		p.on = false
	}
}

package configfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/allot/allot"
)

// Change is one difference between two versions of a region's config.
type Change struct {
	// Kind is what changed: "queue", "agent", "rule", "scoring_rule",
	// "item_type", "tier" or "setting" (a region-level field).
	Kind string `json:"kind"`
	ID   string `json:"id"` // the object's id or name; the field for settings
	// Op is "+" added, "-" removed or "~" changed.
	Op string `json:"op"`
	// Fields lists the changed fields of a changed object.
	Fields []string `json:"fields,omitempty"`
}

// RegionDiff is what applying a new config to a region changes.
type RegionDiff struct {
	Region  string   `json:"region"`
	Changes []Change `json:"changes"`
	// RulesReordered: the rules kept are in another order (first match wins,
	// so this changes routing).
	RulesReordered bool `json:"rules_reordered,omitempty"`
}

// Empty reports whether nothing changes.
func (d RegionDiff) Empty() bool { return len(d.Changes) == 0 && !d.RulesReordered }

// String renders the diff for people, one change a line:
//
//	region emea: 3 changes
//	  + queue q-new
//	  ~ rule de-ielts: when, queue
func (d RegionDiff) String() string {
	var b strings.Builder
	if d.Empty() {
		fmt.Fprintf(&b, "region %s: no changes\n", d.Region)
		return b.String()
	}
	n := len(d.Changes)
	if d.RulesReordered {
		n++
	}
	fmt.Fprintf(&b, "region %s: %d change%s\n", d.Region, n, plural(n))
	for _, c := range d.Changes {
		fmt.Fprintf(&b, "  %s %s %s", c.Op, strings.ReplaceAll(c.Kind, "_", " "), c.ID)
		if len(c.Fields) > 0 {
			fmt.Fprintf(&b, ": %s", strings.Join(c.Fields, ", "))
		}
		b.WriteByte('\n')
	}
	if d.RulesReordered {
		b.WriteString("  ~ rule order\n")
	}
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Diff compares a region's live config with the wanted one. Defaults are
// filled in on both sides first, and times compared as instants, so a file
// that leaves defaults out shows no change for them. Objects are matched by
// id (rules by name).
func Diff(live, want allot.Region) RegionDiff {
	l := defaults(live)
	w := defaults(want)
	d := RegionDiff{Region: w.ID}
	if d.Region == "" {
		d.Region = l.ID
	}
	// Region-level settings: every field but the object lists.
	lists := map[string]bool{"queues": true, "agents": true, "rules": true, "scoring_rules": true, "item_types": true, "tiers": true}
	rv, wv := reflect.ValueOf(l), reflect.ValueOf(w)
	for i := range rv.NumField() {
		name := jsonName(rv.Type().Field(i))
		if lists[name] || name == "id" || name == "" {
			continue
		}
		if !sameJSON(rv.Field(i).Interface(), wv.Field(i).Interface()) {
			d.Changes = append(d.Changes, Change{Kind: "setting", ID: name, Op: "~"})
		}
	}
	d.Changes = append(d.Changes, diffList("item_type", l.ItemTypes, w.ItemTypes, func(t allot.ItemType) string { return t.Name })...)
	d.Changes = append(d.Changes, diffList("tier", l.Tiers, w.Tiers, func(t allot.Tier) string { return t.Name })...)
	d.Changes = append(d.Changes, diffList("queue", l.Queues, w.Queues, func(q allot.Queue) string { return q.ID })...)
	d.Changes = append(d.Changes, diffList("agent", l.Agents, w.Agents, func(a allot.Agent) string { return a.ID })...)
	d.Changes = append(d.Changes, diffList("rule", l.Rules, w.Rules, func(r allot.Rule) string { return r.Name })...)
	d.Changes = append(d.Changes, diffList("scoring_rule", l.ScoringRules, w.ScoringRules, func(r allot.ScoringRule) string { return r.Name })...)
	d.RulesReordered = reordered(l.Rules, w.Rules)
	return d
}

func defaults(r allot.Region) allot.Region {
	c := allot.Config{Regions: []allot.Region{r}}.WithDefaults()
	out := c.Regions[0]
	out.Agents = slices.Clone(out.Agents)
	for i := range out.Agents {
		a := &out.Agents[i]
		if len(a.Absences) > 0 {
			a.Absences = slices.Clone(a.Absences)
			for j := range a.Absences {
				a.Absences[j].Start = a.Absences[j].Start.UTC()
				a.Absences[j].End = a.Absences[j].End.UTC()
			}
		}
	}
	return out
}

func diffList[T any](kind string, live, want []T, id func(T) string) []Change {
	var out []Change
	old := make(map[string]*T, len(live))
	for i := range live {
		old[id(live[i])] = &live[i]
	}
	seen := make(map[string]bool, len(want))
	for i := range want {
		k := id(want[i])
		seen[k] = true
		o := old[k]
		if o == nil {
			out = append(out, Change{Kind: kind, ID: k, Op: "+"})
			continue
		}
		if fs := changedFields(*o, want[i]); len(fs) > 0 {
			out = append(out, Change{Kind: kind, ID: k, Op: "~", Fields: fs})
		}
	}
	for i := range live {
		if k := id(live[i]); !seen[k] {
			out = append(out, Change{Kind: kind, ID: k, Op: "-"})
		}
	}
	return out
}

// changedFields lists the JSON names of the fields that differ.
func changedFields[T any](a, b T) []string {
	av, bv := reflect.ValueOf(a), reflect.ValueOf(b)
	if av.Kind() != reflect.Struct {
		if sameJSON(a, b) {
			return nil
		}
		return []string{"value"}
	}
	var fs []string
	for i := range av.NumField() {
		f := av.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		if !sameJSON(av.Field(i).Interface(), bv.Field(i).Interface()) {
			fs = append(fs, jsonName(f))
		}
	}
	return fs
}

func jsonName(f reflect.StructField) string {
	n, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if n == "-" {
		return ""
	}
	if n == "" {
		return f.Name
	}
	return n
}

// sameJSON compares two values as the API would send them; empty lists,
// empty maps and null are the same.
func sameJSON(a, b any) bool {
	if reflect.DeepEqual(a, b) {
		return true
	}
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return false
	}
	return bytes.Equal(emptyJSON(ja), emptyJSON(jb))
}

func emptyJSON(b []byte) []byte {
	switch string(b) {
	case "[]", "{}":
		return []byte("null")
	}
	return b
}

// reordered reports whether the rules present on both sides are in another
// order.
func reordered(live, want []allot.Rule) bool {
	in := make(map[string]bool, len(want))
	for _, r := range want {
		in[r.Name] = true
	}
	was := make(map[string]bool, len(live))
	var a, b []string
	for _, r := range live {
		was[r.Name] = true
		if in[r.Name] {
			a = append(a, r.Name)
		}
	}
	for _, r := range want {
		if was[r.Name] {
			b = append(b, r.Name)
		}
	}
	return !slices.Equal(a, b)
}

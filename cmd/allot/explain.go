package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/configfile"
	"github.com/allot/allot/engine"
)

// allot explain: how an item would be routed — which rule, queue, score,
// tier, and every candidate agent with the filter that excluded it or its
// scores. Offline against a config file (a throwaway engine on a manual
// clock), or against a server's live state (POST .../explain).

const explainUsage = "allot explain --item item.json (-f config.yaml [--region R] [--at TIME] | --region R [--url URL] [--token T]) [--json]"

// explainItem is the item file: the body of POST .../items.
type explainItem struct {
	Type       string         `json:"type" yaml:"type"`
	ExternalID string         `json:"external_id,omitempty" yaml:"external_id,omitempty"`
	Priority   int            `json:"priority,omitempty" yaml:"priority,omitempty"`
	DueAt      *time.Time     `json:"due_at,omitempty" yaml:"due_at,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty" yaml:"attributes,omitempty"`
}

func explainCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newConfigFlags("explain", explainUsage, stderr)
	base, token := remoteFlags(fs)
	itemFile := fs.String("item", "", "the item, as the JSON (or YAML) body of POST .../items (required; - for stdin)")
	file := fs.String("f", "", "explain offline against this config file (else against the server at --url)")
	region := fs.String("region", "", "the region (required against a server, or when the file has several regions)")
	at := fs.String("at", "", "offline: the time to route at, RFC 3339 (default "+configfile.TestEpoch.Format(time.RFC3339)+", a Monday)")
	asJSON := fs.Bool("json", false, "print the decision as JSON")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if *itemFile == "" {
		fmt.Fprintln(stderr, "allot explain: --item: required (a JSON file such as {\"type\": \"lead\", \"attributes\": {...}})")
		return 2
	}
	now := configfile.TestEpoch
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			fmt.Fprintf(stderr, "allot explain: --at: want an RFC 3339 time such as 2025-03-03T09:30:00+01:00, got %q\n", *at)
			return 2
		}
		if *file == "" {
			fmt.Fprintln(stderr, "allot explain: --at: only offline (with -f); a server explains at its own time")
			return 2
		}
		now = t.UTC()
	}
	it, err := readExplainItem(*itemFile)
	if err != nil {
		printProblems(stderr, err)
		return 1
	}
	var d allot.Decision
	if *file != "" {
		f, ok := loadChecked(*file, stderr)
		if !ok {
			return 1
		}
		rid := *region
		if rid == "" {
			if len(f.Regions) != 1 {
				fmt.Fprintf(stderr, "allot explain: --region: required: %s has %d regions\n", *file, len(f.Regions))
				return 2
			}
			rid = f.Regions[0].ID
		}
		e, err := engine.New(f.Config, rid, &allot.ManualClock{T: now})
		if err != nil {
			fmt.Fprintf(stderr, "allot explain: region %s: %v\n", rid, err)
			return 1
		}
		x := allot.Item{Type: it.Type, ExternalID: it.ExternalID, Priority: it.Priority,
			Attributes: configfile.NormalizeAttributes(it.Attributes)}
		if it.DueAt != nil {
			x.DueAt = it.DueAt.UTC()
		}
		if d, err = e.Explain(x); err != nil {
			fmt.Fprintf(stderr, "allot explain: %s: %v\n", *itemFile, err)
			return 1
		}
	} else {
		if *region == "" {
			fmt.Fprintln(stderr, "allot explain: --region: required against a server (or -f for a config file)")
			return 2
		}
		if !needToken("explain", *token, stderr) {
			return 2
		}
		body := *it
		body.Attributes = configfile.NormalizeAttributes(it.Attributes)
		if err := newRemote(*base, *token).call(ctx, "POST", regionPath(*region)+"/explain", body, &d); err != nil {
			fmt.Fprintf(stderr, "allot explain: region %s: %v\n", *region, err)
			return 1
		}
	}
	if *asJSON {
		writeJSON(stdout, d)
		return 0
	}
	printDecision(stdout, d)
	return 0
}

func readExplainItem(path string) (*explainItem, error) {
	var r io.Reader = os.Stdin
	name := "stdin"
	if path != "-" {
		fh, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer fh.Close()
		r, name = fh, path
	}
	var it explainItem
	if err := configfile.DecodeYAML(r, name, &it); err != nil {
		return nil, err
	}
	if strings.TrimSpace(it.Type) == "" {
		return nil, &configfile.Error{Problems: []configfile.Problem{{File: name, Path: "type", Message: "required: the item's type, e.g. lead"}}}
	}
	return &it, nil
}

// printDecision prints an explained decision for a person.
func printDecision(w io.Writer, d allot.Decision) {
	x := d.Explanation
	if x == nil {
		x = &allot.Explanation{}
	}
	rule := x.Rule
	switch {
	case d.Kind == allot.DecisionUnroutable:
		rule = "(none)"
	case rule == "":
		rule = "(none: the default queue)"
	}
	queue := d.Queue
	if queue == "" {
		queue = x.Queue
	}
	fmt.Fprintf(w, "rule:    %s\n", rule)
	if d.Kind == allot.DecisionUnroutable {
		fmt.Fprintf(w, "queue:   (none): unroutable\n")
	} else {
		fmt.Fprintf(w, "queue:   %s (policy %s)\n", queue, x.Policy)
	}
	score := fmt.Sprintf("%d", x.Score)
	if x.ScoringRules.Len() > 0 {
		score += " (" + strings.Join(x.ScoringRules.All(), ", ") + ")"
	}
	fmt.Fprintf(w, "score:   %s\n", score)
	tier := x.Tier
	if tier == "" {
		tier = "(none)"
	}
	fmt.Fprintf(w, "tier:    %s\n", tier)
	outcome := string(d.Kind)
	if x.Reason != "" {
		outcome += ": " + x.Reason
	}
	if x.Sticky {
		outcome += " (sticky: the owner of related work)"
	}
	fmt.Fprintf(w, "outcome: %s\n", outcome)
	cands := x.Candidates.List()
	if len(cands) == 0 {
		if d.Kind != allot.DecisionUnroutable {
			fmt.Fprintln(w, "candidates: none (the queue has no members)")
		}
		return
	}
	eligible := 0
	for _, c := range cands {
		if c.Filter == "" {
			eligible++
		}
	}
	fmt.Fprintf(w, "candidates: %d, %d eligible\n", len(cands), eligible)
	width := 0
	for _, c := range cands {
		width = max(width, len(c.Agent))
	}
	for _, c := range cands {
		mark := " "
		if c.Chosen {
			mark = "*"
		}
		var what string
		if c.Filter != "" {
			what = "excluded by " + c.Filter
			if c.Reason != "" {
				what += ": " + c.Reason
			}
		} else {
			parts := make([]string, len(c.Scores))
			for i, s := range c.Scores {
				parts[i] = fmt.Sprintf("%s=%d", s.Scorer, s.Value)
			}
			what = "eligible"
			if len(parts) > 0 {
				what += ": " + strings.Join(parts, " ")
			}
		}
		fmt.Fprintf(w, "  %s %-*s  %s\n", mark, width, c.Agent, what)
	}
	if f := x.Filtered(); len(f) > 0 {
		keys := make([]string, 0, len(f))
		for k := range f {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s %d", k, f[k])
		}
		fmt.Fprintf(w, "excluded: %s\n", strings.Join(parts, ", "))
	}
}

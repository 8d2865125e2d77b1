package sim

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// metric is one row of the comparison table.
type metric struct {
	name   string
	get    func(*Result) float64
	format string
	// lowerBetter marks metrics where a decrease is an improvement (waits),
	// for the sign of the highlighted change; 0 means neutral.
	better int
}

var metrics = []metric{
	{"arrivals", func(r *Result) float64 { return float64(r.Arrivals) }, "%.0f", 0},
	{"assigned", func(r *Result) float64 { return float64(r.Assigned) }, "%.0f", 0},
	{"abandoned", func(r *Result) float64 { return float64(r.Abandoned) }, "%.0f", -1},
	{"unassigned at end", func(r *Result) float64 { return float64(r.Unassigned) }, "%.0f", -1},
	{"P(wait)", func(r *Result) float64 { return r.PWait }, "%.4f", -1},
	{"mean wait (s)", func(r *Result) float64 { return r.MeanWaitS }, "%.1f", -1},
	{"p50 wait (s)", func(r *Result) float64 { return r.P50WaitS }, "%.1f", -1},
	{"p90 wait (s)", func(r *Result) float64 { return r.P90WaitS }, "%.1f", -1},
	{"p99 wait (s)", func(r *Result) float64 { return r.P99WaitS }, "%.1f", -1},
	{"service level", func(r *Result) float64 { return r.ServiceLevel }, "%.4f", 1},
	{"abandon rate", func(r *Result) float64 { return r.AbandonRate }, "%.4f", -1},
	{"mean wait to touch (s)", func(r *Result) float64 { return r.MeanTouchWaitS }, "%.1f", -1},
	{"p90 wait to touch (s)", func(r *Result) float64 { return r.P90TouchWaitS }, "%.1f", -1},
	{"touch service level", func(r *Result) float64 { return r.TouchServiceLevel }, "%.4f", 1},
	{"re-assignments", func(r *Result) float64 { return float64(r.Reassignments) }, "%.0f", -1},
	{"escalations", func(r *Result) float64 { return float64(r.Escalations) }, "%.0f", -1},
	{"utilisation", func(r *Result) float64 { return r.Utilisation }, "%.4f", 0},
	{"mean queue length", func(r *Result) float64 { return r.MeanQueueLen }, "%.2f", -1},
	{"fairness: gini", func(r *Result) float64 { return r.Fairness.Gini }, "%.4f", -1},
	{"fairness: max/min", func(r *Result) float64 {
		if r.Fairness.MaxMinRatio == nil {
			return math.Inf(1)
		}
		return *r.Fairness.MaxMinRatio
	}, "%.3f", -1},
}

// WriteTable writes rep as a terminal table: one column per config, and for
// every config after the first its change against the first, marked + when
// better and - when worse.
func WriteTable(w io.Writer, rep Report) {
	title := rep.Scenario
	if title == "" {
		title = "simulation"
	}
	fmt.Fprintf(w, "%s: seed %d, horizon %s, warm-up %s, SLA %gs\n\n", title, rep.Seed, hours(rep.HorizonS), hours(rep.WarmupS), rep.SLASeconds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"metric"}
	for _, r := range rep.Results {
		head = append(head, r.Config)
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, m := range metrics {
		row := []string{m.name}
		var base float64
		for i := range rep.Results {
			v := m.get(&rep.Results[i])
			cell := fmtVal(m.format, v)
			if i == 0 {
				base = v
			} else if d := change(base, v, m.better); d != "" {
				cell += " " + d
			}
			row = append(row, cell)
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	tw.Flush()
}

func fmtVal(format string, v float64) string {
	if math.IsInf(v, 1) {
		return "∞"
	}
	return fmt.Sprintf(format, v)
}

func hours(s float64) string { return fmt.Sprintf("%gh", math.Round(s/36)/100) }

// change describes v against base: "(+12%)" with a marker when the metric has a
// better direction.
func change(base, v float64, better int) string {
	if v == base || math.IsInf(v, 0) || math.IsInf(base, 0) {
		return ""
	}
	var rel string
	if base != 0 {
		rel = fmt.Sprintf("%+.0f%%", 100*(v/base-1))
	} else {
		rel = "new"
	}
	mark := ""
	switch {
	case better == 0:
	case (v > base) == (better > 0):
		mark = " ▲better"
	default:
		mark = " ▼worse"
	}
	return "(" + rel + mark + ")"
}

// WriteHTML writes rep as one self-contained HTML page: the comparison
// table, and per config a wait histogram, the queue depth over time and the
// agents' shares against their weights, as inline SVG. No scripts, no
// external resources.
func WriteHTML(w io.Writer, rep Report) error {
	type row struct {
		Name  string
		Cells []string
	}
	type cfg struct {
		Name               string
		Waits, Depth, Fair template.HTML
	}
	data := struct {
		Title   string
		Report  Report
		Head    []string
		Rows    []row
		Configs []cfg
	}{Title: rep.Scenario, Report: rep}
	if data.Title == "" {
		data.Title = "allot simulation"
	}
	for _, r := range rep.Results {
		data.Head = append(data.Head, r.Config)
	}
	for _, m := range metrics {
		rw := row{Name: m.name}
		var base float64
		for i := range rep.Results {
			v := m.get(&rep.Results[i])
			cell := fmtVal(m.format, v)
			if i == 0 {
				base = v
			} else if d := change(base, v, m.better); d != "" {
				cell += " " + d
			}
			rw.Cells = append(rw.Cells, cell)
		}
		data.Rows = append(data.Rows, rw)
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		data.Configs = append(data.Configs, cfg{Name: r.Config, Waits: waitsSVG(r), Depth: depthSVG(r), Fair: fairSVG(r)})
	}
	return htmlTmpl.Execute(w, data)
}

var htmlTmpl = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}td,th{padding:.25em .8em;border-bottom:1px solid #ddd;text-align:right}
th:first-child,td:first-child{text-align:left}
section{margin-top:2em}h3{margin:.5em 0}svg{background:#fafafa;border:1px solid #eee;margin:.3em}
.charts{display:flex;flex-wrap:wrap}
</style></head><body>
<h1>{{.Title}}</h1>
<p>Seed {{.Report.Seed}} · start {{.Report.Start}} · horizon {{.Report.HorizonS}} s · warm-up {{.Report.WarmupS}} s · SLA {{.Report.SLASeconds}} s</p>
<table><tr><th>metric</th>{{range .Head}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr><td>{{.Name}}</td>{{range .Cells}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
{{range .Configs}}<section><h2>{{.Name}}</h2><div class="charts">
<div><h3>Waits (assigned items)</h3>{{.Waits}}</div>
<div><h3>Items waiting over time</h3>{{.Depth}}</div>
<div><h3>Share vs weight per agent</h3>{{.Fair}}</div>
</div></section>{{end}}
</body></html>
`))

const svgW, svgH = 420, 220

func waitsSVG(r *Result) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img">`, svgW, svgH)
	var maxN int64 = 1
	for _, k := range r.WaitHistogram {
		maxN = max(maxN, k.Count)
	}
	n := len(r.WaitHistogram)
	bw := float64(svgW-20) / float64(max(n, 1))
	for i, k := range r.WaitHistogram {
		h := float64(svgH-40) * float64(k.Count) / float64(maxN)
		x := 10 + float64(i)*bw
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#4a7bd0"><title>%d</title></rect>`, x, float64(svgH-25)-h, bw-2, h, k.Count)
		label := "more"
		if k.LeS >= 0 {
			label = fmt.Sprintf("≤%g", k.LeS)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="9" text-anchor="middle">%s</text>`, x+bw/2, svgH-10, template.HTMLEscapeString(label))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func depthSVG(r *Result) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img">`, svgW, svgH)
	var maxW int64 = 1
	maxT := 0.0
	for _, d := range r.QueueDepth {
		maxW = max(maxW, d.Waiting)
		maxT = max(maxT, d.AtH)
	}
	if maxT == 0 {
		maxT = 1
	}
	var pts []string
	for _, d := range r.QueueDepth {
		x := 10 + float64(svgW-20)*d.AtH/maxT
		y := float64(svgH-25) - float64(svgH-40)*float64(d.Waiting)/float64(maxW)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
	}
	fmt.Fprintf(&b, `<polyline fill="none" stroke="#d0504a" stroke-width="1.5" points="%s"/>`, strings.Join(pts, " "))
	fmt.Fprintf(&b, `<text x="10" y="12" font-size="10">max %d</text><text x="%d" y="%d" font-size="10" text-anchor="end">%.0f h</text>`, maxW, svgW-10, svgH-8, maxT)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func fairSVG(r *Result) template.HTML {
	var b strings.Builder
	n := len(r.Agents)
	h := max(svgH, 16*n+20)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img">`, svgW, h)
	maxS := 0.0
	for _, a := range r.Agents {
		maxS = max(maxS, a.Share, a.WeightShare)
	}
	if maxS == 0 {
		maxS = 1
	}
	for i, a := range r.Agents {
		y := 10 + 16*i
		wdt := float64(svgW-110) * a.Share / maxS
		fmt.Fprintf(&b, `<text x="5" y="%d" font-size="10">%s</text>`, y+10, template.HTMLEscapeString(a.ID))
		fmt.Fprintf(&b, `<rect x="90" y="%d" width="%.1f" height="11" fill="#5aa469"><title>share %.4f, weight share %.4f</title></rect>`, y, wdt, a.Share, a.WeightShare)
		wx := 90 + float64(svgW-110)*a.WeightShare/maxS
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#222" stroke-width="2"/>`, wx, wx, y-1, y+12)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

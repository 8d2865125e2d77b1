package sim

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/allot/allot"
)

// CSV replays historical arrivals from a delimited file.
//
// Format "bank" reads the Anonymous Bank call-centre log (Technion SEE
// Center; tab-separated, CRLF): a call arrives at date + q_start, or at
// vru_exit when it reached an agent without queueing; its handle time is
// ser_time; a HANG call that queued abandons after its recorded q_time; calls
// that hung up in the VRU and PHANTOM rows never reach the queue and are
// skipped. `0:00:00` means "did not happen". Each call becomes an item of type
// "call" with attributes call_type (PS, NW, ...) and vip (priority 2); vip
// calls get priority 1.
//
// Format "columns" (the default) maps named columns: time_column (RFC 3339,
// or "2006-01-02 15:04:05" in the scenario's time zone) is required;
// type_column, priority_column, handle_seconds_column,
// patience_seconds_column and attribute_columns are optional.
type CSV struct {
	Path   string `yaml:"path"`
	Format string `yaml:"format,omitempty"`
	// Delimiter is one character; "tab" or "\t" for tabs. Default "," ("tab"
	// for format bank).
	Delimiter             string   `yaml:"delimiter,omitempty"`
	TimeColumn            string   `yaml:"time_column,omitempty"`
	TypeColumn            string   `yaml:"type_column,omitempty"`
	PriorityColumn        string   `yaml:"priority_column,omitempty"`
	HandleSecondsColumn   string   `yaml:"handle_seconds_column,omitempty"`
	PatienceSecondsColumn string   `yaml:"patience_seconds_column,omitempty"`
	AttributeColumns      []string `yaml:"attribute_columns,omitempty"`
}

func (c *CSV) validate(ps *allot.Problems) {
	if c.Path == "" {
		ps.Add("arrivals.csv.path", "required")
	}
	switch c.Format {
	case "":
		c.Format = "columns"
		fallthrough
	case "columns":
		if c.TimeColumn == "" {
			ps.Add("arrivals.csv.time_column", "required for format columns")
		}
	case "bank":
	default:
		ps.Add("arrivals.csv.format", fmt.Sprintf("unknown format %q; want columns or bank", c.Format))
	}
	if c.Delimiter == "" {
		c.Delimiter = ","
		if c.Format == "bank" {
			c.Delimiter = "tab"
		}
	}
	if c.Delimiter != "tab" && c.Delimiter != "\t" && len([]rune(c.Delimiter)) != 1 {
		ps.Add("arrivals.csv.delimiter", `want one character or "tab"`)
	}
}

// csvRow is one parsed arrival before the scenario's distributions apply.
type csvRow struct {
	at       time.Time
	handle   int64 // ns; -1 unknown
	patience int64 // ns; -1 none recorded
	typ      string
	priority int
	attrs    map[string]any
	line     int
}

// csvError is a problem at a file position.
func csvError(name string, line, col int, format string, args ...any) error {
	return fmt.Errorf("%s:%d:%d: %s", name, line, col, fmt.Sprintf(format, args...))
}

// loadCSV reads the scenario's arrivals CSV and turns it into arrivals,
// applying the handle-time and patience settings. It sets the scenario's
// start (midnight UTC of the first arrival's day, unless given) and horizon
// (up to the last arrival, unless given).
func loadCSV(s *Scenario, seed uint64) ([]arrival, error) {
	c := s.Arrivals.CSV
	path := c.Path
	if !filepath.IsAbs(path) && s.Dir != "" {
		path = filepath.Join(s.Dir, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("arrivals.csv.path: %w", err)
	}
	defer f.Close()
	loc, _ := time.LoadLocation(s.TimeZone)
	var rows []csvRow
	if c.Format == "bank" {
		rows, err = readBank(f, path, loc)
	} else {
		rows, err = readColumns(f, path, c, loc)
	}
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no arrivals", path)
	}
	slices.SortStableFunc(rows, func(a, b csvRow) int { return a.at.Compare(b.at) })
	if s.Start.Equal(DefaultStart) || s.Start.IsZero() {
		y, m, d := rows[0].at.UTC().Date()
		s.Start = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	if s.Horizon <= 0 {
		s.Horizon = rows[len(rows)-1].at.Sub(s.Start) + time.Second
		if s.Warmup >= s.Horizon {
			return nil, fmt.Errorf("warmup %s is not shorter than the CSV's span %s", s.Warmup, s.Horizon)
		}
	}
	var recorded []float64
	for _, r := range rows {
		if r.handle >= 0 {
			recorded = append(recorded, float64(r.handle)/1e9)
		}
	}
	hd := newDist(&s.HandleTime, seed, streamHandle, recorded)
	boot := rand.New(rand.NewPCG(seed, streamHandle+1))
	var pd *dist
	if s.Patience != nil {
		pd = newDist(s.Patience, seed, streamPatience, nil)
	}
	out := make([]arrival, 0, len(rows))
	for _, r := range rows {
		at := int64(r.at.Sub(s.Start))
		if at < 0 || at >= int64(s.Horizon) {
			continue
		}
		h := r.handle
		switch {
		case s.HandleTime.Distribution != "recorded":
			h = hd.draw(h)
		case h < 0 && len(recorded) > 0:
			// A call with no recorded service (it hung up) that a config
			// serves gets a handle time drawn from the recorded ones.
			h = int64(recorded[boot.IntN(len(recorded))] * 1e9)
		case h < 0:
			return nil, fmt.Errorf("%s:%d: no handle time recorded; set handle_time.distribution", path, r.line)
		}
		p := r.patience
		if p < 0 && pd != nil {
			p = pd.draw(-1)
		}
		out = append(out, arrival{at: at, handle: h, patience: p, typ: r.typ, priority: r.priority, attrs: r.attrs})
	}
	return out, nil
}

func newReader(r io.Reader, delim string) *csv.Reader {
	cr := csv.NewReader(r)
	switch delim {
	case "tab", "\t":
		cr.Comma = '\t'
	default:
		cr.Comma = []rune(delim)[0]
	}
	cr.LazyQuotes = true
	cr.ReuseRecord = false
	return cr
}

// header reads the header row and returns column indexes by name.
func header(cr *csv.Reader, name string) (map[string]int, error) {
	h, err := cr.Read()
	if err != nil {
		return nil, readErr(name, err)
	}
	idx := map[string]int{}
	for i, col := range h {
		idx[strings.TrimSpace(strings.TrimPrefix(col, "\ufeff"))] = i
	}
	return idx, nil
}

func readErr(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%d:%d: %v", name, pe.Line, pe.Column, pe.Err)
	}
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: empty file", name)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// clock parses the bank log's H:MM:SS (hour not padded) into seconds.
func clock(s string) (int, bool) {
	h, rest, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return 0, false
	}
	m, sec, ok := strings.Cut(rest, ":")
	if !ok || len(m) != 2 || len(sec) != 2 {
		return 0, false
	}
	hh, e1 := strconv.Atoi(h)
	mm, e2 := strconv.Atoi(m)
	ss, e3 := strconv.Atoi(sec)
	if e1 != nil || e2 != nil || e3 != nil || hh < 0 || hh > 23 || mm > 59 || ss > 59 || mm < 0 || ss < 0 {
		return 0, false
	}
	return hh*3600 + mm*60 + ss, true
}

var bankColumns = []string{"priority", "type", "date", "vru_exit", "q_start", "q_time", "outcome", "ser_start", "ser_exit", "ser_time", "server"}

// readBank parses the Anonymous Bank log. Quirks handled: CRLF line ends
// (encoding/csv drops the CR), unpadded hours, 0:00:00 sentinels, service
// and queue intervals that wrap past midnight (durations come from the
// *_time columns, or from the clock times modulo 24 h), the 0–2 s skew
// between the VRU/queue and agent clocks (arrival times never mix the two),
// and AGENT rows without a server (NO_SERVER: served, by someone).
func readBank(r io.Reader, name string, loc *time.Location) ([]csvRow, error) {
	cr := newReader(r, "tab")
	idx, err := header(cr, name)
	if err != nil {
		return nil, err
	}
	for _, col := range bankColumns {
		if _, ok := idx[col]; !ok {
			return nil, fmt.Errorf("%s:1:1: missing column %q (want the Anonymous Bank layout)", name, col)
		}
	}
	var rows []csvRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, readErr(name, err)
		}
		line, _ := cr.FieldPos(0)
		field := func(col string) (string, int) {
			i := idx[col]
			_, c := cr.FieldPos(i)
			return strings.TrimSpace(rec[i]), c
		}
		bad := func(col, msg string) error {
			_, c := field(col)
			v, _ := field(col)
			return csvError(name, line, c, "%s: %s %q", col, msg, v)
		}
		outcome, _ := field("outcome")
		qs, _ := field("q_start")
		qStart, ok := clock(qs)
		if !ok {
			return nil, bad("q_start", "want a time H:MM:SS, got")
		}
		queued := qStart != 0 // 0:00:00: never queued
		switch outcome {
		case "PHANTOM":
			continue
		case "AGENT", "HANG":
		default:
			return nil, bad("outcome", "want AGENT, HANG or PHANTOM, got")
		}
		if outcome == "HANG" && !queued {
			continue // hung up in the VRU: never reached the queue
		}
		ds, _ := field("date")
		day, err := time.ParseInLocation("060102", ds, loc)
		if err != nil {
			return nil, bad("date", "want YYMMDD, got")
		}
		arr := qStart
		if !queued {
			ve, _ := field("vru_exit")
			v, ok := clock(ve)
			if !ok {
				return nil, bad("vru_exit", "want a time H:MM:SS, got")
			}
			arr = v
		}
		row := csvRow{at: day.Add(time.Duration(arr) * time.Second), handle: -1, patience: -1, typ: "call", line: line}
		pr, _ := field("priority")
		p, err := strconv.Atoi(pr)
		if err != nil || p < 0 || p > 2 {
			return nil, bad("priority", "want 0, 1 or 2, got")
		}
		typ, _ := field("type")
		row.attrs = map[string]any{"call_type": typ, "vip": p == 2}
		if p == 2 {
			row.priority = 1
		}
		switch outcome {
		case "AGENT":
			st, _ := field("ser_time")
			n, err := strconv.Atoi(st)
			if err != nil || n < 0 {
				// Fall back on the clock times, wrapping past midnight.
				a, _ := field("ser_start")
				b, _ := field("ser_exit")
				x, ok1 := clock(a)
				y, ok2 := clock(b)
				if !ok1 || !ok2 {
					return nil, bad("ser_time", "want whole seconds, got")
				}
				n = ((y-x)%86400 + 86400) % 86400
			}
			row.handle = int64(n) * int64(time.Second)
		case "HANG":
			qt, _ := field("q_time")
			n, err := strconv.Atoi(qt)
			if err != nil || n < 0 {
				return nil, bad("q_time", "want whole seconds, got")
			}
			row.patience = int64(n) * int64(time.Second)
		}
		rows = append(rows, row)
	}
}

// readColumns parses a generic CSV by the configured column names.
func readColumns(r io.Reader, name string, c *CSV, loc *time.Location) ([]csvRow, error) {
	cr := newReader(r, c.Delimiter)
	idx, err := header(cr, name)
	if err != nil {
		return nil, err
	}
	need := []string{c.TimeColumn, c.TypeColumn, c.PriorityColumn, c.HandleSecondsColumn, c.PatienceSecondsColumn}
	need = append(need, c.AttributeColumns...)
	for _, col := range need {
		if col == "" {
			continue
		}
		if _, ok := idx[col]; !ok {
			return nil, fmt.Errorf("%s:1:1: no column %q in the header", name, col)
		}
	}
	var rows []csvRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, readErr(name, err)
		}
		line, _ := cr.FieldPos(0)
		get := func(col string) (string, int) {
			i := idx[col]
			_, cc := cr.FieldPos(i)
			return strings.TrimSpace(rec[i]), cc
		}
		ts, tc := get(c.TimeColumn)
		at, err := time.Parse(time.RFC3339, ts)
		if err != nil {
			at, err = time.ParseInLocation("2006-01-02 15:04:05", ts, loc)
		}
		if err != nil {
			return nil, csvError(name, line, tc, "%s: want an RFC 3339 time or YYYY-MM-DD HH:MM:SS, got %q", c.TimeColumn, ts)
		}
		row := csvRow{at: at, handle: -1, patience: -1, typ: "call", line: line}
		if c.TypeColumn != "" {
			if v, _ := get(c.TypeColumn); v != "" {
				row.typ = v
			}
		}
		if c.PriorityColumn != "" {
			if v, cc := get(c.PriorityColumn); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil {
					return nil, csvError(name, line, cc, "%s: want an integer, got %q", c.PriorityColumn, v)
				}
				row.priority = n
			}
		}
		secs := func(col string) (int64, error) {
			v, cc := get(col)
			if v == "" {
				return -1, nil
			}
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 {
				return 0, csvError(name, line, cc, "%s: want seconds ≥ 0, got %q", col, v)
			}
			return int64(f * 1e9), nil
		}
		if c.HandleSecondsColumn != "" {
			if row.handle, err = secs(c.HandleSecondsColumn); err != nil {
				return nil, err
			}
		}
		if c.PatienceSecondsColumn != "" {
			if row.patience, err = secs(c.PatienceSecondsColumn); err != nil {
				return nil, err
			}
		}
		if len(c.AttributeColumns) > 0 {
			row.attrs = map[string]any{}
			for _, col := range c.AttributeColumns {
				if v, _ := get(col); v != "" {
					row.attrs[col] = v
				}
			}
		}
		rows = append(rows, row)
	}
}

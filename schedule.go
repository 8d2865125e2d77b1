package allot

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule is an agent's working week in its own time zone.
type Schedule struct {
	TimeZone string  `json:"time_zone" yaml:"time_zone"` // IANA, e.g. "Europe/Paris"
	Shifts   []Shift `json:"shifts" yaml:"shifts"`
}

// Shift is a recurring working period: on Days, from Start to End local time.
// An End at or before Start runs past midnight into the next day.
type Shift struct {
	Days  string `json:"days" yaml:"days"`   // "mon-fri", "sat,sun", "tue"
	Start string `json:"start" yaml:"start"` // "09:00"
	End   string `json:"end" yaml:"end"`     // "17:30"
}

// Absence is a period the agent does not work (holiday, sick leave), in
// absolute time. Start is inclusive, End exclusive.
type Absence struct {
	Start  time.Time `json:"start" yaml:"start"`
	End    time.Time `json:"end" yaml:"end"`
	Reason string    `json:"reason,omitempty" yaml:"reason,omitempty"`
}

// CompiledSchedule answers "is this instant inside working hours?" and "when does
// that next change?" without allocating.
type CompiledSchedule struct {
	loc *time.Location
	// week[d] lists minute intervals [from, to) of weekday d (0 = Sunday);
	// shifts past midnight are split across days.
	week [7][]minuteSpan
	// bounds[d] holds the from and to minutes of week[d], sorted, so that
	// NextChange does not allocate.
	bounds [7][]int
}

type minuteSpan struct{ from, to int }

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// CompileSchedule parses and checks s. Errors name the offending field relative
// to the schedule (time_zone, shifts[i].days, ...).
func CompileSchedule(s *Schedule) (*CompiledSchedule, Problems) {
	var ps Problems
	cs := &CompiledSchedule{}
	if s.TimeZone == "" {
		ps.Add("time_zone", "required: an IANA time zone such as Europe/Paris")
	} else if loc, err := time.LoadLocation(s.TimeZone); err != nil {
		ps.Add("time_zone", fmt.Sprintf("unknown time zone %q; want an IANA name such as Europe/Paris", s.TimeZone))
	} else {
		cs.loc = loc
	}
	if len(s.Shifts) == 0 {
		ps.Add("shifts", "at least one shift is required (omit schedule for always-on agents)")
	}
	for i, sh := range s.Shifts {
		p := fmt.Sprintf("shifts[%d]", i)
		days, err := parseDays(sh.Days)
		if err != nil {
			ps.Add(p+".days", err.Error())
		}
		from, err1 := parseClock(sh.Start, false)
		if err1 != nil {
			ps.Add(p+".start", err1.Error())
		}
		to, err2 := parseClock(sh.End, true)
		if err2 != nil {
			ps.Add(p+".end", err2.Error())
		}
		if err != nil || err1 != nil || err2 != nil {
			continue
		}
		for _, d := range days {
			if to > from {
				cs.week[d] = append(cs.week[d], minuteSpan{from, to})
				continue
			}
			// Past midnight (or a full 24 h when End == Start).
			cs.week[d] = append(cs.week[d], minuteSpan{from, 24 * 60})
			if to > 0 {
				next := (d + 1) % 7
				cs.week[next] = append(cs.week[next], minuteSpan{0, to})
			}
		}
	}
	if len(ps) > 0 {
		return nil, ps
	}
	for d, spans := range cs.week {
		for _, sp := range spans {
			cs.bounds[d] = append(cs.bounds[d], sp.from, sp.to)
		}
		sortInts(cs.bounds[d])
	}
	return cs, nil
}

// Location is the schedule's time zone.
func (cs *CompiledSchedule) Location() *time.Location { return cs.loc }

// Contains reports whether t is inside a shift.
func (cs *CompiledSchedule) Contains(t time.Time) bool {
	lt := t.In(cs.loc)
	m := lt.Hour()*60 + lt.Minute()
	for _, sp := range cs.week[lt.Weekday()] {
		if m >= sp.from && m < sp.to {
			return true
		}
	}
	return false
}

// NextChange returns the first instant after t at which Contains changes value,
// or the zero time when it never does (always or never working). It looks at
// most eight days ahead and does not allocate.
//
// Shift boundaries are wall-clock times, so DST transitions are honoured: a
// shift starting at 09:00 starts at 09:00 local on both sides of a change. A
// transition is itself a possible change: when clocks spring forward into the
// middle of a shift (02:30–05:00 on a day that skips 02:00–03:00), the shift
// starts at the transition (03:00 local); when they fall back, a wall-clock
// time that occurs twice is a boundary both times.
func (cs *CompiledSchedule) NextChange(t time.Time) time.Time {
	cur := cs.Contains(t)
	limit := t.Add(8 * 24 * time.Hour)
	for from := t; ; {
		// Between from and the zone's next transition the UTC offset is
		// fixed, so the wall clock is UTC shifted by it.
		lt := from.In(cs.loc)
		_, offset := lt.Zone()
		_, end := lt.ZoneBounds()
		stop := limit
		if !end.IsZero() && end.Before(limit) {
			stop = end
		}
		shift := time.Duration(offset) * time.Second
		y, mo, d := lt.Date()
		for day := 0; ; day++ {
			// The instant at which the wall clock reads midnight of this day
			// under the current offset.
			midnight := time.Date(y, mo, d+day, 0, 0, 0, 0, time.UTC)
			start := midnight.Add(-shift)
			if !start.Before(stop) {
				break
			}
			for _, b := range cs.bounds[midnight.Weekday()] {
				at := start.Add(time.Duration(b) * time.Minute)
				if !at.After(from) {
					continue // before t, or already checked as a transition
				}
				if !at.Before(stop) {
					break
				}
				if cs.Contains(at) != cur {
					return at.In(cs.loc)
				}
			}
		}
		if stop.Equal(limit) {
			return time.Time{}
		}
		if cs.Contains(end) != cur {
			return end.In(cs.loc)
		}
		from = end
	}
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

func parseDays(s string) ([]time.Weekday, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return nil, fmt.Errorf("required: days such as \"mon-fri\" or \"sat,sun\"")
	}
	var out []time.Weekday
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if from, to, ok := strings.Cut(part, "-"); ok {
			a, okA := dayNames[strings.TrimSpace(from)]
			b, okB := dayNames[strings.TrimSpace(to)]
			if !okA || !okB {
				return nil, fmt.Errorf("bad day range %q; want e.g. mon-fri", part)
			}
			for d := a; ; d = (d + 1) % 7 {
				out = append(out, d)
				if d == b {
					break
				}
			}
			continue
		}
		d, ok := dayNames[part]
		if !ok {
			return nil, fmt.Errorf("unknown day %q; want mon, tue, wed, thu, fri, sat or sun", part)
		}
		out = append(out, d)
	}
	return out, nil
}

// parseClock parses "HH:MM" into minutes after midnight: 00:00–23:59, and also
// 24:00 when end is true (a shift may end at midnight but not start there).
func parseClock(s string, end bool) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(m) != 2 || len(h) == 0 || len(h) > 2 || !allDigits(h) || !allDigits(m) {
		return 0, fmt.Errorf("bad time %q; want HH:MM such as 09:00", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("bad time %q; want HH:MM between 00:00 and 24:00", s)
	}
	if hh == 24 && !end {
		return 0, fmt.Errorf("bad time %q: a shift cannot start at 24:00; start at 00:00 the next day", s)
	}
	return hh*60 + mm, nil
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

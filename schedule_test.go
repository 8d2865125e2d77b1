package allot

// These tests are internal (package allot) so that they can build a schedule
// that never works, which CompileSchedule cannot produce, and test parseClock.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// sched compiles a schedule from shifts written "days start-end", e.g.
// "mon-fri 09:00-17:00"; the days may hold spaces, the times may not.
func sched(t testing.TB, tz string, shifts ...string) *CompiledSchedule {
	t.Helper()
	s := &Schedule{TimeZone: tz}
	for _, sh := range shifts {
		i := strings.LastIndexByte(sh, ' ')
		days, span := sh[:max(i, 0)], sh[i+1:]
		start, end, ok := strings.Cut(span, "-")
		if i < 0 || !ok {
			t.Fatalf("bad shift %q in test", sh)
		}
		s.Shifts = append(s.Shifts, Shift{Days: days, Start: start, End: end})
	}
	cs, ps := CompileSchedule(s)
	if ps != nil {
		t.Fatalf("CompileSchedule(%v): %v", shifts, ps)
	}
	return cs
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestCompileScheduleErrors(t *testing.T) {
	t.Parallel()
	ok := Shift{Days: "mon", Start: "09:00", End: "17:00"}
	tests := []struct {
		name  string
		sched Schedule
		want  []string // "path: message substring"
	}{
		{name: "no time zone", sched: Schedule{Shifts: []Shift{ok}}, want: []string{"time_zone: required"}},
		{name: "unknown time zone", sched: Schedule{TimeZone: "Europe/Pariss", Shifts: []Shift{ok}}, want: []string{`time_zone: unknown time zone "Europe/Pariss"`}},
		{name: "no shifts", sched: Schedule{TimeZone: "UTC"}, want: []string{"shifts: at least one shift"}},
		{name: "no days", sched: Schedule{TimeZone: "UTC", Shifts: []Shift{{Days: " ", Start: "09:00", End: "17:00"}}}, want: []string{"shifts[0].days: required"}},
		{name: "unknown day", sched: Schedule{TimeZone: "UTC", Shifts: []Shift{{Days: "monday", Start: "09:00", End: "17:00"}}}, want: []string{`shifts[0].days: unknown day "monday"`}},
		{name: "trailing comma", sched: Schedule{TimeZone: "UTC", Shifts: []Shift{{Days: "sat,", Start: "09:00", End: "17:00"}}}, want: []string{`shifts[0].days: unknown day ""`}},
		{name: "open range", sched: Schedule{TimeZone: "UTC", Shifts: []Shift{{Days: "mon-", Start: "09:00", End: "17:00"}}}, want: []string{`shifts[0].days: bad day range "mon-"`}},
		{name: "bad range", sched: Schedule{TimeZone: "UTC", Shifts: []Shift{{Days: "mon-xyz", Start: "09:00", End: "17:00"}}}, want: []string{`shifts[0].days: bad day range "mon-xyz"`}},
		{name: "start without colon", sched: Schedule{TimeZone: "UTC", Shifts: []Shift{{Days: "mon", Start: "0900", End: "17:00"}}}, want: []string{`shifts[0].start: bad time "0900"`}},
		{name: "start at 24:00", sched: Schedule{TimeZone: "UTC", Shifts: []Shift{{Days: "mon", Start: "24:00", End: "06:00"}}}, want: []string{"shifts[0].start: bad time \"24:00\": a shift cannot start at 24:00"}},
		{name: "end after 24:00", sched: Schedule{TimeZone: "UTC", Shifts: []Shift{{Days: "mon", Start: "09:00", End: "24:30"}}}, want: []string{`shifts[0].end: bad time "24:30"`}},
		{name: "end at 25:00", sched: Schedule{TimeZone: "UTC", Shifts: []Shift{{Days: "mon", Start: "09:00", End: "25:00"}}}, want: []string{`shifts[0].end: bad time "25:00"`}},
		{name: "minute 60", sched: Schedule{TimeZone: "UTC", Shifts: []Shift{{Days: "mon", Start: "09:60", End: "17:00"}}}, want: []string{`shifts[0].start: bad time "09:60"`}},
		{
			name:  "every problem",
			sched: Schedule{TimeZone: "Nowhere", Shifts: []Shift{ok, {Days: "xx", Start: "9", End: "-1:00"}, {Days: "fri-mon", Start: "24:00", End: "02:00"}}},
			want: []string{
				`time_zone: unknown time zone "Nowhere"`,
				`shifts[1].days: unknown day "xx"`,
				`shifts[1].start: bad time "9"`,
				`shifts[1].end: bad time "-1:00"`,
				"shifts[2].start: bad time \"24:00\"",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, ps := CompileSchedule(&tt.sched)
			if cs != nil {
				t.Errorf("got a compiled schedule, want nil")
			}
			if len(ps) != len(tt.want) {
				t.Fatalf("got %d problems %v, want %d %v", len(ps), ps, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(ps[i].String(), w) {
					t.Errorf("problem %d = %q, want prefix %q", i, ps[i], w)
				}
			}
		})
	}
}

func TestParseClock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		end  bool
		want int // -1: error
	}{
		{name: "midnight", in: "00:00", want: 0},
		{name: "morning", in: "09:30", want: 570},
		{name: "one-digit hour", in: "9:05", want: 545},
		{name: "spaces", in: " 17:00 ", want: 1020},
		{name: "last minute", in: "23:59", want: 1439},
		{name: "24:00 ends", in: "24:00", end: true, want: 1440},
		{name: "24:00 does not start", in: "24:00", want: -1},
		{name: "24:01", in: "24:01", end: true, want: -1},
		{name: "25:00", in: "25:00", end: true, want: -1},
		{name: "minute 60", in: "10:60", want: -1},
		{name: "one-digit minute", in: "10:5", want: -1},
		{name: "three-digit hour", in: "009:00", want: -1},
		{name: "no hour", in: ":30", want: -1},
		{name: "empty", in: "", want: -1},
		{name: "seconds", in: "09:00:00", want: -1},
		{name: "negative hour", in: "-1:00", want: -1},
		{name: "negative zero", in: "-0:00", want: -1},
		{name: "plus sign", in: "+9:00", want: -1},
		{name: "signed minute", in: "09:+5", want: -1},
		{name: "letters", in: "ab:cd", want: -1},
		{name: "am/pm", in: "9:00am", want: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseClock(tt.in, tt.end)
			if tt.want < 0 {
				if err == nil {
					t.Errorf("parseClock(%q, %v) = %d, want an error", tt.in, tt.end, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseClock(%q, %v) = %d, %v; want %d", tt.in, tt.end, got, err, tt.want)
			}
		})
	}
}

func FuzzParseClock(f *testing.F) {
	for _, s := range []string{"09:00", "24:00", "9:5", "-0:00", "+1:00", "23:59", ""} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, end bool) {
		m, err := parseClock(s, end)
		if err != nil {
			return
		}
		hi := 24*60 - 1
		if end {
			hi = 24 * 60
		}
		if m < 0 || m > hi {
			t.Fatalf("parseClock(%q, %v) = %d, outside 0..%d", s, end, m, hi)
		}
		in := strings.TrimSpace(s)
		if in != fmt.Sprintf("%02d:%02d", m/60, m%60) && in != fmt.Sprintf("%d:%02d", m/60, m%60) {
			t.Fatalf("parseClock(%q, %v) = %d: not what the text says", s, end, m)
		}
	})
}

func TestContains(t *testing.T) {
	t.Parallel()
	// 2026-06-01 is a Monday; June has no DST change anywhere used here.
	tests := []struct {
		name   string
		tz     string
		shifts []string
		at     string
		want   bool
	}{
		{name: "before shift", tz: "UTC", shifts: []string{"mon-fri 09:00-17:00"}, at: "2026-06-01T08:59:59Z", want: false},
		{name: "start is inclusive", tz: "UTC", shifts: []string{"mon-fri 09:00-17:00"}, at: "2026-06-01T09:00:00Z", want: true},
		{name: "inside", tz: "UTC", shifts: []string{"mon-fri 09:00-17:00"}, at: "2026-06-03T12:00:00Z", want: true},
		{name: "last second", tz: "UTC", shifts: []string{"mon-fri 09:00-17:00"}, at: "2026-06-05T16:59:59.999Z", want: true},
		{name: "end is exclusive", tz: "UTC", shifts: []string{"mon-fri 09:00-17:00"}, at: "2026-06-05T17:00:00Z", want: false},
		{name: "weekend", tz: "UTC", shifts: []string{"mon-fri 09:00-17:00"}, at: "2026-06-06T12:00:00Z", want: false},
		{name: "local time", tz: "Europe/Paris", shifts: []string{"mon-fri 09:00-17:00"}, at: "2026-06-01T07:00:00Z", want: true},
		{name: "local time before", tz: "Europe/Paris", shifts: []string{"mon-fri 09:00-17:00"}, at: "2026-06-01T06:59:00Z", want: false},
		{name: "local date differs from UTC", tz: "America/New_York", shifts: []string{"fri 20:00-23:00"}, at: "2026-06-06T01:00:00Z", want: true},
		{name: "morning shift", tz: "UTC", shifts: []string{"mon-fri 09:00-12:00", "mon-fri 13:00-17:00"}, at: "2026-06-02T11:59:00Z", want: true},
		{name: "lunch gap", tz: "UTC", shifts: []string{"mon-fri 09:00-12:00", "mon-fri 13:00-17:00"}, at: "2026-06-02T12:30:00Z", want: false},
		{name: "afternoon shift", tz: "UTC", shifts: []string{"mon-fri 09:00-12:00", "mon-fri 13:00-17:00"}, at: "2026-06-02T13:00:00Z", want: true},
		{name: "overnight before midnight", tz: "UTC", shifts: []string{"mon-fri 22:00-06:00"}, at: "2026-06-01T23:30:00Z", want: true},
		{name: "overnight after midnight", tz: "UTC", shifts: []string{"mon-fri 22:00-06:00"}, at: "2026-06-02T05:59:00Z", want: true},
		{name: "overnight end", tz: "UTC", shifts: []string{"mon-fri 22:00-06:00"}, at: "2026-06-02T06:00:00Z", want: false},
		{name: "overnight from friday into saturday", tz: "UTC", shifts: []string{"mon-fri 22:00-06:00"}, at: "2026-06-06T03:00:00Z", want: true},
		{name: "overnight not into monday", tz: "UTC", shifts: []string{"mon-fri 22:00-06:00"}, at: "2026-06-01T03:00:00Z", want: false},
		{name: "overnight sat into sun", tz: "UTC", shifts: []string{"sat 22:00-06:00"}, at: "2026-06-07T05:00:00Z", want: true},
		{name: "overnight sat, sat morning", tz: "UTC", shifts: []string{"sat 22:00-06:00"}, at: "2026-06-06T05:00:00Z", want: false},
		{name: "overnight sun into mon", tz: "UTC", shifts: []string{"sun 22:00-06:00"}, at: "2026-06-08T01:00:00Z", want: true},
		{name: "end at midnight", tz: "UTC", shifts: []string{"mon 20:00-24:00"}, at: "2026-06-01T23:59:00Z", want: true},
		{name: "end at midnight, next day", tz: "UTC", shifts: []string{"mon 20:00-24:00"}, at: "2026-06-02T00:00:00Z", want: false},
		{name: "end 00:00 is midnight", tz: "UTC", shifts: []string{"mon 20:00-00:00"}, at: "2026-06-02T00:00:00Z", want: false},
		{name: "start equals end is 24 hours", tz: "UTC", shifts: []string{"mon 09:00-09:00"}, at: "2026-06-02T08:59:00Z", want: true},
		{name: "start equals end, after", tz: "UTC", shifts: []string{"mon 09:00-09:00"}, at: "2026-06-02T09:00:00Z", want: false},
		{name: "mon-fri includes wed", tz: "UTC", shifts: []string{"mon-fri 00:00-24:00"}, at: "2026-06-03T12:00:00Z", want: true},
		{name: "sat,sun includes sun", tz: "UTC", shifts: []string{"sat,sun 00:00-24:00"}, at: "2026-06-07T12:00:00Z", want: true},
		{name: "sat,sun excludes mon", tz: "UTC", shifts: []string{"sat,sun 00:00-24:00"}, at: "2026-06-08T12:00:00Z", want: false},
		{name: "fri-mon wraps: sun", tz: "UTC", shifts: []string{"fri-mon 00:00-24:00"}, at: "2026-06-07T12:00:00Z", want: true},
		{name: "fri-mon wraps: mon", tz: "UTC", shifts: []string{"fri-mon 00:00-24:00"}, at: "2026-06-08T12:00:00Z", want: true},
		{name: "fri-mon wraps: not tue", tz: "UTC", shifts: []string{"fri-mon 00:00-24:00"}, at: "2026-06-02T12:00:00Z", want: false},
		{name: "fri-mon wraps: not thu", tz: "UTC", shifts: []string{"fri-mon 00:00-24:00"}, at: "2026-06-04T12:00:00Z", want: false},
		{name: "day names ignore case", tz: "UTC", shifts: []string{"Tue,THU 10:00-11:00"}, at: "2026-06-04T10:30:00Z", want: true},
		{name: "mon-mon is one day", tz: "UTC", shifts: []string{"mon-mon 00:00-24:00"}, at: "2026-06-02T12:00:00Z", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs := sched(t, tt.tz, tt.shifts...)
			if got := cs.Contains(utc(tt.at)); got != tt.want {
				t.Errorf("Contains(%s) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestDayLists(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		days string
		want string // working days of the week 2026-06-01 (Mon) .. 06-07 (Sun)
	}{
		{name: "range", days: "mon-fri", want: "mon tue wed thu fri"},
		{name: "list", days: "sat,sun", want: "sat sun"},
		{name: "wrapping range", days: "fri-mon", want: "mon fri sat sun"},
		{name: "single", days: "wed", want: "wed"},
		{name: "whole week", days: "sun-sat", want: "mon tue wed thu fri sat sun"},
		{name: "mixed", days: "mon, wed-thu ,sun", want: "mon wed thu sun"},
		{name: "overlapping", days: "mon-wed,tue", want: "mon tue wed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs := sched(t, "UTC", tt.days+" 10:00-11:00")
			var got []string
			for d := 0; d < 7; d++ {
				at := utc("2026-06-01T10:30:00Z").AddDate(0, 0, d)
				if cs.Contains(at) {
					got = append(got, strings.ToLower(at.Weekday().String()[:3]))
				}
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("%q works on %v, want %s", tt.days, got, tt.want)
			}
		})
	}
}

func TestNextChange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tz     string
		shifts []string
		from   string
		want   string // "" means the zero time
	}{
		{name: "to start", tz: "UTC", shifts: []string{"mon-fri 09:00-17:00"}, from: "2026-06-01T08:00:00Z", want: "2026-06-01T09:00:00Z"},
		{name: "from mid-minute", tz: "UTC", shifts: []string{"mon-fri 09:00-17:00"}, from: "2026-06-01T08:59:30Z", want: "2026-06-01T09:00:00Z"},
		{name: "strictly after", tz: "UTC", shifts: []string{"mon-fri 09:00-17:00"}, from: "2026-06-01T09:00:00Z", want: "2026-06-01T17:00:00Z"},
		{name: "to end", tz: "UTC", shifts: []string{"mon-fri 09:00-17:00"}, from: "2026-06-01T16:59:59.5Z", want: "2026-06-01T17:00:00Z"},
		{name: "over the weekend", tz: "UTC", shifts: []string{"mon-fri 09:00-17:00"}, from: "2026-06-05T17:00:00Z", want: "2026-06-08T09:00:00Z"},
		{name: "local", tz: "Europe/Paris", shifts: []string{"mon-fri 09:00-17:00"}, from: "2026-06-01T00:00:00Z", want: "2026-06-01T07:00:00Z"},
		{name: "a week away", tz: "UTC", shifts: []string{"mon 09:00-10:00"}, from: "2026-06-01T10:00:00Z", want: "2026-06-08T09:00:00Z"},
		{name: "into lunch", tz: "UTC", shifts: []string{"mon-fri 09:00-12:00", "mon-fri 13:00-17:00"}, from: "2026-06-01T10:00:00Z", want: "2026-06-01T12:00:00Z"},
		{name: "out of lunch", tz: "UTC", shifts: []string{"mon-fri 09:00-12:00", "mon-fri 13:00-17:00"}, from: "2026-06-01T12:00:00Z", want: "2026-06-01T13:00:00Z"},
		{name: "overlapping shifts merge", tz: "UTC", shifts: []string{"mon 09:00-13:00", "mon 12:00-17:00"}, from: "2026-06-01T10:00:00Z", want: "2026-06-01T17:00:00Z"},
		{name: "touching shifts merge", tz: "UTC", shifts: []string{"mon 09:00-12:00", "mon 12:00-17:00"}, from: "2026-06-01T10:00:00Z", want: "2026-06-01T17:00:00Z"},
		{name: "overnight start", tz: "UTC", shifts: []string{"mon-fri 22:00-06:00"}, from: "2026-06-01T12:00:00Z", want: "2026-06-01T22:00:00Z"},
		{name: "overnight end", tz: "UTC", shifts: []string{"mon-fri 22:00-06:00"}, from: "2026-06-01T22:00:00Z", want: "2026-06-02T06:00:00Z"},
		{name: "overnight sat to sun", tz: "UTC", shifts: []string{"sat 22:00-06:00"}, from: "2026-06-06T23:00:00Z", want: "2026-06-07T06:00:00Z"},
		{name: "overnight sat, from sun", tz: "UTC", shifts: []string{"sat 22:00-06:00"}, from: "2026-06-07T06:00:00Z", want: "2026-06-13T22:00:00Z"},
		{name: "end at 24:00", tz: "UTC", shifts: []string{"mon 20:00-24:00"}, from: "2026-06-01T21:00:00Z", want: "2026-06-02T00:00:00Z"},
		{name: "24:00 into next day's shift", tz: "UTC", shifts: []string{"mon 20:00-24:00", "tue 00:00-02:00"}, from: "2026-06-01T21:00:00Z", want: "2026-06-02T02:00:00Z"},
		{name: "overnight into next day's shift", tz: "UTC", shifts: []string{"mon 20:00-02:00", "tue 01:00-03:00"}, from: "2026-06-01T21:00:00Z", want: "2026-06-02T03:00:00Z"},
		{name: "always", tz: "UTC", shifts: []string{"mon-sun 00:00-24:00"}, from: "2026-06-01T21:00:00Z", want: ""},
		{name: "always, 00:00-00:00", tz: "Europe/Paris", shifts: []string{"sun-sat 00:00-00:00"}, from: "2026-03-28T12:00:00Z", want: ""},
		{name: "always, noon to noon, over DST", tz: "Europe/Paris", shifts: []string{"mon-sun 12:00-12:00"}, from: "2026-10-24T12:00:00Z", want: ""},
		{name: "always, in pieces", tz: "America/New_York", shifts: []string{"mon-fri 00:00-24:00", "sat,sun 00:00-12:00", "sat,sun 12:00-24:00"}, from: "2026-03-07T00:00:00Z", want: ""},
		{name: "always but one weekday", tz: "UTC", shifts: []string{"mon-sat 00:00-24:00"}, from: "2026-06-01T00:00:00Z", want: "2026-06-07T00:00:00Z"},
		{name: "only in a week", tz: "UTC", shifts: []string{"mon 00:00-00:01"}, from: "2026-06-01T00:01:00Z", want: "2026-06-08T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs := sched(t, tt.tz, tt.shifts...)
			got := cs.NextChange(utc(tt.from))
			if tt.want == "" {
				if !got.IsZero() {
					t.Errorf("NextChange(%s) = %s, want the zero time", tt.from, got.UTC())
				}
				return
			}
			if !got.Equal(utc(tt.want)) {
				t.Errorf("NextChange(%s) = %s, want %s", tt.from, got.UTC().Format(time.RFC3339), tt.want)
			}
		})
	}
}

func TestNextChangeNeverWorking(t *testing.T) {
	t.Parallel()
	// CompileSchedule rejects a schedule without shifts, and every valid shift
	// covers some time, so only an empty CompiledSchedule never works.
	for _, tz := range []string{"UTC", "Europe/Paris"} {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			t.Fatal(err)
		}
		cs := &CompiledSchedule{loc: loc}
		for _, at := range []string{"2026-06-01T00:00:00Z", "2026-03-28T12:00:00Z"} {
			if cs.Contains(utc(at)) {
				t.Errorf("%s: empty schedule contains %s", tz, at)
			}
			if got := cs.NextChange(utc(at)); !got.IsZero() {
				t.Errorf("%s: NextChange(%s) = %s, want the zero time", tz, at, got)
			}
		}
	}
}

// TestNextChangeDST follows a schedule through DST changes, one NextChange after
// the other. In the comments, local times; in the data, UTC.
//
// What a shift does on a change day, as implemented and documented on
// NextChange: shift boundaries are wall-clock times. When clocks spring forward
// past a shift's start (Paris 2026-03-29, 02:00 CET becomes 03:00 CEST), the
// shift starts at the jump, 03:00 CEST; a shift inside the skipped hour does not
// happen that day; a shift spanning it is an hour shorter. When clocks fall back
// (Paris 2026-10-25, 03:00 CEST becomes 02:00 CET), a shift covering part of the
// repeated hour covers that part twice, with a break between.
func TestNextChangeDST(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tz     string
		shifts []string
		from   string
		want   []string // successive NextChange results
	}{
		{
			name: "Paris spring: 09:00 local on the Monday after", tz: "Europe/Paris", shifts: []string{"mon-fri 09:00-17:00"},
			from: "2026-03-27T16:00:00Z", // Fri 17:00 CET
			want: []string{"2026-03-30T07:00:00Z", "2026-03-30T15:00:00Z"},
		},
		{
			name: "Paris spring: 09:00 local on the Monday before", tz: "Europe/Paris", shifts: []string{"mon-fri 09:00-17:00"},
			from: "2026-03-20T16:00:00Z",
			want: []string{"2026-03-23T08:00:00Z", "2026-03-23T16:00:00Z"},
		},
		{
			name: "Paris spring: 01:00-03:00 lasts one hour", tz: "Europe/Paris", shifts: []string{"sun 01:00-03:00"},
			from: "2026-03-28T12:00:00Z",
			want: []string{
				"2026-03-29T00:00:00Z", // 01:00 CET
				"2026-03-29T01:00:00Z", // 03:00 CEST: 01:59 CET is followed by 03:00 CEST
				"2026-04-04T23:00:00Z", // next Sunday 01:00 CEST
				"2026-04-05T01:00:00Z", // 03:00 CEST
			},
		},
		{
			name: "Paris spring: 02:30-05:00 starts at the jump", tz: "Europe/Paris", shifts: []string{"sun 02:30-05:00"},
			from: "2026-03-28T12:00:00Z",
			want: []string{"2026-03-29T01:00:00Z", "2026-03-29T03:00:00Z"}, // 03:00 CEST, 05:00 CEST
		},
		{
			name: "Paris spring: 02:00-02:30 is skipped", tz: "Europe/Paris", shifts: []string{"sun 02:00-02:30"},
			from: "2026-03-28T12:00:00Z",
			want: []string{"2026-04-05T00:00:00Z", "2026-04-05T00:30:00Z"},
		},
		{
			name: "Paris spring: overnight sat 22:00 to sun 06:00 lasts 7 h", tz: "Europe/Paris", shifts: []string{"sat 22:00-06:00"},
			from: "2026-03-28T12:00:00Z",
			want: []string{"2026-03-28T21:00:00Z", "2026-03-29T04:00:00Z"},
		},
		{
			name: "Paris autumn: 09:00 local on the Monday after", tz: "Europe/Paris", shifts: []string{"mon-fri 09:00-17:00"},
			from: "2026-10-23T15:00:00Z", // Fri 17:00 CEST
			want: []string{"2026-10-26T08:00:00Z", "2026-10-26T16:00:00Z"},
		},
		{
			name: "Paris autumn: 02:30-05:00 covers 02:30-03:00 twice", tz: "Europe/Paris", shifts: []string{"sun 02:30-05:00"},
			from: "2026-10-24T12:00:00Z",
			want: []string{
				"2026-10-25T00:30:00Z", // 02:30 CEST
				"2026-10-25T01:00:00Z", // 03:00 CEST is 02:00 CET: out again
				"2026-10-25T01:30:00Z", // 02:30 CET
				"2026-10-25T04:00:00Z", // 05:00 CET
			},
		},
		{
			name: "Paris autumn: 01:00-02:30", tz: "Europe/Paris", shifts: []string{"sun 01:00-02:30"},
			from: "2026-10-24T12:00:00Z",
			want: []string{"2026-10-24T23:00:00Z", "2026-10-25T00:30:00Z", "2026-10-25T01:00:00Z", "2026-10-25T01:30:00Z"},
		},
		{
			name: "Paris autumn: overnight sat 22:00 to sun 06:00 lasts 9 h", tz: "Europe/Paris", shifts: []string{"sat 22:00-06:00"},
			from: "2026-10-24T12:00:00Z",
			want: []string{"2026-10-24T20:00:00Z", "2026-10-25T05:00:00Z"},
		},
		{
			name: "New York spring: 09:00 local on the Monday after", tz: "America/New_York", shifts: []string{"mon-fri 09:00-17:00"},
			from: "2026-03-06T22:00:00Z", // Fri 17:00 EST
			want: []string{"2026-03-09T13:00:00Z", "2026-03-09T21:00:00Z"},
		},
		{
			name: "New York spring: 02:00-04:00 starts at the jump", tz: "America/New_York", shifts: []string{"sun 02:00-04:00"},
			from: "2026-03-07T12:00:00Z",
			want: []string{"2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"}, // 03:00 EDT, 04:00 EDT
		},
		{
			name: "New York autumn: 09:00 local on the Monday after", tz: "America/New_York", shifts: []string{"mon-fri 09:00-17:00"},
			from: "2026-10-30T21:00:00Z", // Fri 17:00 EDT
			want: []string{"2026-11-02T14:00:00Z", "2026-11-02T22:00:00Z"},
		},
		{
			name: "New York autumn: 01:00-01:30 happens twice", tz: "America/New_York", shifts: []string{"sun 01:00-01:30"},
			from: "2026-10-31T12:00:00Z",
			want: []string{"2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z", "2026-11-01T06:00:00Z", "2026-11-01T06:30:00Z"},
		},
		{
			name: "New York autumn: overnight sat 22:00 to sun 06:00 lasts 9 h", tz: "America/New_York", shifts: []string{"sat 22:00-06:00"},
			from: "2026-10-31T12:00:00Z",
			want: []string{"2026-11-01T02:00:00Z", "2026-11-01T11:00:00Z"},
		},
		{
			name: "Lord Howe spring: half-hour jump", tz: "Australia/Lord_Howe", shifts: []string{"sun 02:00-02:45"},
			from: "2026-10-03T12:00:00Z", // 2026-10-04 02:00 +1030 becomes 02:30 +11
			want: []string{"2026-10-03T15:30:00Z", "2026-10-03T15:45:00Z"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs := sched(t, tt.tz, tt.shifts...)
			at := utc(tt.from)
			for i, w := range tt.want {
				next := cs.NextChange(at)
				if !next.Equal(utc(w)) {
					t.Fatalf("change %d: NextChange(%s) = %s, want %s", i, at.UTC().Format(time.RFC3339), next.UTC().Format(time.RFC3339), w)
				}
				checkConstant(t, cs, at, next)
				at = next
			}
		})
	}
}

// checkConstant checks minute by minute that Contains keeps its value on
// [from, next) and flips at next.
func checkConstant(t testing.TB, cs *CompiledSchedule, from, next time.Time) {
	t.Helper()
	cur := cs.Contains(from)
	for m := from.Truncate(time.Minute).Add(time.Minute); m.Before(next); m = m.Add(time.Minute) {
		if cs.Contains(m) != cur {
			t.Fatalf("Contains changes at %s, before NextChange(%s) = %s", m.UTC(), from.UTC(), next.UTC())
		}
	}
	if cs.Contains(next) == cur {
		t.Fatalf("Contains(%s) = %v: no change at NextChange(%s)", next.UTC(), cur, from.UTC())
	}
}

// TestNextChangeMatchesMinuteScan compares NextChange from every minute of a
// week spanning a DST change with the next change found by looking at every
// minute. Every zone here changes offset on whole minutes.
func TestNextChangeMatchesMinuteScan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tz     string
		shifts []string
		from   string
	}{
		{name: "Paris spring", tz: "Europe/Paris", shifts: []string{"mon-fri 09:00-17:00", "sun 01:30-02:30", "sat 22:00-03:00"}, from: "2026-03-25T00:00:00Z"},
		{name: "Paris autumn", tz: "Europe/Paris", shifts: []string{"sun 02:15-02:45", "sat-sun 23:00-02:30", "wed 00:00-24:00"}, from: "2026-10-21T00:00:00Z"},
		{name: "New York spring", tz: "America/New_York", shifts: []string{"mon-fri 09:00-12:00", "mon-fri 13:00-17:00", "sun 02:00-02:01"}, from: "2026-03-04T00:00:00Z"},
		{name: "New York autumn", tz: "America/New_York", shifts: []string{"sat 12:00-01:30", "sun 01:15-03:00"}, from: "2026-10-28T00:00:00Z"},
		{name: "Lord Howe autumn", tz: "Australia/Lord_Howe", shifts: []string{"sun 01:40-02:10", "sat 01:45-01:46"}, from: "2026-03-31T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs := sched(t, tt.tz, tt.shifts...)
			start := utc(tt.from)
			const minutes = 7 * 24 * 60
			// in[i] is Contains at start+i minutes, for two weeks so that every
			// minute of the first week has its next change in the table.
			in := make([]bool, 2*minutes)
			for i := range in {
				in[i] = cs.Contains(start.Add(time.Duration(i) * time.Minute))
			}
			nextFlip := -1
			for i := len(in) - 2; i >= 0; i-- {
				if in[i+1] != in[i] {
					nextFlip = i + 1
				}
				if i >= minutes {
					continue
				}
				at := start.Add(time.Duration(i) * time.Minute)
				got := cs.NextChange(at)
				want := start.Add(time.Duration(nextFlip) * time.Minute)
				if !got.Equal(want) {
					t.Fatalf("NextChange(%s) = %s, want %s", at.In(cs.loc), got.In(cs.loc), want.In(cs.loc))
				}
			}
		})
	}
}

// TestNextChangeProperty: for random schedules and instants t, Contains is
// constant on [t, NextChange(t)) and differs at NextChange(t); when NextChange
// is zero, Contains never changes.
func TestNextChangeProperty(t *testing.T) {
	t.Parallel()
	zones := []string{"UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham"}
	// Instants near 2026's offset changes in those zones, and a quiet one.
	near := []string{
		"2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z", // Paris
		"2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z", // New York
		"2026-04-04T15:00:00Z", "2026-10-03T15:30:00Z", // Lord Howe
		"2026-03-08T05:30:00Z", "2026-11-01T04:30:00Z", // St John's
		"2026-04-04T14:00:00Z", "2026-09-26T14:00:00Z", // Chatham
		"2026-06-15T12:00:00Z",
	}
	dayNames := []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	genDays := rapid.Custom(func(t *rapid.T) string {
		switch rapid.IntRange(0, 2).Draw(t, "kind") {
		case 0:
			return rapid.SampledFrom(dayNames).Draw(t, "day")
		case 1:
			return rapid.SampledFrom(dayNames).Draw(t, "from") + "-" + rapid.SampledFrom(dayNames).Draw(t, "to")
		default:
			n := rapid.IntRange(1, 4).Draw(t, "n")
			ds := make([]string, n)
			for i := range ds {
				ds[i] = rapid.SampledFrom(dayNames).Draw(t, "day")
			}
			return strings.Join(ds, ",")
		}
	})
	// Clock times, half of them on the half hour to hit DST changes often.
	genMinute := func(hi int) *rapid.Generator[int] {
		return rapid.OneOf(
			rapid.IntRange(0, hi),
			rapid.Map(rapid.IntRange(0, hi/30), func(i int) int { return i * 30 }),
		)
	}
	clock := func(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

	rapid.Check(t, func(t *rapid.T) {
		s := &Schedule{TimeZone: rapid.SampledFrom(zones).Draw(t, "tz")}
		for range rapid.IntRange(1, 3).Draw(t, "shifts") {
			s.Shifts = append(s.Shifts, Shift{
				Days:  genDays.Draw(t, "days"),
				Start: clock(genMinute(24*60-1).Draw(t, "start")),
				End:   clock(genMinute(24*60).Draw(t, "end")),
			})
		}
		cs, ps := CompileSchedule(s)
		if ps != nil {
			t.Fatalf("CompileSchedule(%+v): %v", s, ps)
		}
		at := utc(rapid.SampledFrom(near).Draw(t, "near")).
			Add(time.Duration(rapid.IntRange(-4*24*60, 4*24*60).Draw(t, "minutes")) * time.Minute).
			Add(time.Duration(rapid.SampledFrom([]int{0, 0, 0, 1, 30, 59}).Draw(t, "seconds")) * time.Second)
		cur := cs.Contains(at)
		next := cs.NextChange(at)

		if next.IsZero() {
			// No change in eight days means none ever: the week repeats.
			for m := at; m.Before(at.Add(8 * 24 * time.Hour)); m = m.Add(time.Minute) {
				if cs.Contains(m) != cur {
					t.Fatalf("NextChange(%s) is zero but Contains changes at %s", at.UTC(), m.UTC())
				}
			}
			return
		}
		if !next.After(at) || next.Sub(at) > 8*24*time.Hour {
			t.Fatalf("NextChange(%s) = %s: not within (t, t+8d]", at.UTC(), next.UTC())
		}
		if cs.Contains(next) == cur {
			t.Fatalf("Contains(%s) = %v: no change at NextChange(%s)", next.UTC(), cur, at.UTC())
		}
		span := next.Sub(at)
		samples := []time.Duration{0, span - time.Nanosecond, span - time.Minute, time.Minute}
		for i := range 4 {
			samples = append(samples, time.Duration(rapid.Int64Range(0, int64(span/time.Minute)).Draw(t, fmt.Sprint("sample", i)))*time.Minute)
		}
		for _, d := range samples {
			if d < 0 || d >= span {
				continue
			}
			if m := at.Add(d); cs.Contains(m) != cur {
				t.Fatalf("Contains(%s) = %v, want %v: before NextChange(%s) = %s", m.UTC(), !cur, cur, at.UTC(), next.UTC())
			}
		}
	})
}

func TestNextChangeDoesNotAllocate(t *testing.T) {
	// Not parallel: AllocsPerRun counts every goroutine's allocations.
	cs := sched(t, "Europe/Paris", "mon-fri 08:00-09:00", "mon-fri 10:00-11:00", "mon-fri 12:00-13:00",
		"mon-fri 14:00-15:00", "mon-fri 16:00-17:00", "sat 22:00-06:00")
	at := utc("2026-03-28T12:00:00Z") // Saturday: the next change crosses the DST change
	if n := testing.AllocsPerRun(100, func() { cs.NextChange(at) }); n != 0 {
		t.Errorf("NextChange allocates %v times per call, want 0", n)
	}
}

func BenchmarkNextChange(b *testing.B) {
	cs := sched(b, "Europe/Paris", "mon-fri 09:00-12:00", "mon-fri 13:00-17:00")
	at := utc("2026-03-27T16:30:00Z") // Friday afternoon: the next change is Monday
	b.ReportAllocs()
	for b.Loop() {
		cs.NextChange(at)
	}
}

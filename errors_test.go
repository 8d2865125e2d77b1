package allot_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/allot/allot"
)

func TestErrorCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "nil", err: nil, want: ""},
		{name: "invalid", err: allot.Errorf(allot.EINVALID, "bad"), want: allot.EINVALID},
		{name: "not found", err: allot.Errorf(allot.ENOTFOUND, "no item %q", "x"), want: allot.ENOTFOUND},
		{name: "conflict", err: &allot.Error{Code: allot.ECONFLICT}, want: allot.ECONFLICT},
		{name: "wrapped", err: fmt.Errorf("store: %w", allot.Errorf(allot.ENOTFOUND, "gone")), want: allot.ENOTFOUND},
		{name: "joined", err: errors.Join(errors.New("io"), allot.Errorf(allot.ECONFLICT, "taken")), want: allot.ECONFLICT},
		{name: "plain error is internal", err: errors.New("disk on fire"), want: allot.EINTERNAL},
		{name: "problems", err: allot.Problems{{Path: "a", Message: "b"}}.Err("invalid"), want: allot.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := allot.ErrorCode(tt.err); got != tt.want {
				t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "formatted", err: allot.Errorf(allot.ENOTFOUND, "no agent %q in region %s", "ana", "eu"), want: `no agent "ana" in region eu`},
		{name: "no args", err: allot.Errorf(allot.ECONFLICT, "already closed"), want: "already closed"},
		{
			name: "with problems",
			err: &allot.Error{Code: allot.EINVALID, Message: "config is invalid", Problems: allot.Problems{
				{Path: "regions[0].id", Message: "required"},
				{Path: "presence", Message: "no status is routable"},
			}},
			want: "config is invalid: regions[0].id: required; presence: no status is routable",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestProblemsErr(t *testing.T) {
	t.Parallel()
	var none allot.Problems
	if err := none.Err("invalid"); err != nil {
		t.Errorf("nil Problems: Err = %#v, want nil", err)
	}
	if err := (allot.Problems{}).Err("invalid"); err != nil {
		t.Errorf("empty Problems: Err = %#v, want nil", err)
	}

	ps := allot.Problems{{Path: "a", Message: "x"}, {Path: "b[1]", Message: "y"}}
	err := ps.Err("item is invalid")
	var e *allot.Error
	if !errors.As(err, &e) {
		t.Fatalf("Err returned %T, want *allot.Error", err)
	}
	if e.Code != allot.EINVALID || e.Message != "item is invalid" || !reflect.DeepEqual(e.Problems, ps) {
		t.Errorf("Err = %+v, want code %q, message %q, problems %v", e, allot.EINVALID, "item is invalid", ps)
	}
	if want := "item is invalid: a: x; b[1]: y"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	if want := "a: x; b[1]: y"; ps.Error() != want {
		t.Errorf("Problems.Error() = %q, want %q", ps.Error(), want)
	}
	if want := "b[1]: y"; ps[1].String() != want {
		t.Errorf("Problem.String() = %q, want %q", ps[1].String(), want)
	}
}

func TestProblemsAdd(t *testing.T) {
	t.Parallel()
	var ps allot.Problems
	ps.Add("x", "one")
	ps.Add("", "two")
	want := allot.Problems{{Path: "x", Message: "one"}, {Path: "", Message: "two"}}
	if !reflect.DeepEqual(ps, want) {
		t.Errorf("got %v, want %v", ps, want)
	}
}

func TestProblemsAddAll(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		prefix string
		path   string
		want   string
	}{
		{name: "field", prefix: "regions[0]", path: "queues[1].policy", want: "regions[0].queues[1].policy"},
		{name: "index", prefix: "attributes.tags", path: "[2]", want: "attributes.tags[2]"},
		{name: "index then field", prefix: "rules", path: "[0].queue", want: "rules[0].queue"},
		{name: "empty path is the prefix", prefix: "presence", path: "", want: "presence"},
		{name: "empty prefix keeps the path", prefix: "", path: "time_zone", want: "time_zone"},
		{name: "both empty", prefix: "", path: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ps := allot.Problems{{Path: "first", Message: "kept"}}
			ps.AddAll(tt.prefix, allot.Problems{{Path: tt.path, Message: "msg"}})
			want := allot.Problems{{Path: "first", Message: "kept"}, {Path: tt.want, Message: "msg"}}
			if !reflect.DeepEqual(ps, want) {
				t.Errorf("got %v, want %v", ps, want)
			}
		})
	}
}

func TestProblemsAddAllNests(t *testing.T) {
	t.Parallel()
	var schedule allot.Problems
	schedule.Add("time_zone", "unknown")
	schedule.Add("shifts[0].days", "bad")
	var agent allot.Problems
	agent.Add("weight", "too big")
	agent.AddAll("schedule", schedule)
	var region allot.Problems
	region.AddAll("agents[3]", agent)
	var all allot.Problems
	all.AddAll("regions[1]", region)
	all.AddAll("regions[2]", nil) // nothing to add

	want := allot.Problems{
		{Path: "regions[1].agents[3].weight", Message: "too big"},
		{Path: "regions[1].agents[3].schedule.time_zone", Message: "unknown"},
		{Path: "regions[1].agents[3].schedule.shifts[0].days", Message: "bad"},
	}
	if !reflect.DeepEqual(all, want) {
		t.Errorf("got %v, want %v", all, want)
	}
	if len(schedule) != 2 || schedule[0].Path != "time_zone" {
		t.Errorf("AddAll changed its argument: %v", schedule)
	}
}

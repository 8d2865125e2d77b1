package plugins

import (
	"testing"

	"github.com/allot/allot"
	"github.com/allot/allot/routing"
)

// TestRejectionCodes checks that code maps every reason of the rejections
// table to its own entry, that the table has no duplicate, and that each
// entry's filter is one of the chain's.
func TestRejectionCodes(t *testing.T) {
	t.Parallel()
	names := map[string]bool{}
	for _, f := range filters {
		names[f.Name()] = true
	}
	seen := map[allot.Rejection]bool{}
	for i, r := range rejections {
		if got := code(routing.Reject(r.Reason)); got != i+1 {
			t.Errorf("code(%q) = %d, want %d", r.Reason, got, i+1)
		}
		if !names[r.Filter] {
			t.Errorf("rejections[%d] names filter %q, which is not in the chain", i, r.Filter)
		}
		if seen[r] {
			t.Errorf("rejections[%d] %+v is listed twice", i, r)
		}
		seen[r] = true
	}
	if got := code(routing.Reject(ReasonNoCapacity)); got != codeNoCapacity {
		t.Errorf("codeNoCapacity = %d, code(ReasonNoCapacity) = %d", codeNoCapacity, got)
	}
	if code(routing.Status{}) != 0 {
		t.Error("code of an admitting status is not 0")
	}
	defer func() {
		if recover() == nil {
			t.Error("code of an unknown reason did not panic")
		}
	}()
	code(routing.Reject("some reason nobody registered"))
}

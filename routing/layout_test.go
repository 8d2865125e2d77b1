package routing

import (
	"testing"
	"unsafe"
)

// TestAgentStateLayout pins what the per-member filter loop relies on: the
// fields every filter run reads lie in the state's first cache line, and the
// state's size is a multiple of the line, so that in a line-aligned array
// each state's hot fields take one line.
func TestAgentStateLayout(t *testing.T) {
	const line = 64
	var s AgentState
	if size := unsafe.Sizeof(s); size%line != 0 {
		t.Errorf("AgentState is %d bytes, not a multiple of %d: pad it", size, line)
	}
	hot := []struct {
		name      string
		off, size uintptr
	}{
		{"Routable", unsafe.Offsetof(s.Routable), unsafe.Sizeof(s.Routable)},
		{"OnShift", unsafe.Offsetof(s.OnShift), unsafe.Sizeof(s.OnShift)},
		{"Absent", unsafe.Offsetof(s.Absent), unsafe.Sizeof(s.Absent)},
		{"Manual", unsafe.Offsetof(s.Manual), unsafe.Sizeof(s.Manual)},
		{"Load", unsafe.Offsetof(s.Load), unsafe.Sizeof(s.Load)},
		{"CapTotal", unsafe.Offsetof(s.CapTotal), unsafe.Sizeof(s.CapTotal)},
		{"PerType", unsafe.Offsetof(s.PerType), unsafe.Sizeof(s.PerType)},
		{"Caps", unsafe.Offsetof(s.Caps), unsafe.Sizeof(s.Caps)},
		{"Weight", unsafe.Offsetof(s.Weight), unsafe.Sizeof(s.Weight)},
	}
	for _, f := range hot {
		if f.off+f.size > line {
			t.Errorf("AgentState.%s ends at byte %d, outside the first cache line", f.name, f.off+f.size)
		}
	}
	// Open and the inline type loads share a line (an assignment and a
	// close update Load, Open and one of them).
	if first, end := unsafe.Offsetof(s.Open), unsafe.Offsetof(s.typeLoad)+unsafe.Sizeof(s.typeLoad); first/line != (end-1)/line {
		t.Errorf("AgentState.Open and typeLoad (bytes %d–%d) straddle two cache lines", first, end)
	}
}

// TestTypeLoads: loads of the inline types and of the types past them add
// up apart, a negative type is ignored, and TypeLoads bounds the nonzero ones.
func TestTypeLoads(t *testing.T) {
	var s AgentState
	adds := []struct{ t, units int }{{0, 2}, {3, 1}, {inlineTypes, 4}, {inlineTypes + 2, 5}, {0, -1}, {-1, 7}, {inlineTypes + 2, -2}}
	for _, a := range adds {
		s.AddTypeLoad(a.t, a.units)
	}
	want := map[int]int{0: 1, 3: 1, inlineTypes: 4, inlineTypes + 2: 3}
	for ti := -1; ti < inlineTypes+6; ti++ {
		if got := s.TypeLoadOf(ti); got != want[ti] {
			t.Errorf("TypeLoadOf(%d) = %d, want %d", ti, got, want[ti])
		}
		if ti >= s.TypeLoads() && s.TypeLoadOf(ti) != 0 {
			t.Errorf("type %d has load past TypeLoads() = %d", ti, s.TypeLoads())
		}
	}
}

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
	}
	for _, f := range hot {
		if f.off+f.size > line {
			t.Errorf("AgentState.%s ends at byte %d, outside the first cache line", f.name, f.off+f.size)
		}
	}
}

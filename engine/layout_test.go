package engine

import (
	"testing"
	"unsafe"
)

// TestItemLayout pins what closing an item relies on (see item): the fields
// a close touches lie in bytes 128–255 of the state, and the state is in the
// allocator's 512-byte size class (481 to 512 bytes), so states are 512-byte
// aligned and those bytes are one aligned pair of cache lines.
func TestItemLayout(t *testing.T) {
	var x item
	if size := unsafe.Sizeof(x); size <= 480 || size > 512 {
		t.Errorf("item is %d bytes, want 481 to 512 (the 512-byte size class: aligned states)", size)
	}
	hot := []struct {
		name      string
		off, size uintptr
	}{
		{"it.Status", unsafe.Offsetof(x.it) + unsafe.Offsetof(x.it.Status), unsafe.Sizeof(x.it.Status)},
		{"it.Owner", unsafe.Offsetof(x.it) + unsafe.Offsetof(x.it.Owner), unsafe.Sizeof(x.it.Owner)},
		{"owner", unsafe.Offsetof(x.owner), unsafe.Sizeof(x.owner)},
		{"units", unsafe.Offsetof(x.units), unsafe.Sizeof(x.units)},
		{"typeIdx", unsafe.Offsetof(x.typeIdx), unsafe.Sizeof(x.typeIdx)},
		{"slot", unsafe.Offsetof(x.slot), unsafe.Sizeof(x.slot)},
		{"waiting", unsafe.Offsetof(x.waiting), unsafe.Sizeof(x.waiting)},
	}
	for _, f := range hot {
		if f.off < 128 || f.off+f.size > 256 {
			t.Errorf("item.%s lies in bytes %d–%d, outside 128–255", f.name, f.off, f.off+f.size)
		}
	}
}

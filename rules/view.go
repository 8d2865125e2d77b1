package rules

import (
	"reflect"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"cel.dev/cel-go/interpreter"

	"github.com/allot/allot"
)

// field returns the value conditions see as item[key]: the item's own fields
// under the reserved names (they win over an attribute of the same name),
// else the attribute. score and tier exist only in the routing stage (stage
// routing): during scoring they are being computed and are absent.
//
// This one function defines what every path sees: the CEL activation below
// and the index lookups, so the two always agree.
func field(it *allot.Item, key string, st *stageState) (any, bool) {
	switch key {
	case "type":
		return it.Type, true
	case "external_id":
		return it.ExternalID, true
	case "priority":
		return it.Priority, true
	case "score":
		return st.score, st.routing
	case "tier":
		return st.tier, st.routing
	}
	v, ok := it.Attributes[key]
	return v, ok
}

// stageState is what the classification stage adds to the item.
type stageState struct {
	routing bool   // score and tier are known
	score   int    // valid when routing
	tier    string // valid when routing
}

// itemView is the value of the variable item, and the activation that binds
// it, for one evaluation pass over one item. It reads the item in place: no
// map is built for the common item.K and item["K"] (the interpreter asks
// FindStringKey). The rarer whole-map operations (size(item), iteration,
// equality, conversion) go to a map materialised on first use.
//
// An itemView is used by one goroutine at a time and must not outlive the
// call that made it; it never changes the item.
type itemView struct {
	it      *allot.Item
	st      stageState
	adapter types.Adapter
	mat     traits.Mapper // nil until needed; reset when st changes
}

var (
	_ interpreter.Activation = (*itemView)(nil)
	_ traits.Mapper          = (*itemView)(nil)
)

// setStage changes what score and tier the view shows.
func (v *itemView) setStage(st stageState) {
	v.st = st
	v.mat = nil
}

// ResolveName implements interpreter.Activation.
func (v *itemView) ResolveName(name string) (any, bool) {
	if name == itemVar {
		return v, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (v *itemView) Parent() interpreter.Activation { return nil }

// FindStringKey is the interpreter's fast path for item.K and item["K"]; it
// returns the native value, which the interpreter adapts.
func (v *itemView) FindStringKey(key string) (any, bool) {
	return field(v.it, key, &v.st)
}

// materialise returns the item as a CEL map with exactly the keys field
// reports.
func (v *itemView) materialise() traits.Mapper {
	if v.mat != nil {
		return v.mat
	}
	m := make(map[string]any, len(v.it.Attributes)+len(allot.ReservedAttributes))
	for k, x := range v.it.Attributes {
		m[k] = x
	}
	for _, k := range allot.ReservedAttributes {
		if x, ok := field(v.it, k, &v.st); ok {
			m[k] = x
		} else {
			delete(m, k)
		}
	}
	v.mat = types.NewStringInterfaceMap(v.adapter, m)
	return v.mat
}

// ConvertToNative implements ref.Val.
func (v *itemView) ConvertToNative(t reflect.Type) (any, error) {
	return v.materialise().ConvertToNative(t)
}

// ConvertToType implements ref.Val.
func (v *itemView) ConvertToType(t ref.Type) ref.Val { return v.materialise().ConvertToType(t) }

// Equal implements ref.Val.
func (v *itemView) Equal(other ref.Val) ref.Val { return v.materialise().Equal(other) }

// Type implements ref.Val.
func (v *itemView) Type() ref.Type { return types.MapType }

// Value implements ref.Val.
func (v *itemView) Value() any { return v.materialise().Value() }

// Contains implements traits.Container.
func (v *itemView) Contains(key ref.Val) ref.Val {
	if s, ok := key.(types.String); ok {
		_, found := field(v.it, string(s), &v.st)
		return types.Bool(found)
	}
	return v.materialise().Contains(key)
}

// Get implements traits.Indexer.
func (v *itemView) Get(key ref.Val) ref.Val {
	if x, found := v.Find(key); found {
		return x
	}
	return v.materialise().Get(key) // CEL's own error for a missing or bad key
}

// Find implements traits.Mapper.
func (v *itemView) Find(key ref.Val) (ref.Val, bool) {
	if s, ok := key.(types.String); ok {
		x, found := field(v.it, string(s), &v.st)
		if !found {
			return nil, false
		}
		return v.adapter.NativeToValue(x), true
	}
	return v.materialise().Find(key)
}

// Iterator implements traits.Iterable.
func (v *itemView) Iterator() traits.Iterator { return v.materialise().Iterator() }

// Size implements traits.Sizer.
func (v *itemView) Size() ref.Val { return v.materialise().Size() }

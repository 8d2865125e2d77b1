package node

import (
	"maps"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/allot/allot"
)

// cloneConfig deep-copies a config. Configs are plain values (structs,
// slices, maps and pointers of strings, numbers, booleans and times), so a
// copy shares nothing with c that either side could change. It copies by
// reflection, each struct at once and then its fields that hold references,
// with the common slices and maps copied directly: several times cheaper
// than the JSON round trip it replaces, which a whole-config replacement
// paid three times (read, edit, answer). The error is always nil.
func cloneConfig(c allot.Config) (allot.Config, error) {
	var out allot.Config
	deepCopy(reflect.ValueOf(&out).Elem(), reflect.ValueOf(c))
	return out, nil
}

var timeType = reflect.TypeFor[time.Time]()

// deepCopy sets dst (settable, of src's type) to a deep copy of src.
// Unexported fields are copied as they are (config types have none); a
// time.Time is copied as a value (its location is immutable).
func deepCopy(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Struct:
		dst.Set(src)
		for _, i := range refFields(src.Type()) {
			deepCopy(dst.Field(i), src.Field(i))
		}
	case reflect.Slice:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		if ss, ok := src.Interface().([]string); ok {
			dst.Set(reflect.ValueOf(slices.Clone(ss)))
			return
		}
		n := src.Len()
		s := reflect.MakeSlice(src.Type(), n, n)
		reflect.Copy(s, src)
		if !plain(src.Type().Elem()) {
			for i := range n {
				deepCopy(s.Index(i), src.Index(i))
			}
		}
		dst.Set(s)
	case reflect.Array:
		dst.Set(src)
		if !plain(src.Type().Elem()) {
			for i := range src.Len() {
				deepCopy(dst.Index(i), src.Index(i))
			}
		}
	case reflect.Map:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		switch m := src.Interface().(type) {
		case map[string]int:
			dst.Set(reflect.ValueOf(maps.Clone(m)))
			return
		case map[string][]string:
			c := make(map[string][]string, len(m))
			for k, v := range m {
				if v != nil {
					v = slices.Clone(v)
				}
				c[k] = v
			}
			dst.Set(reflect.ValueOf(c))
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		kt, et := src.Type().Key(), src.Type().Elem()
		for it := src.MapRange(); it.Next(); {
			k, v := it.Key(), it.Value()
			if !plain(kt) {
				ck := reflect.New(kt).Elem()
				deepCopy(ck, k)
				k = ck
			}
			if !plain(et) {
				cv := reflect.New(et).Elem()
				deepCopy(cv, v)
				v = cv
			}
			m.SetMapIndex(k, v)
		}
		dst.Set(m)
	case reflect.Pointer:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		p := reflect.New(src.Type().Elem())
		deepCopy(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Interface:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		v := reflect.New(src.Elem().Type()).Elem()
		deepCopy(v, src.Elem())
		dst.Set(v)
	default: // bool, numbers, strings; chans and funcs are not config values
		dst.Set(src)
	}
}

type typeInfo struct {
	plain     bool  // values hold no references: they copy by assignment
	refFields []int // a struct's exported fields that are not plain
}

var typeInfos sync.Map // reflect.Type → *typeInfo

func info(t reflect.Type) *typeInfo {
	if v, ok := typeInfos.Load(t); ok {
		return v.(*typeInfo)
	}
	ti := &typeInfo{}
	switch t.Kind() {
	case reflect.Struct:
		ti.plain = true
		if t != timeType {
			for i := range t.NumField() {
				f := t.Field(i)
				if !plain(f.Type) {
					ti.plain = false
					if f.IsExported() {
						ti.refFields = append(ti.refFields, i)
					}
				}
			}
		}
	case reflect.Array:
		ti.plain = plain(t.Elem())
	case reflect.Slice, reflect.Map, reflect.Pointer, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
	default:
		ti.plain = true
	}
	typeInfos.Store(t, ti)
	return ti
}

func plain(t reflect.Type) bool { return info(t).plain }

func refFields(t reflect.Type) []int { return info(t).refFields }

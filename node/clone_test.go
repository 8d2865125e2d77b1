package node

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/configfile"
	"github.com/allot/allot/internal/gen"
)

// cloneTestConfigs: the example, a generated config and one with every
// kind of field set (schedules, absences, caps, priorities, empty and nil
// slices and maps).
func cloneTestConfigs(t *testing.T) []allot.Config {
	t.Helper()
	ex, err := configfile.Load("../examples/config/language-school.yaml")
	if err != nil {
		t.Fatal(err)
	}
	small := gen.Large
	small.Rules, small.Agents, small.Queues = 200, 300, 20
	prio := 3
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	full := allot.Config{Presence: []allot.PresenceStatus{{Name: "available", Routable: true}}, Regions: []allot.Region{{
		ID: "r", Tiers: []allot.Tier{}, Holidays: []allot.Holiday{{Date: "2025-12-25"}},
		Queues: []allot.Queue{{ID: "q", Members: []string{}}, {ID: "q2"}},
		Rules:  []allot.Rule{{Name: "a", Queue: "q", Priority: &prio, Skills: []allot.SkillReq{{Skill: "x", MinLevel: 2}}, Match: []allot.AttrMatch{{Item: "l", Agent: "l"}}}},
		Agents: []allot.Agent{{ID: "a", Skills: map[string]int{"x": 2}, Attributes: map[string][]string{"l": {"fr"}, "e": {}},
			Capacity: allot.Capacity{Total: 3, PerType: map[string]int{"lead": 2}}, Caps: []allot.Cap{{PerDay: 4}},
			Schedule: &allot.Schedule{TimeZone: "Europe/Paris", Shifts: []allot.Shift{{}}},
			Absences: []allot.Absence{{Start: at, End: at.Add(time.Hour)}}}, {ID: "b", Skills: map[string]int{}}},
	}}}
	return []allot.Config{ex, gen.Config(small).WithDefaults(), full}
}

// TestCloneConfig: the clone equals the original (also as JSON) and shares
// no slice array, map or pointer with it.
func TestCloneConfig(t *testing.T) {
	for i, c := range cloneTestConfigs(t) {
		got, err := cloneConfig(c)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("config %d: the clone differs", i)
		}
		a, _ := json.Marshal(c)
		b, _ := json.Marshal(got)
		if string(a) != string(b) {
			t.Fatalf("config %d: the clone's JSON differs", i)
		}
		if n := shared(reflect.ValueOf(c), reflect.ValueOf(got), "cfg"); n != "" {
			t.Fatalf("config %d: %s is shared", i, n)
		}
	}
}

// shared returns the path of a reference a and b have in common, "" if none.
func shared(a, b reflect.Value, path string) string {
	switch a.Kind() {
	case reflect.Struct:
		for i := range a.NumField() {
			if !a.Type().Field(i).IsExported() {
				continue
			}
			if p := shared(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); p != "" {
				return p
			}
		}
	case reflect.Slice:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			return path
		}
		for i := range a.Len() {
			if p := shared(a.Index(i), b.Index(i), path+"[]"); p != "" {
				return p
			}
		}
	case reflect.Map:
		if !a.IsNil() && a.Pointer() == b.Pointer() {
			return path
		}
		for it := a.MapRange(); it.Next(); {
			if p := shared(it.Value(), b.MapIndex(it.Key()), path+"[k]"); p != "" {
				return p
			}
		}
	case reflect.Pointer:
		if !a.IsNil() && a.Pointer() == b.Pointer() {
			return path
		}
		if !a.IsNil() {
			return shared(a.Elem(), b.Elem(), path)
		}
	}
	return ""
}

// BenchmarkCloneConfigLarge: a deep copy of the large config, as a read of
// a region's config and a whole-config replacement pay.
func BenchmarkCloneConfigLarge(b *testing.B) {
	cfg := gen.Config(gen.Large).WithDefaults()
	for b.Loop() {
		if _, err := cloneConfig(cfg); err != nil {
			b.Fatal(err)
		}
	}
}

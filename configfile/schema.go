package configfile

import (
	"encoding/json"
	"reflect"
	"sort"
	"time"

	"github.com/allot/allot"
)

// SchemaID is the $id of the generated schema.
const SchemaID = "https://allot.dev/schemas/config.schema.json"

// Schema returns the JSON Schema (draft 2020-12) of the config file format,
// generated from the Go types by reflection: one $defs entry per struct,
// additionalProperties false everywhere (as the strict decoder), enums for
// the enumerated strings. Editors can validate config files with it
// (# yaml-language-server: $schema=allot.schema.json). The output is
// deterministic.
func Schema() []byte {
	g := &schemaGen{defs: map[string]any{}}
	root := g.object(reflect.TypeFor[File]())
	out := map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         SchemaID,
		"title":       "allot config",
		"description": "A whole allot config: presence statuses, regions (queues, agents, routing and scoring rules, tiers, ...) and rule tests. See docs/config.md.",
		"$defs":       g.defs,
	}
	for k, v := range root {
		out[k] = v
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		panic("configfile: schema: " + err.Error())
	}
	return append(b, '\n')
}

type schemaGen struct{ defs map[string]any }

// enums are the string types whose values are a closed set.
var enums = map[reflect.Type][]string{
	reflect.TypeFor[allot.Policy]():        policies(),
	reflect.TypeFor[allot.MatchOp]():       {string(allot.MatchIn), string(allot.MatchTerritory)},
	reflect.TypeFor[allot.AbsencePolicy](): {string(allot.AbsenceKeep), string(allot.AbsenceReassignUntouched), string(allot.AbsenceReassignAll)},
}

// fieldEnums are plain string fields with a closed set of values.
var fieldEnums = map[string][]string{"Queue.order": {"priority", "fifo"}}

// required lists the fields a file must give (Validate reports them
// missing); the rest have defaults or may be empty.
var required = map[string][]string{
	"Config":         {"regions"},
	"File":           {"regions"},
	"Region":         {"id"},
	"Queue":          {"id"},
	"Agent":          {"id"},
	"Rule":           {"name", "queue"},
	"ScoringRule":    {"name", "when", "points"},
	"PresenceStatus": {"name"},
	"ItemType":       {"name", "units"},
	"Tier":           {"name", "min_score"},
	"SkillReq":       {"skill"},
	"AttrMatch":      {"item", "agent"},
	"Shift":          {"days", "start", "end"},
	"Absence":        {"start", "end"},
	"Test":           {"item", "expect"},
	"TestItem":       {"type"},
}

func policies() []string {
	out := make([]string, len(allot.Policies))
	for i, p := range allot.Policies {
		out[i] = string(p)
	}
	return out
}

func (g *schemaGen) typ(t reflect.Type) map[string]any {
	if t == reflect.TypeFor[time.Time]() {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	if t == reflect.TypeFor[time.Duration]() {
		return map[string]any{"type": "string", "description": "a Go duration such as 90s or 2h"}
	}
	if e, ok := enums[t]; ok {
		return map[string]any{"type": "string", "enum": e}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.typ(t.Elem())
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.typ(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.typ(t.Elem())}
	case reflect.Interface:
		return map[string]any{"description": "a string, number, boolean or list of strings"}
	case reflect.Struct:
		name := t.Name()
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = nil // break cycles
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/$defs/" + name}
	}
	return map[string]any{}
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	for _, f := range yamlFields(t) {
		s := g.typ(f.typ)
		if e, ok := fieldEnums[t.Name()+"."+f.name]; ok {
			s = map[string]any{"type": "string", "enum": e}
		}
		props[f.name] = s
	}
	obj := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if r := required[t.Name()]; len(r) > 0 {
		r = append([]string(nil), r...)
		sort.Strings(r)
		obj["required"] = r
	}
	return obj
}

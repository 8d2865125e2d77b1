package configfile

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"

	yaml "go.yaml.in/yaml/v4"

	"github.com/allot/allot"
)

// mark is a 1-based position in a file (0: unknown).
type mark struct{ line, col int }

// positions locates field paths in a file's node tree, and back. Both are
// worked out on demand: most files have no problem to locate, and a map of
// every node of a large file costs as much as decoding it.
type positions struct {
	root *yaml.Node // nil: nothing to locate (or not parsed yet: see src)

	// src is the file when it was decoded without a node tree (fastDecode):
	// the tree is parsed from it on first use, i.e. only to locate problems.
	src      []byte
	treeOnce sync.Once

	once   sync.Once
	byMark map[mark]string // key or value position → path; built on first use
}

func newPositions(root *yaml.Node) *positions { return &positions{root: root} }

// lazyPositions locates paths in src, parsing it only when asked to.
func lazyPositions(src []byte) *positions { return &positions{src: src} }

// tree returns the node tree, parsing src on first use.
func (p *positions) tree() *yaml.Node {
	p.treeOnce.Do(func() {
		if p.root == nil && p.src != nil {
			var doc yaml.Node
			if yaml.Load(p.src, &doc) == nil {
				p.root = &doc
			}
			p.src = nil
		}
	})
	return p.root
}

// find returns the position of path's value, or of its closest enclosing
// path that the file has ("" is the document).
func (p *positions) find(path string) mark {
	if p == nil || p.tree() == nil {
		return mark{}
	}
	n := p.root
	best := mark{n.Line, n.Column}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return best
		}
		n = n.Content[0]
	}
	rest, top := path, true
	for ; rest != ""; top = false {
		switch {
		case rest[0] == '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 || n.Kind != yaml.SequenceNode {
				return best
			}
			digits := rest[1:end]
			i, err := strconv.Atoi(digits)
			if err != nil || strings.TrimLeft(digits, "0123456789") != "" || i >= len(n.Content) {
				return best
			}
			n, rest = n.Content[i], rest[end+1:]
		case n.Kind == yaml.MappingNode:
			if !top { // after a segment, a key follows a dot
				if rest[0] != '.' || len(rest) == 1 {
					return best
				}
				rest = rest[1:]
			}
			// The longest key that the path continues (keys may hold dots).
			var v *yaml.Node
			kl := -1
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if len(k) > kl && strings.HasPrefix(rest, k) && (len(rest) == len(k) || rest[len(k)] == '.' || rest[len(k)] == '[') {
					v, kl = n.Content[i+1], len(k)
				}
			}
			if v == nil {
				return best
			}
			n, rest = v, rest[kl:]
		default: // a scalar or an alias (not followed): the path goes no further
			return best
		}
		best = mark{n.Line, n.Column}
	}
	return best
}

// pathAt returns the path of the key or value at m, "" if none.
func (p *positions) pathAt(m mark) string {
	if p == nil || p.tree() == nil {
		return ""
	}
	p.once.Do(func() {
		p.byMark = map[mark]string{}
		p.walk(p.root, "")
	})
	return p.byMark[m]
}

func (p *positions) walk(n *yaml.Node, path string) {
	m := mark{n.Line, n.Column}
	if _, ok := p.byMark[m]; !ok {
		p.byMark[m] = path
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			p.walk(c, path)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p.walk(c, path+"["+strconv.Itoa(i)+"]")
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			cp := k.Value
			if path != "" {
				cp = path + "." + k.Value
			}
			p.byMark[mark{k.Line, k.Column}] = cp
			p.walk(v, cp)
		}
	}
	// Aliases are not followed: their target has its own positions.
}

// DecodeYAML decodes one YAML document from r into v strictly: unknown keys,
// duplicate keys and type mismatches are errors. A failure is an *Error
// listing every problem with its file:line:column and field path.
func DecodeYAML(r io.Reader, name string, v any) error {
	b, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if len(b) > MaxFileBytes {
		return &Error{Problems: []Problem{{File: name, Message: fmt.Sprintf("file larger than %d MiB", MaxFileBytes>>20)}}}
	}
	_, err = decodeStrict(b, name, v)
	return err
}

func decodeStrict(b []byte, name string, v any) (*positions, error) {
	if f, ok := v.(*File); ok {
		// Most files are in the fast decoder's subset; it gives up on
		// everything else, problems included, and the library decodes them.
		var nf File
		if fastDecode(b, &nf) == nil {
			dst, src := reflect.ValueOf(f).Elem(), reflect.ValueOf(&nf).Elem()
			for _, fl := range structFields(dst.Type()) {
				dst.FieldByIndex(fl.index).Set(src.FieldByIndex(fl.index))
			}
			return lazyPositions(b), nil
		}
	}
	return decodeSlow(b, name, v)
}

// decodeSlow is decodeStrict by the YAML library alone.
func decodeSlow(b []byte, name string, v any) (*positions, error) {
	var doc yaml.Node
	err := yaml.Load(b, &doc)
	if err != nil && !strings.Contains(err.Error(), "no documents in stream") {
		// A syntax error: no tree to take paths from.
		return nil, &Error{Problems: loadProblems(err, name, nil)}
	}
	pos := newPositions(&doc)
	if err != nil || doc.Kind == 0 || (doc.Kind == yaml.DocumentNode && len(doc.Content) == 0) {
		return pos, &Error{Problems: []Problem{{File: name, Line: 1, Column: 1, Message: "empty document: want a mapping such as {regions: [...]}"}}}
	}
	if err := doc.Load(v, yaml.WithKnownFields()); err != nil {
		return pos, &Error{Problems: loadProblems(err, name, pos)}
	}
	if zs := explicitZeros(&doc, name, pos); len(zs) > 0 {
		return pos, &Error{Problems: zs}
	}
	return pos, nil
}

// mustBePositive are the time and count settings where 0 is not a value but
// the absence of one: omitting the key means "none", and an explicit 0 is
// refused so that a typo never silently turns an SLA or a timeout off.
var mustBePositive = map[string]bool{
	"sla_minutes": true, "overflow_after_minutes": true, "offer_timeout_seconds": true,
	"aging_minutes": true, "aging_max": true, "max_reassignments": true, "drop_after_minutes": true,
	"heartbeat_seconds": true, "away_after_missed_offers": true,
}

// explicitZeros reports every mustBePositive key set to 0.
func explicitZeros(n *yaml.Node, name string, pos *positions) []Problem {
	var out []Problem
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if mustBePositive[k.Value] && v.Kind == yaml.ScalarNode && strings.TrimLeft(v.Value, "+-0") == "" && v.Value != "" {
					out = append(out, Problem{File: name, Line: k.Line, Column: k.Column, Path: pos.pathAt(mark{k.Line, k.Column}),
						Message: fmt.Sprintf("0 is not a valid %s: it must be positive; omit the key for none", k.Value)})
				}
				walk(v)
			}
		}
	}
	walk(n)
	return out
}

// loadProblems turns the YAML library's errors into located problems with
// field paths and messages that say what is wanted.
func loadProblems(err error, name string, pos *positions) []Problem {
	var les *yaml.LoadErrors
	var list []*yaml.LoadError
	var le *yaml.LoadError
	switch {
	case errors.As(err, &les):
		list = les.Errors
	case errors.As(err, &le):
		list = []*yaml.LoadError{le}
	default:
		return []Problem{{File: name, Message: strings.TrimPrefix(err.Error(), "yaml: ")}}
	}
	out := make([]Problem, 0, len(list))
	for _, e := range list {
		p := Problem{File: name, Line: e.Mark.Line, Column: e.Mark.Column, Message: e.Message}
		p.Path = pos.pathAt(mark{p.Line, p.Column})
		p.Message = friendlier(p.Message)
		out = append(out, p)
	}
	sortProblems(out)
	return out
}

var (
	reUnknown = regexp.MustCompile(`^field (.*) not found in type (.+)$`)
	reType    = regexp.MustCompile("^cannot (?:construct|unmarshal) !!(\\w+) `(.*)` into (.+)$")
)

func friendlier(msg string) string {
	if m := reUnknown.FindStringSubmatch(msg); m != nil {
		if fs := knownFields(m[2]); len(fs) > 0 {
			return fmt.Sprintf("unknown field %q; want one of %s", m[1], strings.Join(fs, ", "))
		}
		return fmt.Sprintf("unknown field %q", m[1])
	}
	if m := reType.FindStringSubmatch(msg); m != nil {
		what := m[1]
		switch what {
		case "str":
			what = "a string"
		case "int":
			what = "an integer"
		case "float":
			what = "a number"
		case "bool":
			what = "a boolean"
		case "seq":
			what = "a list"
		case "map":
			what = "a mapping"
		case "null":
			what = "null"
		}
		return fmt.Sprintf("want %s, got %s %q", goTypeWords(m[3]), what, m[2])
	}
	return msg
}

func goTypeWords(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a mapping"
	case t == "int" || t == "int64" || t == "uint64":
		return "an integer"
	case t == "float64":
		return "a number"
	case t == "bool":
		return "true or false"
	case t == "string":
		return "a string"
	case t == "time.Time":
		return "an RFC 3339 time such as 2025-12-24T00:00:00Z"
	case t == "time.Duration":
		return "a duration such as 90s or 2h"
	case strings.HasPrefix(t, "allot.") || strings.Contains(t, "."):
		if fs := knownFields(t); fs != nil {
			return "a mapping"
		}
		return "a string"
	}
	return t
}

var fieldsOnce = sync.OnceValue(func() map[string][]string {
	m := map[string][]string{}
	var visit func(t reflect.Type)
	visit = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t.PkgPath() == "time" {
			return
		}
		if _, ok := m[t.String()]; ok {
			return
		}
		m[t.String()] = nil
		var names []string
		for _, f := range yamlFields(t) {
			names = append(names, f.name)
			visit(f.typ)
		}
		m[t.String()] = names
	}
	visit(reflect.TypeFor[File]())
	visit(reflect.TypeFor[allot.Config]())
	return m
})

// knownFields lists the YAML keys of the struct type named t ("allot.Region").
func knownFields(t string) []string { return fieldsOnce()[t] }

type field struct {
	name      string
	typ       reflect.Type
	omitempty bool
}

// yamlFields lists a struct's YAML fields in order, inlined ones expanded.
func yamlFields(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("yaml")
		if tag == "-" || (!sf.IsExported() && !sf.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",inline,") {
			out = append(out, yamlFields(sf.Type)...)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name)
		}
		out = append(out, field{name: name, typ: sf.Type, omitempty: strings.Contains(","+opts+",", ",omitempty,")})
	}
	return out
}

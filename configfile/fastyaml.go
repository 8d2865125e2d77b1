package configfile

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// The fast decoder reads the plain block-style YAML that Encode writes and
// most hand-written configs use (block mappings and sequences, plain and
// simply quoted scalars, full-line comments) straight into the structs:
// no event stream, no node tree, no copy of the scalars (they are
// substrings of the file). For a large config that is most of the time of
// validate and apply.
//
// It is only a shortcut: whatever it is not sure of, it gives up on
// (errSlow) and the YAML library decodes the file as before, with its
// positions and messages. That is any syntax it does not know (flow
// collections other than [] and {}, anchors, tags, block scalars,
// multi-line scalars, escapes, trailing comments, tabs, documents markers,
// non-printable characters), any scalar whose meaning depends on YAML's
// resolution rules beyond the obvious (a plain string must start with a
// letter and not be a word such as true, null or yes; an integer is plain
// decimal; a boolean is true or false), any problem at all (unknown or
// duplicate keys, a type that does not fit, an explicit 0 that must be
// positive) and any Go type other than structs, strings, ints, bools,
// pointers, slices and string-keyed maps of those (no time.Time, no
// interfaces, nothing with its own unmarshaling). FuzzFastYAML checks that
// whenever it decodes a file the library decodes it to the same value.

// errSlow: the fast decoder does not take this input.
var errSlow = errors.New("configfile: not in the fast YAML subset")

type fastLine struct {
	indent int    // spaces before the text
	text   string // without the indentation and trailing spaces
}

type fastDecoder struct {
	lines []fastLine
	i     int
}

// fastDecode decodes src into v (a pointer) or returns errSlow.
func fastDecode(src []byte, v any) error {
	if !fastChars(src) {
		return errSlow
	}
	s := string(src) // one copy; every scalar is a substring of it
	d := &fastDecoder{lines: make([]fastLine, 0, strings.Count(s, "\n")+1)}
	for len(s) > 0 {
		l := s
		if j := strings.IndexByte(s, '\n'); j >= 0 {
			l, s = s[:j], s[j+1:]
		} else {
			s = ""
		}
		l = strings.TrimRight(l, " ")
		t := strings.TrimLeft(l, " ")
		if t == "" || t[0] == '#' {
			continue
		}
		d.lines = append(d.lines, fastLine{indent: len(l) - len(t), text: t})
	}
	if len(d.lines) == 0 || d.lines[0].indent != 0 {
		return errSlow
	}
	if t := d.lines[0].text; strings.HasPrefix(t, "---") || strings.HasPrefix(t, "...") || t[0] == '%' {
		return errSlow
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errSlow
	}
	if err := d.block(0, rv.Elem()); err != nil {
		return err
	}
	if d.i != len(d.lines) {
		return errSlow
	}
	return nil
}

// fastChars: the file is UTF-8 of YAML's printable characters, with \n
// line breaks, no tab, no byte order mark and none of the characters that
// YAML 1.1 readers take as line breaks.
func fastChars(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError || r < 0xA0 || r == 0x2028 || r == 0x2029 || r == 0xFEFF || (r >= 0xD800 && r < 0xE000) || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += n
	}
	return true
}

// block decodes the block node at the current line, whose indentation is
// indent, into v.
func (d *fastDecoder) block(indent int, v reflect.Value) error {
	l := d.lines[d.i]
	if l.indent != indent {
		return errSlow
	}
	if v.Kind() == reflect.Pointer {
		if unmarshalerType(v.Type()) {
			return errSlow
		}
		p := reflect.New(v.Type().Elem())
		if err := d.block(indent, p.Elem()); err != nil {
			return err
		}
		v.Set(p)
		return nil
	}
	if isSeqEntry(l.text) {
		return d.sequence(indent, v)
	}
	if _, _, ok := splitKey(l.text); ok {
		return d.mapping(indent, v)
	}
	return errSlow // a scalar alone on its line: multi-line or a document scalar
}

func isSeqEntry(t string) bool { return t == "-" || strings.HasPrefix(t, "- ") }

// splitKey splits "key: rest" or "key:" into a plain key the fast decoder
// takes and its (trimmed) rest.
func splitKey(t string) (key, rest string, ok bool) {
	j := strings.IndexByte(t, ':')
	if j <= 0 || (j+1 < len(t) && t[j+1] != ' ') {
		return "", "", false
	}
	key = t[:j]
	if !plainWord(key) {
		return "", "", false
	}
	return key, strings.TrimLeft(t[j+1:], " "), true
}

// plainWord: a plain scalar that is a string for every YAML resolver and
// needs no quoting as a key: a letter or _ first, then letters, digits,
// _ . - /, and not a word YAML 1.1 or 1.2 reads as a boolean or null.
func plainWord(s string) bool {
	if s == "" || !(isLetter(s[0]) || s[0] == '_') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(isLetter(c) || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' || c == '/') {
			return false
		}
	}
	return !specialWord(s)
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func specialWord(s string) bool {
	if len(s) > 5 {
		return false
	}
	switch strings.ToLower(s) {
	case "true", "false", "null", "y", "n", "yes", "no", "on", "off":
		return true
	}
	return false
}

// unmarshalerType: the library would call a method of the type itself.
func unmarshalerType(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	for _, m := range []string{"UnmarshalYAML", "UnmarshalText"} {
		if _, ok := t.MethodByName(m); ok {
			return true
		}
		if _, ok := pt.MethodByName(m); ok {
			return true
		}
	}
	return false
}

type fastField struct {
	name  string
	index []int
	typ   reflect.Type
}

var fastFields sync.Map // reflect.Type → []fastField, nil if the struct is not taken

func structFields(t reflect.Type) []fastField {
	if fs, ok := fastFields.Load(t); ok {
		return fs.([]fastField)
	}
	var fs []fastField
	var add func(t reflect.Type, index []int) bool
	add = func(t reflect.Type, index []int) bool {
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("yaml")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(append([]int(nil), index...), i)
			if strings.Contains(","+opts+",", ",inline,") {
				if sf.Type.Kind() != reflect.Struct || !add(sf.Type, idx) {
					return false
				}
				continue
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = strings.ToLower(sf.Name)
			}
			if opts != "" && opts != "omitempty" {
				return false // flow, ... : not for decoding, but not known here either
			}
			fs = append(fs, fastField{name: name, index: idx, typ: sf.Type})
		}
		return true
	}
	if !add(t, nil) {
		fs = nil
	}
	fastFields.Store(t, fs)
	return fs
}

// mapping decodes the block mapping at the current line into v.
func (d *fastDecoder) mapping(indent int, v reflect.Value) error {
	if unmarshalerType(v.Type()) {
		return errSlow
	}
	var fields []fastField
	var seen []bool
	switch v.Kind() {
	case reflect.Struct:
		if fields = structFields(v.Type()); fields == nil {
			return errSlow
		}
		seen = make([]bool, len(fields))
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String || unmarshalerType(v.Type().Key()) {
			return errSlow
		}
		v.Set(reflect.MakeMap(v.Type()))
	default:
		return errSlow
	}
	for d.i < len(d.lines) {
		l := d.lines[d.i]
		if l.indent < indent {
			return nil
		}
		if l.indent > indent {
			return errSlow
		}
		key, rest, ok := splitKey(l.text)
		if !ok {
			return errSlow
		}
		if mustBePositive[key] && rest != "" {
			if txt, _, ok := scalarText(rest); !ok || strings.TrimLeft(txt, "+-0") == "" {
				return errSlow // an explicit 0: the library's path reports it
			}
		}
		var target, mapKey reflect.Value
		if v.Kind() == reflect.Struct {
			fi := -1
			for j := range fields {
				if fields[j].name == key {
					fi = j
					break
				}
			}
			if fi < 0 || seen[fi] {
				return errSlow // unknown or duplicate: the library says which
			}
			seen[fi] = true
			target = v.FieldByIndex(fields[fi].index)
		} else {
			mapKey = reflect.ValueOf(key).Convert(v.Type().Key())
			if v.MapIndex(mapKey).IsValid() {
				return errSlow
			}
			target = reflect.New(v.Type().Elem()).Elem()
		}
		if err := d.entryValue(indent, rest, target); err != nil {
			return err
		}
		if mapKey.IsValid() {
			v.SetMapIndex(mapKey, target)
		}
	}
	return nil
}

// entryValue decodes the value of the mapping entry at the current line
// (indentation indent, rest the text after "key:") into target.
func (d *fastDecoder) entryValue(indent int, rest string, target reflect.Value) error {
	d.i++
	if rest != "" {
		return scalarInto(rest, target)
	}
	// The value is the block on the next lines: more indented, or a
	// sequence at the key's own indentation.
	if d.i >= len(d.lines) {
		return errSlow // null
	}
	n := d.lines[d.i]
	switch {
	case n.indent > indent:
		return d.block(n.indent, target)
	case n.indent == indent && isSeqEntry(n.text):
		return d.sequence(indent, target)
	}
	return errSlow // null
}

// sequence decodes the block sequence at the current line into v.
func (d *fastDecoder) sequence(indent int, v reflect.Value) error {
	if v.Kind() != reflect.Slice || unmarshalerType(v.Type()) || v.Type().Elem().Kind() == reflect.Uint8 {
		return errSlow
	}
	v.Set(reflect.MakeSlice(v.Type(), 0, 4))
	for d.i < len(d.lines) {
		l := d.lines[d.i]
		if l.indent < indent || (l.indent == indent && !isSeqEntry(l.text)) {
			return nil
		}
		if l.indent > indent {
			return errSlow
		}
		n := v.Len()
		if n == v.Cap() {
			v.Grow(n + 1)
		}
		v.SetLen(n + 1)
		e := v.Index(n)
		rest := strings.TrimLeft(l.text[1:], " ")
		if rest == "" {
			d.i++
			if d.i >= len(d.lines) || d.lines[d.i].indent <= indent {
				return errSlow // null entry
			}
			if err := d.block(d.lines[d.i].indent, e); err != nil {
				return err
			}
			continue
		}
		if _, _, isKey := splitKey(rest); isKey || isSeqEntry(rest) {
			// A mapping or sequence starting on the entry's line: the rest
			// of the line is its first line, at the column it starts.
			d.lines[d.i] = fastLine{indent: l.indent + len(l.text) - len(rest), text: rest}
			if err := d.block(d.lines[d.i].indent, e); err != nil {
				return err
			}
			continue
		}
		d.i++
		if err := scalarInto(rest, e); err != nil {
			return err
		}
		if d.i < len(d.lines) && d.lines[d.i].indent > indent {
			return errSlow // a multi-line scalar, or worse
		}
	}
	return nil
}

// scalarInto decodes the scalar (or empty collection) s, the rest of a
// line, into v.
func scalarInto(s string, v reflect.Value) error {
	t := v.Type()
	if unmarshalerType(t) {
		return errSlow
	}
	switch s {
	case "[]":
		if v.Kind() != reflect.Slice || t.Elem().Kind() == reflect.Uint8 {
			return errSlow
		}
		v.Set(reflect.MakeSlice(t, 0, 0))
		return nil
	case "{}":
		switch v.Kind() {
		case reflect.Map:
			if t.Key().Kind() != reflect.String {
				return errSlow
			}
			v.Set(reflect.MakeMap(t))
			return nil
		case reflect.Struct:
			if structFields(t) == nil {
				return errSlow
			}
			return nil
		}
		return errSlow
	}
	if v.Kind() == reflect.Pointer {
		p := reflect.New(t.Elem())
		if err := scalarInto(s, p.Elem()); err != nil {
			return err
		}
		v.Set(p)
		return nil
	}
	str, quoted, ok := scalarText(s)
	if !ok {
		return errSlow
	}
	switch v.Kind() {
	case reflect.String:
		if !quoted && !plainString(str) {
			return errSlow
		}
		v.SetString(str)
	case reflect.Int:
		if quoted || !plainInt(str) {
			return errSlow
		}
		n, err := strconv.ParseInt(str, 10, 64)
		if err != nil {
			return errSlow
		}
		v.SetInt(n)
	case reflect.Bool:
		switch {
		case quoted:
			return errSlow
		case str == "true":
			v.SetBool(true)
		case str == "false":
			v.SetBool(false)
		default:
			return errSlow
		}
	default:
		return errSlow
	}
	return nil
}

// scalarText returns the value of a one-line scalar: plain, single-quoted
// or double-quoted without escapes.
func scalarText(s string) (string, bool, bool) {
	switch s[0] {
	case '\'':
		if len(s) < 2 || s[len(s)-1] != '\'' {
			return "", false, false
		}
		in := s[1 : len(s)-1]
		if !strings.Contains(in, "'") {
			return in, true, true
		}
		if strings.Count(in, "'") != 2*strings.Count(in, "''") {
			return "", false, false
		}
		return strings.ReplaceAll(in, "''", "'"), true, true
	case '"':
		if len(s) < 2 || s[len(s)-1] != '"' {
			return "", false, false
		}
		in := s[1 : len(s)-1]
		if strings.ContainsAny(in, "\"\\") {
			return "", false, false
		}
		return in, true, true
	}
	// Plain: no ": ", " #", and not ending in ":" (those are YAML
	// structure); the first character is checked by the caller's kind.
	if strings.Contains(s, ": ") || strings.Contains(s, " #") || strings.HasSuffix(s, ":") {
		return "", false, false
	}
	return s, false, true
}

// plainString: a plain scalar every YAML resolver reads as this string: it
// starts with a letter or _ and is not a boolean or null word.
func plainString(s string) bool {
	return s != "" && (isLetter(s[0]) || s[0] == '_') && !specialWord(s)
}

// plainInt: a plain decimal integer, no sign but -, no leading zero, no _,
// at most 18 digits.
func plainInt(s string) bool {
	if s == "-0" {
		return false
	}
	s = strings.TrimPrefix(s, "-")
	if s == "" || len(s) > 18 || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

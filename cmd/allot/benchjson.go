package main

import (
	"encoding/json"
	"errors"
	"fmt"
)

// A small JSON reader for the bench's answers. The load generator shares
// the machine with the server, so it should cost little: decoding every
// answer (a decision with a 50-candidate explanation per item) with
// encoding/json cost the client about half of what the server spent. This
// reader walks the answer once, checks its syntax (strings, numbers,
// literals, nesting), and hands out the raw values of the members asked
// for, without building anything.

var errJSON = errors.New("malformed JSON")

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// skipValue returns the index just after the JSON value starting at b[i]
// (after any space).
func skipValue(b []byte, i int) (int, error) {
	i = skipSpace(b, i)
	if i >= len(b) {
		return 0, errJSON
	}
	switch c := b[i]; {
	case c == '"':
		return skipString(b, i)
	case c == '{':
		return eachMember(b, i, nil)
	case c == '[':
		return eachElement(b, i, nil)
	case c == 't':
		return literal(b, i, "true")
	case c == 'f':
		return literal(b, i, "false")
	case c == 'n':
		return literal(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		j := i
		if b[j] == '-' {
			j++
		}
		digits := 0
		for j < len(b) && (b[j] >= '0' && b[j] <= '9' || b[j] == '.' || b[j] == 'e' || b[j] == 'E' || b[j] == '+' || b[j] == '-') {
			if b[j] >= '0' && b[j] <= '9' {
				digits++
			}
			j++
		}
		if digits == 0 {
			return 0, errJSON
		}
		return j, nil
	}
	return 0, errJSON
}

func literal(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, errJSON
	}
	return i + len(lit), nil
}

// skipString returns the index just after the string starting at b[i] ('"').
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1, nil
		case c == '\\':
			j++ // the escaped character (\uXXXX: its hex digits are plain)
		case c < 0x20:
			return 0, errJSON
		}
	}
	return 0, errJSON
}

// eachMember walks the object starting at b[i] ('{', after any space),
// calling fn (when non-nil) with each member's raw key (quotes included)
// and raw value, and returns the index just after the object.
func eachMember(b []byte, i int, fn func(key, val []byte) error) (int, error) {
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != '{' {
		return 0, errJSON
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return 0, errJSON
		}
		k, err := skipString(b, i)
		if err != nil {
			return 0, err
		}
		key := b[i:k]
		i = skipSpace(b, k)
		if i >= len(b) || b[i] != ':' {
			return 0, errJSON
		}
		v := skipSpace(b, i+1)
		end, err := skipValue(b, v)
		if err != nil {
			return 0, err
		}
		if fn != nil {
			if err := fn(key, b[v:end]); err != nil {
				return 0, err
			}
		}
		i = skipSpace(b, end)
		if i >= len(b) {
			return 0, errJSON
		}
		if b[i] == '}' {
			return i + 1, nil
		}
		if b[i] != ',' {
			return 0, errJSON
		}
		i = skipSpace(b, i+1)
	}
}

// eachElement walks the array starting at b[i] like eachMember.
func eachElement(b []byte, i int, fn func(val []byte) error) (int, error) {
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != '[' {
		return 0, errJSON
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		end, err := skipValue(b, i)
		if err != nil {
			return 0, err
		}
		if fn != nil {
			if err := fn(b[skipSpace(b, i):end]); err != nil {
				return 0, err
			}
		}
		i = skipSpace(b, end)
		if i >= len(b) {
			return 0, errJSON
		}
		if b[i] == ']' {
			return i + 1, nil
		}
		if b[i] != ',' {
			return 0, errJSON
		}
		i++
	}
}

// wholeObject walks b, which must be exactly one JSON object (space around
// it allowed), calling fn for its members.
func wholeObject(b []byte, fn func(key, val []byte) error) error {
	end, err := eachMember(b, 0, fn)
	if err != nil {
		return err
	}
	if skipSpace(b, end) != len(b) {
		return errJSON
	}
	return nil
}

// jsonString decodes a raw JSON string value.
func jsonString(raw []byte) (string, error) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", fmt.Errorf("want a string, got %.20s", raw)
	}
	plain := true
	for _, c := range raw[1 : len(raw)-1] {
		if c == '\\' {
			plain = false
			break
		}
	}
	if plain {
		return string(raw[1 : len(raw)-1]), nil
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// jsonInt decodes a raw JSON integer value.
func jsonInt(raw []byte) (int, error) {
	n := 0
	if len(raw) == 0 {
		return 0, fmt.Errorf("want an integer, got nothing")
	}
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("want an integer, got %.20s", raw)
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

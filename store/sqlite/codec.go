package sqlite

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/allot/allot"
	"github.com/allot/allot/store"
)

// timeLayout is fixed-width (nine fraction digits, always UTC "Z"), so the
// text order of stored times is their time order and created_at can be an
// index key.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// timeText renders t in UTC. Years outside 0000–9999 have no fixed-width
// form and are rejected.
func timeText(field string, t time.Time) (string, error) {
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return "", allot.Errorf(allot.EINVALID, "%s: time %s is outside the years 0000–9999", field, t)
	}
	return t.Format(timeLayout), nil
}

// optTimeText renders a time that may be absent: the zero time is NULL.
func optTimeText(field string, t time.Time) (any, error) {
	if t.IsZero() {
		return nil, nil
	}
	return timeText(field, t)
}

// parseTime reads a stored time back; the result is UTC and == to the
// written time after .UTC().
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlite: bad stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

// parseOptTime reads a time that may be NULL (zero time).
func parseOptTime(s *string) (time.Time, error) {
	if s == nil {
		return time.Time{}, nil
	}
	return parseTime(*s)
}

// emptyNil turns an empty byte slice into nil: the store gives back nil for
// an empty payload or body, whether nil or []byte{} was written.
func emptyNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// encodeAttributes renders attributes as a JSON object that keeps the Go
// types of numbers: an int or int64 is written as an integer literal and a
// float64 always with a fraction or an exponent (3.0, not 3), so that
// decodeAttributes can tell them apart. Keys are sorted. An empty map is
// NULL. Values outside the allowed types (see allot.ValidateAttributes) and
// non-finite numbers are EINVALID.
func encodeAttributes(field string, m map[string]any) (any, error) {
	if len(m) == 0 {
		return nil, nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := make([]byte, 0, 32*len(m))
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		var err error
		if b, err = appendAttribute(b, m[k]); err != nil {
			return nil, allot.Errorf(allot.EINVALID, "%s.%s: %v", field, k, err)
		}
	}
	b = append(b, '}')
	return string(b), nil
}

func appendAttribute(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case string:
		return appendJSONString(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%v is not a finite number", v)
		}
		n := len(b)
		b = strconv.AppendFloat(b, v, 'g', -1, 64)
		if !bytes.ContainsAny(b[n:], ".eE") {
			b = append(b, '.', '0')
		}
		return b, nil
	case []string:
		b = append(b, '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		return append(b, ']'), nil
	case []any:
		b = append(b, '[')
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("list element %d is a %T; want a string", i, e)
			}
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		return append(b, ']'), nil
	default:
		return nil, fmt.Errorf("unsupported value of type %T: want a string, number, boolean or list of strings", v)
	}
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// decodeAttributes is the inverse of encodeAttributes: integer literals
// become int64, other numbers float64, lists []string; NULL is a nil map.
func decodeAttributes(raw []byte) (map[string]any, error) {
	if raw == nil {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("sqlite: bad stored attributes: %w", err)
	}
	for k, v := range m {
		switch v := v.(type) {
		case json.Number:
			n, err := numberValue(string(v))
			if err != nil {
				return nil, fmt.Errorf("sqlite: bad stored attribute %s: %w", k, err)
			}
			m[k] = n
		case []any:
			ss := make([]string, len(v))
			for i, e := range v {
				s, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("sqlite: bad stored attribute %s: list element %d is not a string", k, i)
				}
				ss[i] = s
			}
			m[k] = ss
		}
	}
	return m, nil
}

func numberValue(s string) (any, error) {
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
	}
	return strconv.ParseFloat(s, 64)
}

// encodeJSON renders v as JSON text; empty reports whether v is absent (a
// nil pointer or empty slice), stored as NULL.
func encodeJSON(v any, empty bool) (any, error) {
	if empty {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, allot.Errorf(allot.EINVALID, "cannot encode %T as JSON: %v", v, err)
	}
	return string(b), nil
}

// encodeHistory stores the history with its times in UTC; empty is NULL.
func encodeHistory(h []allot.HistoryEntry) (any, error) {
	if len(h) == 0 {
		return nil, nil
	}
	u := make([]allot.HistoryEntry, len(h))
	for i, e := range h {
		e.At = e.At.UTC()
		u[i] = e
	}
	return encodeJSON(u, false)
}

func decodeHistory(raw []byte) ([]allot.HistoryEntry, error) {
	if raw == nil {
		return nil, nil
	}
	var h []allot.HistoryEntry
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, fmt.Errorf("sqlite: bad stored history: %w", err)
	}
	for i := range h {
		h[i].At = h[i].At.UTC()
	}
	return h, nil
}

func decodeExplanation(raw []byte) (*allot.Explanation, error) {
	if raw == nil {
		return nil, nil
	}
	return store.DecodeExplanation(raw)
}

// An items cursor is the sort key of the last row of a page, (created_at,
// id), as base64url("<created_at text>|<id>"). The stored time text holds
// no '|', so the first one separates the two.
func encodeCursor(createdAt, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(createdAt + "|" + id))
}

func decodeCursor(c string) (createdAt, id string, err error) {
	bad := func(why string) error {
		return &allot.Error{Code: allot.EINVALID, Message: "bad cursor",
			Problems: allot.Problems{{Path: "cursor", Message: why + "; pass the cursor of the previous page unchanged, or none for the first page"}}}
	}
	raw, derr := base64.RawURLEncoding.DecodeString(c)
	if derr != nil {
		return "", "", bad("not a cursor returned by this server")
	}
	createdAt, id, ok := strings.Cut(string(raw), "|")
	if !ok {
		return "", "", bad("not a cursor returned by this server")
	}
	if _, err := time.Parse(timeLayout, createdAt); err != nil {
		return "", "", bad("not a cursor returned by this server")
	}
	return createdAt, id, nil
}

// pageLimit applies the documented limits: 0 means 100, more than 1000 is
// 1000, negative is EINVALID.
func pageLimit(n int) (int, error) {
	switch {
	case n < 0:
		return 0, &allot.Error{Code: allot.EINVALID, Message: "bad limit",
			Problems: allot.Problems{{Path: "limit", Message: fmt.Sprintf("%d is negative; want 1–1000, or 0 for the default of 100", n)}}}
	case n == 0:
		return 100, nil
	case n > 1000:
		return 1000, nil
	}
	return n, nil
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (any extended code).
func isBusy(err error) bool {
	var se *msqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// conflictError maps a uniqueness violation to ECONFLICT and returns any
// other error unchanged. Uniqueness is what concurrent or repeated writes
// break: a key that exists already.
func conflictError(err error, what string) error {
	var se *msqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return allot.Errorf(allot.ECONFLICT, "%s already exists", what)
	}
	return err
}

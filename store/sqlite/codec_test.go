package sqlite

import (
	"encoding/base64"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/allot/allot"
)

func TestAttributesRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   map[string]any
		want map[string]any
	}{
		{name: "nil", in: nil, want: nil},
		{name: "empty", in: map[string]any{}, want: nil},
		{name: "string", in: map[string]any{"s": "é\"<>&\x00"}, want: map[string]any{"s": "é\"<>&\x00"}},
		{name: "bool", in: map[string]any{"t": true, "f": false}, want: map[string]any{"t": true, "f": false}},
		{name: "float", in: map[string]any{"a": 1.5, "b": 3.0, "c": math.Copysign(0, -1), "d": 1e21, "e": 5e-324, "f": math.MaxFloat64},
			want: map[string]any{"a": 1.5, "b": 3.0, "c": math.Copysign(0, -1), "d": 1e21, "e": 5e-324, "f": math.MaxFloat64}},
		{name: "int", in: map[string]any{"a": 0, "b": int64(math.MinInt64), "c": int64(math.MaxInt64)},
			want: map[string]any{"a": int64(0), "b": int64(math.MinInt64), "c": int64(math.MaxInt64)}},
		{name: "lists", in: map[string]any{"a": []string{"x", "y"}, "b": []any{"z"}, "c": []string{}, "d": []any{}},
			want: map[string]any{"a": []string{"x", "y"}, "b": []string{"z"}, "c": []string{}, "d": []string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := encodeAttributes("attributes", tt.in)
			if err != nil {
				t.Fatal(err)
			}
			var raw []byte
			if enc != nil {
				raw = []byte(enc.(string))
			}
			got, err := decodeAttributes(raw)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v (from %s), want %#v", got, raw, tt.want)
			}
			if c, ok := got["c"].(float64); ok && tt.name == "float" && !math.Signbit(c) {
				t.Fatal("-0.0 lost its sign")
			}
		})
	}
}

func TestAttributesRejected(t *testing.T) {
	t.Parallel()
	for name, v := range map[string]any{
		"nan":       math.NaN(),
		"inf":       math.Inf(-1),
		"int32":     int32(1),
		"map":       map[string]any{},
		"mixedlist": []any{"a", 1.0},
		"nil":       nil,
	} {
		_, err := encodeAttributes("attributes", map[string]any{"k": v})
		if allot.ErrorCode(err) != allot.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
}

func TestTimeText(t *testing.T) {
	t.Parallel()
	cet := time.FixedZone("CET", 3600)
	for _, in := range []time.Time{
		{},
		time.Date(2026, 11, 23, 10, 0, 0, 1, cet),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Unix(0, 0),
		time.Now(), // with a monotonic reading
	} {
		s, err := timeText("t", in)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) != len(timeLayout) {
			t.Fatalf("%q is not fixed-width", s)
		}
		got, err := parseTime(s)
		if err != nil {
			t.Fatal(err)
		}
		if got != in.UTC() {
			t.Fatalf("%v came back as %#v, want %#v", in, got, in.UTC())
		}
	}
	for _, bad := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if _, err := timeText("t", bad); allot.ErrorCode(err) != allot.EINVALID {
			t.Errorf("%v: %v, want EINVALID", bad, err)
		}
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor("2026-11-23T10:00:00.000000000Z", "item-1"))
	f.Add(encodeCursor("2026-11-23T10:00:00.000000000Z", "a|b"))
	f.Add("")
	f.Add("!!!")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte("2026|x")))
	f.Fuzz(func(t *testing.T, c string) {
		createdAt, id, err := decodeCursor(c)
		if err != nil {
			if allot.ErrorCode(err) != allot.EINVALID {
				t.Fatalf("%q: %v, want EINVALID", c, err)
			}
			return
		}
		if again := encodeCursor(createdAt, id); again != c {
			// Only canonical encodings come back; others must at least
			// decode to the same key.
			c2, id2, err := decodeCursor(again)
			if err != nil || c2 != createdAt || id2 != id {
				t.Fatalf("%q: re-encoding %q decodes to %q %q %v", c, again, c2, id2, err)
			}
		}
	})
}

func FuzzDecodeAttributes(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":1.0,"c":["x"],"d":true,"e":"s"}`))
	f.Add([]byte(`{"a":1e400}`))
	f.Add([]byte(`{"a":99999999999999999999}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := decodeAttributes(raw)
		if err != nil || m == nil {
			return
		}
		// Whatever decodes must encode and decode to the same value.
		enc, err := encodeAttributes("attributes", m)
		if err != nil {
			return // e.g. a nested object: not a valid attribute, never written by the store
		}
		var again map[string]any
		if enc != nil {
			if again, err = decodeAttributes([]byte(enc.(string))); err != nil {
				t.Fatalf("%s: re-decoding %s: %v", raw, enc, err)
			}
		}
		if len(m) > 0 && !reflect.DeepEqual(again, m) {
			t.Fatalf("%s: %#v came back as %#v", raw, m, again)
		}
	})
}

package configfile

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzLoad: any input decodes to a config or to an *Error whose every
// problem names the file and says something; never a panic.
func FuzzLoad(f *testing.F) {
	for _, p := range []string{"../examples/config/language-school.yaml", "testdata/invalid.yaml", "testdata/unknown_keys.yaml", "testdata/lint.yaml", "testdata/syntax.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("regions: [{id: a, queues: [{id: q, members: [x]}], agents: [{id: x, capacity: {total: 1}}]}]"))
	f.Add([]byte("a: &a [*a, *a]\nregions: *a"))
	f.Add([]byte("regions:\n  - id: a\n    rules: [{name: r, when: 'item.x in [1, \"a\"] && size(item.y) > 2', queue: q}]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := DecodeFile(bytes.NewReader(b), "fuzz.yaml")
		if err == nil {
			file.Lint()
			if _, err := Encode(file.Config); err != nil {
				t.Fatalf("a decoded config does not encode: %v", err)
			}
			return
		}
		var ce *Error
		if !errors.As(err, &ce) || len(ce.Problems) == 0 {
			t.Fatalf("not a located error: %T %v", err, err)
		}
		for _, p := range ce.Problems {
			if p.File != "fuzz.yaml" || strings.TrimSpace(p.Message) == "" {
				t.Fatalf("unclear problem: %+v", p)
			}
		}
	})
}

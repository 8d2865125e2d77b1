package httpapi_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite httpapi/openapi.json from the served document")

// TestOpenAPIFile fails when the document the server serves differs from
// the checked-in openapi.json. Regenerate with
// go test ./httpapi -run TestOpenAPIFile -update (or UPDATE_OPENAPI=1).
func TestOpenAPIFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.must(t, 200, "GET", "/openapi.json", "", nil)
	if *update || os.Getenv("UPDATE_OPENAPI") == "1" {
		if err := os.WriteFile("openapi.json", r.Body, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatalf("%v; generate it with: go test ./httpapi -run TestOpenAPIFile -update", err)
	}
	if !bytes.Equal(r.Body, want) {
		got, old := strings.Split(string(r.Body), "\n"), strings.Split(string(want), "\n")
		line := 0
		for line < len(got) && line < len(old) && got[line] == old[line] {
			line++
		}
		at := func(ls []string) string {
			if line < len(ls) {
				return ls[line]
			}
			return "(end)"
		}
		t.Fatalf("the served OpenAPI document differs from httpapi/openapi.json from line %d:\n  served: %s\n  file:   %s\nif the change is intended, run: go test ./httpapi -run TestOpenAPIFile -update", line+1, at(got), at(old))
	}
}

type specDoc struct {
	Paths      map[string]map[string]specOp `json:"paths"`
	Components struct {
		Schemas map[string]struct {
			Properties map[string]struct {
				Description string `json:"description"`
			} `json:"properties"`
		} `json:"schemas"`
	} `json:"components"`
}

type specOp struct {
	OperationID string   `json:"operationId"`
	Summary     string   `json:"summary"`
	Description string   `json:"description"`
	Tags        []string `json:"tags"`
	Parameters  []struct {
		Name        string `json:"name"`
		In          string `json:"in"`
		Description string `json:"description"`
	} `json:"parameters"`
	RequestBody *struct {
		Content map[string]json.RawMessage `json:"content"`
	} `json:"requestBody"`
	Roles []string `json:"x-allot-roles"`
}

func readSpec(t testing.TB, e *env) specDoc {
	t.Helper()
	var s specDoc
	e.must(t, 200, "GET", "/openapi.json", "", nil).JSON(t, &s)
	return s
}

// TestOpenAPIDocumented: every operation has an operationId, summary,
// description and tags; every parameter and every schema field a
// description.
func TestOpenAPIDocumented(t *testing.T) {
	t.Parallel()
	s := readSpec(t, newEnv(t))
	ids := map[string]bool{}
	n := 0
	for path, ops := range s.Paths {
		for method, op := range ops {
			n++
			where := strings.ToUpper(method) + " " + path
			if op.OperationID == "" || op.Summary == "" || op.Description == "" || len(op.Tags) == 0 {
				t.Errorf("%s: operationId %q, summary %q, description %q, tags %q: all are required", where, op.OperationID, op.Summary, op.Description, op.Tags)
			}
			if ids[op.OperationID] {
				t.Errorf("%s: duplicate operationId %q", where, op.OperationID)
			}
			ids[op.OperationID] = true
			if len(op.Roles) == 0 {
				t.Errorf("%s: no x-allot-roles", where)
			}
			for _, p := range op.Parameters {
				if p.Description == "" {
					t.Errorf("%s: parameter %s %q has no description", where, p.In, p.Name)
				}
			}
			if op.RequestBody != nil {
				for ct := range op.RequestBody.Content {
					if ct != "application/json" {
						t.Errorf("%s: request content type %q", where, ct)
					}
				}
			}
		}
	}
	if n < 40 {
		t.Errorf("only %d operations", n)
	}
	var missing []string
	for name, sc := range s.Components.Schemas {
		for field, p := range sc.Properties {
			if p.Description == "" {
				missing = append(missing, name+"."+field)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("schema fields without a description (shared types: add them to schemaDocs in schema.go): %s", strings.Join(missing, ", "))
	}
}

package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/allot/allot/store"
)

// The bench's JSON reader accepts exactly what encoding/json accepts as one
// object, and finds the members asked for.
func TestBenchJSONReader(t *testing.T) {
	t.Parallel()
	good := []string{
		`{}`, ` { } `, `{"a":1}`, `{"a":-1.5e+3,"b":[1,2,{"c":null}],"d":"x\"y\\z\u00e9","e":true,"f":false}`,
		`{"results":[{"index":0,"status":201,"item":{"id":"itm_1","owner":"ana"}},{"index":1,"status":200,"item":{"id":"itm_2"}}],"created":1}` + "\n",
		`{"a":[],"b":{},"c":[[[]]]}`,
	}
	bad := []string{
		``, `{`, `}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":1 "b":2}`, `{a:1}`, `{"a":tru}`, `{"a":"x}`, `{"a":[1,]}`, `{"a":[1 2]}`,
		`{"a":1}{}`, `[1]`, `{"a":"` + "\n" + `"}`, `{"a":-}`, `{"a":nul}`, `{"a":{"b":1}`,
	}
	for _, s := range good {
		if !json.Valid([]byte(s)) {
			t.Fatalf("test case %q is not valid JSON", s)
		}
		if err := wholeObject([]byte(s), func(k, v []byte) error { return nil }); err != nil {
			t.Errorf("wholeObject(%q): %v", s, err)
		}
	}
	for _, s := range bad {
		if err := wholeObject([]byte(s), func(k, v []byte) error { return nil }); err == nil {
			t.Errorf("wholeObject(%q) accepted it", s)
		}
	}
	id, owner, err := itemIDOwner([]byte(`{"id":"itm_1","decision":{"agent":"bob","explanation":{"candidates":[{"agent":"x"}]}},"owner":"an\u0061"}`))
	if err != nil || id != "itm_1" || owner != "ana" {
		t.Fatalf("itemIDOwner = %q, %q, %v", id, owner, err)
	}
	if n, err := jsonInt([]byte("201")); n != 201 || err != nil {
		t.Fatalf("jsonInt = %d, %v", n, err)
	}
	for _, s := range []string{"", "2.5", "-1", `"3"`} {
		if _, err := jsonInt([]byte(s)); err == nil {
			t.Errorf("jsonInt(%q) accepted it", s)
		}
	}
	var body []byte
	body = appendBenchItem(body, "bench-1", 4999)
	var it map[string]any
	if err := json.Unmarshal(body, &it); err != nil || it["external_id"] != "bench-1-4999" || it["attributes"].(map[string]any)["budget"] != 4999.0 {
		t.Fatalf("bench item %s: %v", body, err)
	}
}

// allot bench runs against a real server, single and bulk, and reports
// every item created and assigned.
func TestBenchAgainstServer(t *testing.T) {
	t.Parallel()
	url, token := testServer(t)
	admin := token(store.RoleAdmin, "")
	for _, args := range [][]string{
		{"--items", "120", "--concurrency", "4"},
		{"--items", "250", "--concurrency", "3", "--bulk", "100"},
	} {
		code, out, errOut := cli(t, append([]string{"bench", "--url", url, "--token", admin, "--json", "--agents", "5"}, args...)...)
		if code != 0 {
			t.Fatalf("bench %v: exit %d: %s %s", args, code, out, errOut)
		}
		var res benchResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("bench %v printed %q: %v", args, out, err)
		}
		want := 120
		if strings.Contains(strings.Join(args, " "), "250") {
			want = 250
		}
		if res.Items != want || res.Assigned != want || res.Errors != 0 || res.ItemsPerSec <= 0 || res.P99ms <= 0 {
			t.Fatalf("bench %v: %+v", args, res)
		}
	}
	// A wrong token: every request fails, and the bench says so.
	code, out, _ := cli(t, "bench", "--url", url, "--token", "allot_x_y", "--items", "5", "--json")
	if code == 0 {
		t.Fatalf("bench with a bad token succeeded: %s", out)
	}
}

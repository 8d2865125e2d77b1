package httpapi_test

import (
	"encoding/json"
	"fmt"
	"testing"
)

// TestConfigVersions: every config change is a version; a version's config
// can be read back and PUT again (a rollback), which makes a new version
// with the old config; another region's manager sees nothing.
func TestConfigVersions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.setupRegion(t, "V", 2, "ana", "ben")
	R := "/v1/regions/" + f.Region
	manager := e.token(t, "manager", f.Region, "", nil)

	var v1 json.RawMessage
	e.must(t, 200, "GET", R, manager, nil).JSON(t, &v1)
	e.must(t, 200, "PUT", R+"/queues/"+f.Queue, manager, map[string]any{"members": []string{"ana"}, "policy": "least_loaded"})

	type version struct {
		Seq   uint64
		Actor string
		At    string
	}
	var list struct {
		Items      []version
		NextCursor string `json:"next_cursor"`
	}
	e.must(t, 200, "GET", R+"/config/versions", manager, nil).JSON(t, &list)
	if len(list.Items) < 2 {
		t.Fatalf("want at least 2 versions, got %+v", list.Items)
	}
	first, last := list.Items[0], list.Items[len(list.Items)-1]
	if first.Seq != 1 || last.Seq <= first.Seq || last.Actor == "" || last.At == "" {
		t.Errorf("versions: %+v", list.Items)
	}
	// Paging.
	var page struct {
		Items      []version
		NextCursor string `json:"next_cursor"`
	}
	e.must(t, 200, "GET", R+"/config/versions?limit=1", manager, nil).JSON(t, &page)
	if len(page.Items) != 1 || page.NextCursor == "" {
		t.Errorf("page: %+v", page)
	}

	// The last version has the edit; the first has not.
	var got struct {
		Seq    uint64
		Config struct {
			Queues []struct {
				ID      string
				Members []string
				Policy  string
			}
		}
	}
	e.must(t, 200, "GET", fmt.Sprintf("%s/config/versions/%d", R, last.Seq), manager, nil).JSON(t, &got)
	if got.Seq != last.Seq || len(got.Config.Queues) == 0 || got.Config.Queues[0].Policy != "least_loaded" {
		t.Errorf("last version: %+v", got)
	}
	var old struct {
		Config json.RawMessage
	}
	e.must(t, 200, "GET", R+"/config/versions/1", manager, nil).JSON(t, &old)

	// Roll back: PUT version 1's config; the region is as it was.
	e.must(t, 200, "PUT", R+"/config", manager, old.Config)
	var now json.RawMessage
	e.must(t, 200, "GET", R, manager, nil).JSON(t, &now)
	if !jsonEqual(t, now, v1) {
		t.Errorf("after rollback:\n%s\nwant\n%s", now, v1)
	}
	e.must(t, 200, "GET", R+"/config/versions", manager, nil).JSON(t, &list)
	if n := list.Items[len(list.Items)-1].Seq; n <= last.Seq {
		t.Errorf("rollback made no new version: last %d", n)
	}

	// Not a config entry, not an entry, another region's manager.
	e.createItem(t, f.Region, e.admin, map[string]any{"type": "lead"})
	var audit struct {
		Items []struct {
			Seq  uint64
			Kind string
		}
	}
	e.must(t, 200, "GET", R+"/audit?limit=1000", e.admin, nil).JSON(t, &audit)
	for _, en := range audit.Items {
		if en.Kind != "config" {
			wantProblem(t, e.do(t, "GET", fmt.Sprintf("%s/config/versions/%d", R, en.Seq), manager, nil), 404)
			break
		}
	}
	wantProblem(t, e.do(t, "GET", R+"/config/versions/999999", manager, nil), 404)
	wantProblem(t, e.do(t, "GET", R+"/config/versions/0", manager, nil), 422)
	other := e.setupRegion(t, "W", 1, "cy")
	otherManager := e.token(t, "manager", other.Region, "", nil)
	wantProblem(t, e.do(t, "GET", R+"/config/versions", otherManager, nil), 404)
	wantProblem(t, e.do(t, "GET", R+"/config/versions/1", otherManager, nil), 404)
	agent := e.token(t, "agent", f.Region, "ana", nil)
	wantProblem(t, e.do(t, "GET", R+"/config/versions", agent, nil), 403)
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

// TestConfigIfMatch: a whole-config replacement based on a stale version
// fails with 409 and changes nothing; based on the current one it lands.
func TestConfigIfMatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.setupRegion(t, "M", 2, "ana", "ben")
	R := "/v1/regions/" + f.Region
	var cfg map[string]any
	e.must(t, 200, "GET", R, e.admin, nil).JSON(t, &cfg)
	var list struct {
		Items []struct{ Seq uint64 }
	}
	e.must(t, 200, "GET", R+"/config/versions", e.admin, nil).JSON(t, &list)
	base := list.Items[len(list.Items)-1].Seq

	// Someone else changes the config after we read it.
	e.must(t, 200, "PUT", R+"/queues/"+f.Queue, e.admin, map[string]any{"members": []string{"ana"}, "policy": "least_loaded"})
	before := e.snapshot(t, f.Region)
	stale := fmt.Sprintf(`"%d"`, base)
	e.must(t, 409, "PUT", R+"/config", e.admin, cfg, "If-Match", stale)
	if after := e.snapshot(t, f.Region); after != before {
		t.Fatal("a rejected conditional write changed the region")
	}
	e.must(t, 422, "PUT", R+"/config", e.admin, cfg, "If-Match", "yesterday")

	e.must(t, 200, "GET", R+"/config/versions", e.admin, nil).JSON(t, &list)
	current := fmt.Sprint(list.Items[len(list.Items)-1].Seq)
	put := e.must(t, 200, "PUT", R+"/config", e.admin, cfg, "If-Match", current)

	// The replacement answers the version it made as its ETag, which is
	// the newest version listed and works as the next If-Match.
	e.must(t, 200, "GET", R+"/config/versions", e.admin, nil).JSON(t, &list)
	if etag, want := put.Header.Get("ETag"), fmt.Sprintf(`"%d"`, list.Items[len(list.Items)-1].Seq); etag != want {
		t.Fatalf("ETag %q, want %q", etag, want)
	}
	e.must(t, 200, "PUT", R+"/config", e.admin, cfg, "If-Match", put.Header.Get("ETag"))
}

// TestConfigPreferMinimal: PUT .../config with Prefer: return=minimal
// replaces the config and answers 204 with only the new version (ETag) and
// Preference-Applied; without it the answer is the whole config (200).
// Problems are answered the same either way.
func TestConfigPreferMinimal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.setupRegion(t, "P", 2, "ana", "ben")
	R := "/v1/regions/" + f.Region
	var cfg map[string]any
	e.must(t, 200, "GET", R, e.admin, nil).JSON(t, &cfg)

	var list struct {
		Items []struct{ Seq uint64 }
	}
	newest := func() string {
		e.must(t, 200, "GET", R+"/config/versions", e.admin, nil).JSON(t, &list)
		return fmt.Sprintf(`"%d"`, list.Items[len(list.Items)-1].Seq)
	}

	cfg["name"] = "minimal"
	min := e.must(t, 204, "PUT", R+"/config", e.admin, cfg, "Prefer", "handling=lenient, return=minimal")
	if len(min.Body) != 0 {
		t.Fatalf("204 with a body: %s", min.Body)
	}
	if ct := min.Header.Get("Content-Type"); ct != "" {
		t.Fatalf("204 with a Content-Type: %q", ct)
	}
	if got := min.Header.Get("Preference-Applied"); got != "return=minimal" {
		t.Fatalf("Preference-Applied %q", got)
	}
	if etag, want := min.Header.Get("ETag"), newest(); etag != want {
		t.Fatalf("ETag %q, want the version made, %q", etag, want)
	}
	var live struct{ Name string }
	e.must(t, 200, "GET", R, e.admin, nil).JSON(t, &live)
	if live.Name != "minimal" {
		t.Fatalf("the minimal replacement did not land: name %q", live.Name)
	}

	// The ETag of a minimal answer works as the next If-Match.
	cfg["name"] = "full"
	full := e.must(t, 200, "PUT", R+"/config", e.admin, cfg, "If-Match", min.Header.Get("ETag"))
	full.JSON(t, &live)
	if live.Name != "full" || full.Header.Get("Preference-Applied") != "" {
		t.Fatalf("full answer: name %q, Preference-Applied %q", live.Name, full.Header.Get("Preference-Applied"))
	}
	if etag, want := full.Header.Get("ETag"), newest(); etag != want {
		t.Fatalf("ETag %q, want %q", etag, want)
	}

	// return=representation and unrelated preferences get the config.
	e.must(t, 200, "PUT", R+"/config", e.admin, cfg, "Prefer", "return=representation")

	// A bad config is a located problem, minimal or not; nothing changes.
	cfg["time_zone"] = "Mars/Olympus"
	before := e.snapshot(t, f.Region)
	wantProblem(t, e.do(t, "PUT", R+"/config", e.admin, cfg, "Prefer", "return=minimal"), 422, "body.time_zone")
	if e.snapshot(t, f.Region) != before {
		t.Fatal("a rejected replacement changed the region")
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/allot/allot/configfile"
	"github.com/allot/allot/httpapi"
	"github.com/allot/allot/internal/gen"
	"github.com/allot/allot/node"
	"github.com/allot/allot/store"
	"github.com/allot/allot/store/sqlite"
)

const example = "../../examples/config/language-school.yaml"

// cli runs the binary's run in-process.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// testServer is a real API over a real SQLite store; it returns the base URL
// and a function making tokens.
func testServer(t testing.TB) (string, func(role store.Role, region string) string) {
	t.Helper()
	return testServerWith(t, nil)
}

// testServerWith is testServer with the API's handler wrapped by wrap (nil:
// none), for tests that step in between the CLI's requests.
func testServerWith(t testing.TB, wrap func(http.Handler) http.Handler) (string, func(role store.Role, region string) string) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "allot.db"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := prometheus.NewRegistry()
	n, err := node.Open(ctx, st, node.Options{Logger: log, Metrics: httpapi.NewMetrics(reg)})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = httpapi.New(n, httpapi.Options{Logger: log, Registry: reg})
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); n.Close(); st.Close() })
	return srv.URL, func(role store.Role, region string) string {
		plain, tok := httpapi.NewToken(role, region, "", "test", nil)
		if err := node.AppendToken(ctx, st, "test", "token_created", tok); err != nil {
			t.Fatal(err)
		}
		return plain
	}
}

func TestValidateCommand(t *testing.T) {
	t.Parallel()
	code, out, errb := cli(t, "validate", "-f", example)
	if code != 0 || !strings.Contains(out, "valid: 2 regions") {
		t.Fatalf("example: exit %d\n%s%s", code, out, errb)
	}
	bad := "../../configfile/testdata/invalid.yaml"
	code, out, _ = cli(t, "validate", "-f", bad)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 1 || len(lines) < 10 {
		t.Fatalf("invalid: exit %d, %d lines:\n%s", code, len(lines), out)
	}
	re := regexp.MustCompile(`^\S+\.yaml:\d+:\d+: \S+: .+`)
	for _, l := range lines {
		if !re.MatchString(l) {
			t.Errorf("not file:line:col: path: message: %q", l)
		}
	}
	// Lint findings are warnings: still valid.
	code, out, _ = cli(t, "validate", "-f", "../../configfile/testdata/lint.yaml")
	if code != 0 || !strings.Contains(out, "warning: regions[0].rules[6]") {
		t.Errorf("lint via validate: exit %d\n%s", code, out)
	}
	if code, _, _ := cli(t, "lint", "-f", "../../configfile/testdata/lint.yaml"); code != 1 {
		t.Errorf("lint with findings: exit %d", code)
	}
	if code, _, _ := cli(t, "validate"); code != 2 {
		t.Errorf("no -f: exit %d", code)
	}
	if code, out, _ := cli(t, "test", "-f", example); code != 0 || !strings.Contains(out, "9 passed, 0 failed") {
		t.Errorf("test: exit %d\n%s", code, out)
	}
}

// TestApplyHistoryRollback: apply creates and changes regions and reports
// versions; export gives the file back; rollback restores the previous
// config as a new version.
func TestApplyHistoryRollback(t *testing.T) {
	t.Parallel()
	url, token := testServer(t)
	admin := token(store.RoleAdmin, "")
	dir := t.TempDir()

	code, out, errb := cli(t, "apply", "-f", example, "--url", url, "--token", admin)
	if code != 1 || !strings.Contains(errb, "404") || !strings.Contains(errb, "nothing applied") {
		t.Fatalf("apply without --create on a new server: exit %d\n%s%s", code, out, errb)
	}
	code, out, errb = cli(t, "apply", "-f", example, "--url", url, "--token", admin, "--create")
	if code != 0 || !strings.Contains(out, "region fr: applied as version 1") || !strings.Contains(out, "region de: applied as version 1") {
		t.Fatalf("apply --create: exit %d\n%s%s", code, out, errb)
	}
	if code, out, _ = cli(t, "apply", "-f", example, "--url", url, "--token", admin); code != 0 || !strings.Contains(out, "nothing to apply") {
		t.Fatalf("re-apply: exit %d\n%s", code, out)
	}

	// Export, edit, apply: the diff names what changed.
	exported := filepath.Join(dir, "fr.yaml")
	if code, _, errb := cli(t, "export", "--region", "fr", "-o", exported, "--url", url, "--token", admin); code != 0 {
		t.Fatalf("export: %s", errb)
	}
	if code, out, errb := cli(t, "validate", "-f", exported); code != 0 {
		t.Fatalf("exported file invalid:\n%s%s", out, errb)
	}
	f, err := configfile.LoadFile(exported)
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := configfile.LoadFile(example)
	if d := configfile.Diff(orig.Regions[0], f.Regions[0]); !d.Empty() {
		t.Fatalf("export differs from the applied file:\n%s", d)
	}
	r := &f.Regions[0]
	r.Queues[2].Members = []string{"sarah"}
	r.Rules = r.Rules[:len(r.Rules)-1]
	b, _ := configfile.Encode(f.Config)
	edited := filepath.Join(dir, "edited.yaml")
	os.WriteFile(edited, b, 0o644)
	manager := token(store.RoleManager, "fr")
	code, out, errb = cli(t, "apply", "-f", edited, "--url", url, "--token", manager)
	if code != 0 || !strings.Contains(out, "~ queue fr-business: members") || !strings.Contains(out, "- rule fr-junior") ||
		!regexp.MustCompile(`region fr: applied as version \d+`).MatchString(out) {
		t.Fatalf("apply edit: exit %d\n%s%s", code, out, errb)
	}

	// History lists both versions; rollback to the first restores it.
	code, out, _ = cli(t, "config", "history", "--region", "fr", "--url", url, "--token", manager)
	if code != 0 || len(strings.Split(strings.TrimSpace(out), "\n")) != 3 {
		t.Fatalf("history: exit %d\n%s", code, out)
	}
	code, out, errb = cli(t, "config", "rollback", "1", "--region", "fr", "--url", url, "--token", manager)
	if code != 0 || !strings.Contains(out, "+ rule fr-junior") || !strings.Contains(out, "rolled back to version 1's config as version") {
		t.Fatalf("rollback: exit %d\n%s%s", code, out, errb)
	}
	if code, out, _ = cli(t, "apply", "-f", example, "--url", url, "--token", admin); code != 0 || !strings.Contains(out, "nothing to apply") {
		t.Fatalf("after rollback the live config is not the original: exit %d\n%s", code, out)
	}
}

// TestApplyOtherRegionRefused: a manager of fr applying a file that holds
// fr and de gets 404 for de and nothing changes, fr included.
func TestApplyOtherRegionRefused(t *testing.T) {
	t.Parallel()
	url, token := testServer(t)
	admin := token(store.RoleAdmin, "")
	if code, out, errb := cli(t, "apply", "-f", example, "--url", url, "--token", admin, "--create"); code != 0 {
		t.Fatalf("setup: %s%s", out, errb)
	}
	f, _ := configfile.LoadFile(example)
	for i := range f.Regions {
		f.Regions[i].Queues[0].Policy = "round_robin" // a change in both regions
	}
	b, _ := configfile.EncodeFile(f)
	path := filepath.Join(t.TempDir(), "both.yaml")
	os.WriteFile(path, b, 0o644)
	_, hist, _ := cli(t, "config", "history", "--region", "fr", "--url", url, "--token", admin)

	frManager := token(store.RoleManager, "fr")
	code, out, errb := cli(t, "apply", "-f", path, "--url", url, "--token", frManager, "--yes")
	if code != 1 || !strings.Contains(errb, "region de: 404") || !strings.Contains(errb, "nothing applied") {
		t.Fatalf("exit %d\n%s%s", code, out, errb)
	}
	_, after, _ := cli(t, "config", "history", "--region", "fr", "--url", url, "--token", admin)
	if after != hist {
		t.Errorf("fr changed:\n%s\nwas\n%s", after, hist)
	}
	if code, out, _ := cli(t, "apply", "-f", example, "--url", url, "--token", admin); code != 0 || !strings.Contains(out, "nothing to apply") {
		t.Errorf("a region changed: %s", out)
	}
	// Even --create cannot reach another region: creating needs admin.
	if code, _, errb := cli(t, "apply", "-f", path, "--url", url, "--token", frManager, "--create", "--yes"); code == 0 {
		t.Errorf("--create with a manager token succeeded: %s", errb)
	}
	// de is not found for fr's manager, so --create tries to create it,
	// which a manager may not: refused before fr changes.
	if _, after2, _ := cli(t, "config", "history", "--region", "fr", "--url", url, "--token", admin); after2 != hist {
		t.Errorf("fr changed by a refused --create apply:\n%s", after2)
	}
}

// TestApplyRefusesFailingTests: a config whose tests fail is not applied.
func TestApplyRefusesFailingTests(t *testing.T) {
	t.Parallel()
	url, token := testServer(t)
	f, _ := configfile.LoadFile(example)
	f.Tests[0].Expect.Queue = "fr-junior"
	b, _ := configfile.EncodeFile(f)
	path := filepath.Join(t.TempDir(), "failing.yaml")
	os.WriteFile(path, b, 0o644)
	code, out, errb := cli(t, "apply", "-f", path, "--url", url, "--token", token(store.RoleAdmin, ""), "--create")
	if code != 1 || !strings.Contains(errb, "FAIL") || !strings.Contains(errb, "tests fail; nothing applied") {
		t.Fatalf("exit %d\n%s%s", code, out, errb)
	}
	if code, _, _ := cli(t, "test", "-f", path); code != 1 {
		t.Errorf("allot test: exit %d", code)
	}
}

// TestApplyServerProblems: a config the file finds valid but the server
// refuses (an agent in a presence status the server does not have;
// presence statuses are server-wide) is reported against the file's lines
// and nothing changes: for one changed region by its atomic replacement,
// for several by the dry runs before any of them changes.
func TestApplyServerProblems(t *testing.T) {
	t.Parallel()
	url, token := testServer(t)
	admin := token(store.RoleAdmin, "")
	if code, out, errb := cli(t, "apply", "-f", example, "--url", url, "--token", admin, "--create"); code != 0 {
		t.Fatalf("create: exit %d\n%s%s", code, out, errb)
	}
	for _, regions := range [][]int{{0}, {0, 1}} {
		f, err := configfile.LoadFile(example)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range regions {
			f.Regions[i].Agents[0].Presence = "training" // the file's own status: not the server's
		}
		b, _ := configfile.Encode(f.Config)
		path := filepath.Join(t.TempDir(), "training.yaml")
		os.WriteFile(path, b, 0o644)
		code, out, errb := cli(t, "apply", "-f", path, "--url", url, "--token", admin, "--yes")
		if code != 1 || !strings.Contains(errb, "nothing applied") || strings.Contains(out, "applied as version") {
			t.Fatalf("regions %v: exit %d\n%s%s", regions, code, out, errb)
		}
		for _, i := range regions {
			want := regexp.MustCompile(fmt.Sprintf(`training\.yaml:\d+:\d+: regions\[%d\]\.agents\[0\]\.presence: `, i))
			if !want.MatchString(errb) {
				t.Errorf("regions %v: no located problem for regions[%d]:\n%s", regions, i, errb)
			}
		}
		if code, out, _ := cli(t, "apply", "-f", example, "--url", url, "--token", admin); code != 0 || !strings.Contains(out, "nothing to apply") {
			t.Fatalf("regions %v: a region changed: exit %d\n%s", regions, code, out)
		}
	}
}

// TestApplyLargeConfig: a config of 1,000 rules and 5,000 agents (more
// than 1 MiB as JSON) is created and changed through the API.
func TestApplyLargeConfig(t *testing.T) {
	t.Parallel()
	url, token := testServer(t)
	admin := token(store.RoleAdmin, "")
	o := gen.Large
	o.Rules, o.Queues, o.Agents = 1000, 100, 5000
	cfg := gen.Config(o)
	dir := t.TempDir()
	write := func(name string) string {
		b, err := configfile.Encode(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if j, _ := json.Marshal(cfg.Regions[0]); len(j) < 1<<20 {
			t.Fatalf("the config is only %d bytes of JSON", len(j))
		}
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	if code, out, errb := cli(t, "apply", "-f", write("a.yaml"), "--url", url, "--token", admin, "--create", "--yes"); code != 0 || !strings.Contains(out, "region r0: applied as version 1") {
		t.Fatalf("create: exit %d\n%s%s", code, out, errb)
	}
	cfg.Regions[0].Rules[7].SLAMinutes = 45
	if code, out, errb := cli(t, "apply", "-f", write("b.yaml"), "--url", url, "--token", admin, "--yes"); code != 0 || !strings.Contains(out, "~ rule rule0007: sla_minutes") || !strings.Contains(out, "region r0: applied as version 2") {
		t.Fatalf("change: exit %d\n%s%s", code, out, errb)
	}
}

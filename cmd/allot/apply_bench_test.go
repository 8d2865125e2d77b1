package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/allot/allot/configfile"
	"github.com/allot/allot/internal/gen"
	"github.com/allot/allot/node"
	"github.com/allot/allot/store"
	"github.com/allot/allot/store/sqlite"
)

// largeFiles writes two versions of the large config (4,000 rules,
// 500 queues, 10,000 agents) to dir: the second changes every 10th rule's
// SLA, so applying them in turn always changes the region.
func largeFiles(b *testing.B, dir string) [2]string {
	b.Helper()
	var paths [2]string
	for v := range paths {
		cfg := gen.Config(gen.Large)
		if v == 1 {
			r := &cfg.Regions[0]
			for i := 0; i < len(r.Rules); i += 10 {
				r.Rules[i].SLAMinutes = 30 + i%60
			}
		}
		y, err := configfile.Encode(cfg)
		if err != nil {
			b.Fatal(err)
		}
		paths[v] = filepath.Join(dir, []string{"large.yaml", "large2.yaml"}[v])
		if err := os.WriteFile(paths[v], y, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return paths
}

// BenchmarkApplyLarge is what a user waits for: `allot apply -f large.yaml
// --yes` (decode, validate, lint-free checks and tests on the client; read
// the live region, diff, and the server's validate + compile + atomic swap
// and commit) against a real API over a real SQLite store, client and
// server in this process. Each iteration applies the other version of the
// file, so every apply changes the region.
func BenchmarkApplyLarge(b *testing.B) {
	paths := largeFiles(b, b.TempDir())
	url, token := testServer(b)
	tok := token(store.RoleAdmin, "")
	args := func(p string, extra ...string) []string {
		return append([]string{"apply", "-f", p, "--yes", "--url", url, "--token", tok}, extra...)
	}
	if code := run(context.Background(), args(paths[0], "--create"), io.Discard, io.Discard); code != 0 {
		b.Fatalf("create: exit %d", code)
	}
	i := 0
	for b.Loop() {
		i++
		var out, errb strings.Builder
		if code := run(context.Background(), args(paths[i%2]), &out, &errb); code != 0 || !strings.Contains(out.String(), "applied as version") {
			b.Fatalf("apply: exit %d\n%s%s", code, out.String(), errb.String())
		}
	}
}

// BenchmarkValidateLintApplyLarge: the same work without HTTP: load and
// check the file, lint it, and apply it to a node (diff, validate, compile,
// swap, commit), as `allot serve --config` does.
func BenchmarkValidateLintApplyLarge(b *testing.B) {
	paths := largeFiles(b, b.TempDir())
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "allot.db"))
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	n, err := node.Open(ctx, st, node.Options{Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { n.Close(); st.Close() })
	i := 0
	for b.Loop() {
		f, err := configfile.LoadFile(paths[i%2])
		if err != nil {
			b.Fatal(err)
		}
		f.Lint()
		if err := applyConfigFile(ctx, n, f, log); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

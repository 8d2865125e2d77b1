package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/node"
	"github.com/allot/allot/store"
	"github.com/allot/allot/store/sqlite"
)

// buildAllot compiles the binary once per test run.
func buildAllot(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "allot")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// server is a real `allot serve` process.
type server struct {
	t    *testing.T
	bin  string
	db   string
	addr string
	env  []string // extra environment
	cmd  *exec.Cmd
	logs *bytes.Buffer
}

func (s *server) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "serve", "--addr", s.addr, "--db", s.db)
	s.cmd.Env = append(os.Environ(), s.env...)
	s.logs = &bytes.Buffer{}
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start server: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + s.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond) // polling a process we do not control
	}
	s.t.Fatalf("server not ready after 30s; logs:\n%s", s.logs)
}

func (s *server) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()
}

func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		s.t.Errorf("server did not stop on SIGTERM within 30s")
	}
}

func api(ctx context.Context, client *http.Client, method, url, token string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(ctx, method, url, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode %s: %w", data, err)
		}
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, data)
	}
	return resp.StatusCode, nil
}

// TestCrashRecovery is the durability acceptance test: a real server process
// is killed with SIGKILL at least 20 times while concurrent clients create
// and close thousands of items; it restarts on the same database each time.
// Afterwards every item that got a 2xx exists, no item is assigned twice,
// agents' loads equal their open items and the audit log replays to the
// stored state.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("real-process crash test; skipped with -short")
	}
	bin := buildAllot(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "allot.db")
	out, err := exec.Command(bin, "token", "create", "--role", "admin", "--db", db).Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	token := strings.TrimSpace(string(out))
	srv := &server{t: t, bin: bin, db: db, addr: freeAddr(t)}
	srv.start()
	base := "http://" + srv.addr
	client := &http.Client{Timeout: 10 * time.Second}
	ctx := context.Background()

	var members []string
	var agents []map[string]any
	for i := range 8 {
		id := fmt.Sprintf("a%d", i)
		members = append(members, id)
		agents = append(agents, map[string]any{"id": id, "capacity": map[string]any{"total": 40}, "presence": "available"})
	}
	region := map[string]any{"id": "crash", "agents": agents,
		"queues": []any{map[string]any{"id": "q", "members": members, "policy": "least_loaded"}},
		"rules":  []any{map[string]any{"name": "all", "when": "", "queue": "q"}}}
	if _, err := api(ctx, client, "POST", base+"/v1/regions", token, region, nil); err != nil {
		t.Fatal(err)
	}

	const kills = 20
	const clients = 8
	var acked sync.Map // external id → item id, for every 2xx create
	var closed sync.Map
	var created, closes atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				ext := fmt.Sprintf("c%d-%d", c, n)
				var it struct {
					ID string `json:"id"`
				}
				// Retry until acknowledged: the external id makes retries safe.
				for {
					select {
					case <-stop:
						return
					default:
					}
					_, err := api(ctx, client, "POST", base+"/v1/regions/crash/items", token,
						map[string]any{"type": "lead", "external_id": ext, "attributes": map[string]any{"n": float64(n)}}, &it)
					if err == nil {
						acked.Store(ext, it.ID)
						created.Add(1)
						break
					}
				}
				// Close every third acknowledged item, so capacity frees and
				// waiting items get pushed.
				if n%3 == 0 {
					if _, err := api(ctx, client, "POST", base+"/v1/regions/crash/items/"+it.ID+"/close", token, nil, nil); err == nil {
						closed.Store(it.ID, true)
						closes.Add(1)
					}
				}
			}
		}()
	}
	for k := range kills {
		// Let load run, then kill at an arbitrary moment.
		target := created.Load() + 100
		for created.Load() < target {
			time.Sleep(5 * time.Millisecond)
		}
		srv.kill()
		srv.start()
		t.Logf("kill %d: %d items acknowledged, %d closed", k+1, created.Load(), closes.Load())
	}
	close(stop)
	wg.Wait()
	srv.stop()

	if created.Load() < 2000 {
		t.Errorf("only %d items acknowledged; the test wants thousands", created.Load())
	}
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	missing := 0
	acked.Range(func(k, v any) bool {
		it, err := st.Item(ctx, "crash", v.(string))
		if err != nil || it.ExternalID != k.(string) {
			missing++
			t.Errorf("acknowledged item %s (%s) is missing: %v", v, k, err)
		}
		return missing < 10
	})
	// The lists (the derived list index, which a kill may leave behind by
	// its last half second of batches) agree with the items: every
	// acknowledged item is in its owner's list and its status's list, and
	// every item listed for an owner is that owner's.
	owners := map[string]map[string]bool{}
	statuses := map[allot.Status]map[string]bool{}
	acked.Range(func(_, v any) bool {
		it, err := st.Item(ctx, "crash", v.(string))
		if err != nil {
			return true // reported above
		}
		if owners[it.Owner] == nil {
			owners[it.Owner] = map[string]bool{}
		}
		owners[it.Owner][it.ID] = true
		if statuses[it.Status] == nil {
			statuses[it.Status] = map[string]bool{}
		}
		statuses[it.Status][it.ID] = true
		return true
	})
	listed := func(q store.ItemQuery) map[string]allot.Item {
		q.Region, q.Limit = "crash", 1000
		out := map[string]allot.Item{}
		for {
			page, next, err := st.Items(ctx, q)
			if err != nil {
				t.Fatalf("Items(%+v): %v", q, err)
			}
			for _, it := range page {
				out[it.ID] = it
			}
			if next == "" {
				return out
			}
			q.After = next
		}
	}
	for owner, ids := range owners {
		if owner == "" {
			continue
		}
		got := listed(store.ItemQuery{Owner: owner})
		for id := range ids {
			if _, ok := got[id]; !ok {
				t.Errorf("item %s of %s is not in %s's list after the kills", id, owner, owner)
			}
		}
		for id, it := range got {
			if it.Owner != owner {
				t.Errorf("%s's list holds item %s of %q", owner, id, it.Owner)
			}
		}
	}
	for status, ids := range statuses {
		got := listed(store.ItemQuery{Status: status})
		for id := range ids {
			if _, ok := got[id]; !ok {
				t.Errorf("item %s (%s) is not in the %s list after the kills", id, status, status)
			}
		}
	}
	rep, err := node.Verify(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Problems {
		t.Error(p)
	}
	if len(rep.Regions) != 1 || rep.Regions[0].OpenItems == 0 {
		t.Fatalf("verify report %+v", rep)
	}
	t.Logf("%d items acknowledged, %d closed, %d entries, %d decisions, %d open, %d active assignments",
		created.Load(), closes.Load(), rep.Regions[0].Chain.Entries, rep.Regions[0].Decisions, rep.Regions[0].OpenItems, rep.Regions[0].Assignments)
}

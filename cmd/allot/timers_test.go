package main

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/node"
	"github.com/allot/allot/store"
	"github.com/allot/allot/store/sqlite"
)

// TestTimersSurviveSIGKILL is the durable-timer acceptance test: a real
// server holds many pending overflow timers, is killed with SIGKILL before
// they come due, and stays down past their due time. After the restart every
// overdue timer fires exactly once, at its own due instant (not at the
// restart), and the log replays to the stored state.
//
// The server runs on a test clock 600 times faster than the wall clock
// (ALLOT_TEST_CLOCK), so a 30-minute overflow is 3 real seconds.
func TestTimersSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("real-process timer test; skipped with -short")
	}
	bin := buildAllot(t)
	db := filepath.Join(t.TempDir(), "allot.db")
	out, err := exec.Command(bin, "token", "create", "--role", "admin", "--db", db).Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	token := strings.TrimSpace(string(out))
	const scale = 600
	epoch := time.Now()
	srv := &server{t: t, bin: bin, db: db, addr: freeAddr(t),
		env: []string{fmt.Sprintf("ALLOT_TEST_CLOCK=%d,%d", epoch.UnixNano(), scale)}}
	srv.start()
	base := "http://" + srv.addr
	client := &http.Client{Timeout: 10 * time.Second}
	ctx := context.Background()

	region := map[string]any{"id": "t", "agents": []any{
		map[string]any{"id": "front", "capacity": map[string]any{"total": 1}, "presence": "available"},
		map[string]any{"id": "back", "capacity": map[string]any{"total": 1000}, "presence": "available"},
	}, "queues": []any{
		map[string]any{"id": "main", "members": []string{"front"}, "overflow": "backup", "overflow_after_minutes": 30},
		map[string]any{"id": "backup", "members": []string{"back"}},
	}, "default_queue": "main"}
	if _, err := api(ctx, client, "POST", base+"/v1/regions", token, region, nil); err != nil {
		t.Fatal(err)
	}
	const n = 150
	var items []struct {
		ID        string    `json:"id"`
		Owner     string    `json:"owner"`
		CreatedAt time.Time `json:"created_at"`
	}
	body := map[string]any{"items": func() []any {
		var xs []any
		for i := range n {
			xs = append(xs, map[string]any{"type": "lead", "external_id": fmt.Sprint("e", i)})
		}
		return xs
	}()}
	var bulk struct {
		Results []struct {
			Item struct {
				ID        string    `json:"id"`
				Owner     string    `json:"owner"`
				CreatedAt time.Time `json:"created_at"`
			} `json:"item"`
		} `json:"results"`
	}
	if _, err := api(ctx, client, "POST", base+"/v1/regions/t/items:bulk", token, body, &bulk); err != nil {
		t.Fatal(err)
	}
	for _, r := range bulk.Results {
		items = append(items, r.Item)
	}
	waiting := 0
	var lastDue time.Time
	for _, it := range items {
		if it.Owner == "" {
			waiting++
			if due := it.CreatedAt.Add(30 * time.Minute); due.After(lastDue) {
				lastDue = due
			}
		}
	}
	if waiting != n-1 {
		t.Fatalf("%d items waiting, want %d (front takes one)", waiting, n-1)
	}
	// Kill before any overflow is due, stay down until all are overdue.
	clock := testClock{epoch: epoch, scale: scale}
	if !clock.Now().Before(lastDue.Add(-30 * time.Minute / 2)) {
		t.Fatalf("setup took too long: the timers are nearly due already")
	}
	srv.kill()
	for !clock.Now().After(lastDue.Add(5 * time.Minute)) {
		time.Sleep(50 * time.Millisecond) // the server is down: real time must pass
	}
	srv.start()
	// Wait until the restarted server has fired them (it does so at once).
	deadline := time.Now().Add(20 * time.Second)
	for {
		var page struct {
			Items []struct{} `json:"items"`
		}
		if _, err := api(ctx, client, "GET", base+"/v1/regions/t/items?owner=back&limit=1000", token, nil, &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Items) == n-1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	srv.stop()

	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fired := map[string]int{}
	ds, err := st.Decisions(ctx, store.DecisionQuery{Region: "t", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if strings.HasPrefix(d.Cause, "overflow") {
			fired[d.Item]++
			if d.Kind != allot.DecisionAssigned || d.Agent != "back" || d.Queue != "backup" {
				t.Errorf("overflow decision %+v, want assigned to back in backup", d)
			}
		}
	}
	for _, it := range items {
		if it.Owner != "" {
			continue
		}
		if fired[it.ID] != 1 {
			t.Errorf("item %s: its overflow timer fired %d times, want once", it.ID, fired[it.ID])
		}
	}
	for _, d := range ds {
		if strings.HasPrefix(d.Cause, "overflow") {
			for _, it := range items {
				if it.ID == d.Item && !d.At.Equal(it.CreatedAt.Add(30*time.Minute)) {
					t.Errorf("item %s overflowed at %v, want its due instant %v", it.ID, d.At, it.CreatedAt.Add(30*time.Minute))
				}
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
}

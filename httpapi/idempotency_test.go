package httpapi_test

import (
	"bytes"
	"sync"
	"testing"
)

// TestIdempotencyKey: 50 concurrent identical creates with one key make
// exactly one item and get identical answers; the key with another body is
// a 422.
func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.setupRegion(t, "idem", 100, "ana", "ben")
	path := "/v1/regions/" + f.Region + "/items"
	body := []byte(`{"type": "lead", "attributes": {"country": "FR", "score_hint": 3.5}}`)

	const n = 50
	out := make([]resp, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = e.do(t, "POST", path, e.admin, body, "Idempotency-Key", "key-1")
		}()
	}
	close(start)
	wg.Wait()
	for i, r := range out {
		if r.Status != 201 {
			t.Fatalf("answer %d: status %d: %s", i, r.Status, r.Body)
		}
		if !bytes.Equal(r.Body, out[0].Body) {
			t.Fatalf("answer %d differs from answer 0:\n%s\n%s", i, r.Body, out[0].Body)
		}
	}
	var page struct{ Items []map[string]any }
	e.must(t, 200, "GET", path, e.admin, nil).JSON(t, &page)
	if len(page.Items) != 1 {
		t.Fatalf("%d items exist, want 1", len(page.Items))
	}
	if id := out[0].M(t)["id"]; page.Items[0]["id"] != id {
		t.Fatalf("the item is %v, the answers say %v", page.Items[0]["id"], id)
	}

	// The same key with another body.
	r := e.do(t, "POST", path, e.admin, `{"type": "lead", "attributes": {"country": "DE"}}`, "Idempotency-Key", "key-1")
	wantProblem(t, r, 422, "header.Idempotency-Key")
	// ... and on another path (a key is for one request).
	e.must(t, 200, "GET", path, e.admin, nil).JSON(t, &page)
	if len(page.Items) != 1 {
		t.Fatalf("%d items after the refused request, want 1", len(page.Items))
	}
	// A new key creates a new item.
	e.must(t, 201, "POST", path, e.admin, body, "Idempotency-Key", "key-2")
}

// TestExternalIDIdempotency: a second create with the same external_id
// answers 200 with the same item, and creates nothing.
func TestExternalIDIdempotency(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.setupRegion(t, "ext", 100, "ana")
	path := "/v1/regions/" + f.Region + "/items"
	first := e.must(t, 201, "POST", path, e.admin, map[string]any{"type": "lead", "external_id": "crm-1"}).M(t)
	second := e.must(t, 200, "POST", path, e.admin, map[string]any{"type": "lead", "external_id": "crm-1", "priority": 5}).M(t)
	if first["id"] != second["id"] {
		t.Fatalf("second create answered %v, first %v", second["id"], first["id"])
	}
	// Also within one bulk request, and against existing items.
	var bulk struct {
		Results []struct {
			Status int
			Item   map[string]any
		}
		Created, Existing, Failed int
	}
	e.must(t, 200, "POST", path+":bulk", e.admin, map[string]any{"items": []any{
		map[string]any{"type": "lead", "external_id": "crm-1"},
		map[string]any{"type": "lead", "external_id": "crm-2"},
		map[string]any{"type": "lead", "external_id": "crm-2"},
	}}).JSON(t, &bulk)
	if bulk.Created != 1 || bulk.Existing != 2 || bulk.Failed != 0 {
		t.Fatalf("bulk: created %d, existing %d, failed %d; want 1, 2, 0: %+v", bulk.Created, bulk.Existing, bulk.Failed, bulk.Results)
	}
	if bulk.Results[0].Item["id"] != first["id"] || bulk.Results[1].Item["id"] != bulk.Results[2].Item["id"] {
		t.Fatalf("bulk answered other items: %+v", bulk.Results)
	}
	var page struct{ Items []map[string]any }
	e.must(t, 200, "GET", path, e.admin, nil).JSON(t, &page)
	if len(page.Items) != 2 {
		t.Fatalf("%d items, want 2", len(page.Items))
	}
}

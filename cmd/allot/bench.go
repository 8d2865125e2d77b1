package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const benchUsage = `allot bench: a load generator against a running allot server.

Usage:
  allot bench --url URL --token TOKEN --items N --concurrency C [--bulk K] [--json]

It creates a fresh region (named bench-<random>, or --region) with --agents agents
of ample capacity, one round-robin queue and one rule, then creates N items over C
concurrent connections — one item per request, or K per bulk request — and
reports throughput and latency. A request's latency is create → assigned: the
server answers after the item is durably committed together with its decision.
It stops after N items or --duration, whichever comes first.

Output (--json): one object with items, seconds, items_per_sec, requests,
p50_ms, p90_ms, p99_ms, max_ms, errors, assigned, bulk, concurrency.

Flags:
`

type benchResult struct {
	Items       int     `json:"items"`
	Seconds     float64 `json:"seconds"`
	ItemsPerSec float64 `json:"items_per_sec"`
	Requests    int     `json:"requests"`
	P50ms       float64 `json:"p50_ms"`
	P90ms       float64 `json:"p90_ms"`
	P99ms       float64 `json:"p99_ms"`
	MaxMs       float64 `json:"max_ms"`
	Errors      int     `json:"errors"`
	Assigned    int     `json:"assigned"`
	Bulk        int     `json:"bulk"`
	Concurrency int     `json:"concurrency"`
	Region      string  `json:"region"`
}

func bench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, benchUsage); fs.PrintDefaults() }
	url := fs.String("url", "http://127.0.0.1:8080", "server base URL")
	token := fs.String("token", envOr("ALLOT_TOKEN", ""), "admin token (or $ALLOT_TOKEN)")
	items := fs.Int("items", 10000, "items to create (1–10,000,000)")
	conc := fs.Int("concurrency", 16, "concurrent connections (1–1,000)")
	bulk := fs.Int("bulk", 0, "items per bulk request (0: one item per request; 1–1,000)")
	agents := fs.Int("agents", 50, "agents in the bench region (1–10,000)")
	region := fs.String("region", "", "region to create (default bench-<random>)")
	duration := fs.Duration("duration", 2*time.Minute, "stop after this long even if items remain")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var bad []string
	if *token == "" {
		bad = append(bad, "--token: required (an admin token; create one with `allot token create --role admin`)")
	}
	if *items < 1 || *items > 10_000_000 {
		bad = append(bad, fmt.Sprintf("--items: must be between 1 and 10000000, got %d", *items))
	}
	if *conc < 1 || *conc > 1000 {
		bad = append(bad, fmt.Sprintf("--concurrency: must be between 1 and 1000, got %d", *conc))
	}
	if *bulk < 0 || *bulk > 1000 {
		bad = append(bad, fmt.Sprintf("--bulk: must be between 0 and 1000, got %d", *bulk))
	}
	if *agents < 1 || *agents > 10000 {
		bad = append(bad, fmt.Sprintf("--agents: must be between 1 and 10000, got %d", *agents))
	}
	if *duration <= 0 {
		bad = append(bad, "--duration: must be positive")
	}
	if !strings.HasPrefix(*url, "http://") && !strings.HasPrefix(*url, "https://") {
		bad = append(bad, fmt.Sprintf("--url: want http://host:port, got %q", *url))
	}
	if len(bad) > 0 {
		for _, b := range bad {
			fmt.Fprintln(stderr, "allot bench:", b)
		}
		return 2
	}
	if *region == "" {
		*region = fmt.Sprintf("bench-%08x", rand.Uint32())
	}
	c := &benchClient{base: strings.TrimRight(*url, "/"), token: *token, http: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: *conc * 2, MaxIdleConnsPerHost: *conc * 2, IdleConnTimeout: time.Minute},
	}}
	if err := c.setup(ctx, *region, *agents); err != nil {
		fmt.Fprintln(stderr, "allot bench: setting up the bench region:", err)
		return 1
	}
	res, firstErr := c.run(ctx, *region, *items, *conc, *bulk, *duration)
	if firstErr != nil {
		fmt.Fprintln(stderr, "allot bench: first error:", firstErr)
	}
	if *asJSON {
		json.NewEncoder(stdout).Encode(res)
	} else {
		fmt.Fprintf(stdout, "%d items in %.2fs: %.0f items/s (%d requests, concurrency %d, bulk %d)\n",
			res.Items, res.Seconds, res.ItemsPerSec, res.Requests, res.Concurrency, res.Bulk)
		fmt.Fprintf(stdout, "create→assigned latency: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n", res.P50ms, res.P90ms, res.P99ms, res.MaxMs)
		fmt.Fprintf(stdout, "assigned %d, errors %d, region %s\n", res.Assigned, res.Errors, res.Region)
	}
	if res.Errors > 0 {
		return 1
	}
	return 0
}

type benchClient struct {
	base, token string
	http        *http.Client
}

func (c *benchClient) do(ctx context.Context, method, path string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, strings.TrimSpace(string(data)))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decoding the answer: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// setup creates the bench region: agents with room for every item, one
// round-robin queue, one rule.
func (c *benchClient) setup(ctx context.Context, region string, agents int) error {
	type agent struct {
		ID       string         `json:"id"`
		Capacity map[string]int `json:"capacity"`
		Presence string         `json:"presence"`
	}
	var as []agent
	var members []string
	for i := range agents {
		id := fmt.Sprintf("agent%04d", i)
		as = append(as, agent{ID: id, Capacity: map[string]int{"total": 1_000_000}, Presence: "available"})
		members = append(members, id)
	}
	body := map[string]any{
		"id":     region,
		"agents": as,
		"queues": []any{map[string]any{"id": "main", "members": members, "policy": "round_robin"}},
		"rules":  []any{map[string]any{"name": "leads", "when": `item.type == "lead"`, "queue": "main"}},
	}
	_, err := c.do(ctx, http.MethodPost, "/v1/regions", body, nil)
	return err
}

// run creates the items and measures; it returns the first error too.
func (c *benchClient) run(ctx context.Context, region string, items, conc, bulk int, limit time.Duration) (benchResult, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	per := max(bulk, 1)
	requests := (items + per - 1) / per
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var errs, created, assigned int
	var firstErr error
	start := time.Now()
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := c.worker(region, bulk > 0)
			if err != nil {
				mu.Lock()
				firstErr = cmp.Or(firstErr, err)
				mu.Unlock()
				return
			}
			defer w.conn.Close()
			for ctx.Err() == nil {
				r := int(next.Add(1)) - 1
				if r >= requests {
					return
				}
				n := min(per, items-r*per)
				t0 := time.Now()
				nAssigned, err := w.create(ctx, region, r*per, n, bulk > 0)
				d := time.Since(t0)
				mu.Lock()
				if err != nil {
					if ctx.Err() == nil {
						errs += n
						if firstErr == nil {
							firstErr = err
						}
					}
				} else {
					lat = append(lat, d)
					created += n
					assigned += nAssigned
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		i := int(p * float64(len(lat)-1))
		return float64(lat[i].Microseconds()) / 1000
	}
	return benchResult{Items: created, Seconds: round3(secs), ItemsPerSec: round3(float64(created) / secs), Requests: len(lat),
		P50ms: pct(0.50), P90ms: pct(0.90), P99ms: pct(0.99), MaxMs: pct(1), Errors: errs, Assigned: assigned,
		Bulk: bulk, Concurrency: conc, Region: region}, firstErr
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

// worker is one connection's request loop. It reuses its buffers and
// writes request bodies by hand: the load generator shares the machine
// with the server and must not spend what the server would use. It still
// does real HTTP and checks every answer.
type worker struct {
	conn *benchConn
	url  string // the single or bulk create URL, for errors
	body []byte
	resp bytes.Buffer
}

func (c *benchClient) worker(region string, bulk bool) (*worker, error) {
	path := "/v1/regions/" + region + "/items"
	if bulk {
		path += ":bulk"
	}
	conn, err := newBenchConn(c.base, path, c.token)
	if err != nil {
		return nil, err
	}
	return &worker{conn: conn, url: c.base + path}, nil
}

// appendBenchItem writes the bench's item number i: a French lead with a
// budget.
func appendBenchItem(b []byte, region string, i int) []byte {
	b = append(b, `{"type":"lead","external_id":`...)
	b = strconv.AppendQuote(b, region+"-"+strconv.Itoa(i))
	b = append(b, `,"attributes":{"country":"FR","budget":`...)
	b = strconv.AppendInt(b, int64(i%5000), 10)
	return append(b, "}}"...)
}

// create posts n items starting at index first (one per request, or all n
// in one bulk request) and returns how many were assigned. Every answer is
// checked: its status, its syntax, an item with an id for every item sent.
func (w *worker) create(ctx context.Context, region string, first, n int, bulk bool) (int, error) {
	b := w.body[:0]
	if bulk {
		b = append(b, `{"items":[`...)
		for i := range n {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendBenchItem(b, region, first+i)
		}
		b = append(b, "]}"...)
	} else {
		b = appendBenchItem(b, region, first)
	}
	w.body = b
	status, err := w.conn.post(ctx, b, &w.resp)
	if err != nil {
		return 0, fmt.Errorf("POST %s: %w", w.url, err)
	}
	data := w.resp.Bytes()
	if status >= 300 {
		return 0, fmt.Errorf("POST %s: %d %s", w.url, status, strings.TrimSpace(string(data)))
	}
	if !bulk {
		id, owner, err := itemIDOwner(data)
		if err != nil {
			return 0, fmt.Errorf("POST %s: the answer: %w", w.url, err)
		}
		if id == "" {
			return 0, fmt.Errorf("POST %s: the answer has no item id", w.url)
		}
		if owner != "" {
			return 1, nil
		}
		return 0, nil
	}
	a, results := 0, 0
	err = wholeObject(data, func(key, val []byte) error {
		if string(key) != `"results"` {
			return nil
		}
		_, err := eachElement(val, 0, func(r []byte) error {
			results++
			status, item := 0, []byte(nil)
			_, err := eachMember(r, 0, func(k, v []byte) error {
				var err error
				switch string(k) {
				case `"status"`:
					status, err = jsonInt(v)
				case `"item"`:
					item = v
				}
				return err
			})
			if err != nil {
				return err
			}
			if status >= 300 || status == 0 {
				return fmt.Errorf("bulk item failed with status %d", status)
			}
			id, owner, err := itemIDOwner(item)
			if err != nil {
				return err
			}
			if id == "" {
				return fmt.Errorf("a bulk result has no item id")
			}
			if owner != "" {
				a++
			}
			return nil
		})
		return err
	})
	if err != nil {
		return a, fmt.Errorf("POST %s: the answer: %w", w.url, err)
	}
	if results != n {
		return a, fmt.Errorf("POST %s: %d results for %d items", w.url, results, n)
	}
	return a, nil
}

// itemIDOwner reads an item's id and owner from its JSON.
func itemIDOwner(item []byte) (id, owner string, err error) {
	if item == nil {
		return "", "", fmt.Errorf("no item")
	}
	err = wholeObject(item, func(k, v []byte) error {
		var err error
		switch string(k) {
		case `"id"`:
			id, err = jsonString(v)
		case `"owner"`:
			owner, err = jsonString(v)
		}
		return err
	})
	return id, owner, err
}

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allot/allot/configfile"
)

// syncBuffer is a bytes.Buffer safe for a server's logger and a test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var reServing = regexp.MustCompile(`allot serving" addr=(\S+)`)

// startServe runs `allot serve` in-process on a free loopback port; it
// returns the base URL and a function that stops it and returns its exit
// code and log.
func startServe(t *testing.T, args ...string) (string, func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- serve(ctx, append([]string{"--addr", "127.0.0.1:0", "--shutdown-timeout", "5s"}, args...), &out, &errb)
	}()
	stop := func() (int, string) {
		cancel()
		select {
		case code := <-done:
			return code, errb.String()
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not stop")
			return -1, ""
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited %d before listening:\n%s", code, errb.String())
		default:
		}
		if m := reServing.FindStringSubmatch(errb.String()); m != nil {
			return "http://" + m[1], stop
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	t.Fatalf("serve did not start:\n%s", errb.String())
	return "", nil
}

func TestServeConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "allot.db")
	code, admin, errb := cli(t, "token", "create", "--role", "admin", "--db", db)
	if code != 0 {
		t.Fatalf("token: %s", errb)
	}
	admin = strings.TrimSpace(admin)

	// An invalid file stops the start with exit 2 and file:line problems;
	// nothing is created.
	code, _, errb = cli(t, "serve", "--addr", "127.0.0.1:0", "--db", db, "--config", "../../configfile/testdata/invalid.yaml")
	if code != 2 || !regexp.MustCompile(`(?m)^\S+invalid\.yaml:\d+:\d+: regions\[0\]`).MatchString(errb) || !strings.Contains(errb, "not started") {
		t.Fatalf("invalid config: exit %d\n%s", code, errb)
	}

	// First start: both regions created, by config-file.
	url, stop := startServe(t, "--db", db, "--config", example)
	var regions struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if st := getJSON(t, url, admin, "/v1/regions", &regions); st != 200 || len(regions.Items) != 2 {
		t.Fatalf("GET /v1/regions: %d %+v", st, regions)
	}
	_, hist, _ := cli(t, "config", "history", "--region", "fr", "--url", url, "--token", admin)
	if !strings.Contains(hist, "config-file") || len(strings.Split(strings.TrimSpace(hist), "\n")) != 2 {
		t.Errorf("fr history after creation:\n%s", hist)
	}
	if code, log := stop(); code != 0 || !strings.Contains(log, "region created") {
		t.Fatalf("stop: exit %d\n%s", code, log)
	}

	// Second start with fr changed: fr gets a new version by config-file,
	// de is left as it is.
	f, _ := configfile.LoadFile(example)
	f.Regions[0].Queues[0].Policy = "round_robin"
	b, _ := configfile.EncodeFile(f)
	edited := filepath.Join(dir, "edited.yaml")
	os.WriteFile(edited, b, 0o644)
	url, stop = startServe(t, "--db", db, "--config", edited)
	_, hist, _ = cli(t, "config", "history", "--region", "fr", "--url", url, "--token", admin)
	if lines := strings.Split(strings.TrimSpace(hist), "\n"); len(lines) != 3 || !strings.Contains(lines[2], "config-file") {
		t.Errorf("fr history after the edit:\n%s", hist)
	}
	_, deHist, _ := cli(t, "config", "history", "--region", "de", "--url", url, "--token", admin)
	if len(strings.Split(strings.TrimSpace(deHist), "\n")) != 2 {
		t.Errorf("de changed:\n%s", deHist)
	}
	if code, out, _ := cli(t, "apply", "-f", edited, "--url", url, "--token", admin); code != 0 || !strings.Contains(out, "nothing to apply") {
		t.Errorf("the live config is not the file's: %s", out)
	}
	if code, log := stop(); code != 0 || !strings.Contains(log, "region applied") || !strings.Contains(log, "region unchanged") {
		t.Fatalf("stop: exit %d\n%s", code, log)
	}

	// Third start, same file: nothing changes.
	url, stop = startServe(t, "--db", db, "--config", edited)
	_, hist2, _ := cli(t, "config", "history", "--region", "fr", "--url", url, "--token", admin)
	if hist2 != hist {
		t.Errorf("an unchanged file made a version:\n%s", hist2)
	}
	stop()

	// A file the server's checks refuse for a region stops the start too.
	f.Tests = nil
	f.Regions[1].DefaultQueue = "nope"
	b, _ = configfile.EncodeFile(f)
	broken := filepath.Join(dir, "broken.yaml")
	os.WriteFile(broken, b, 0o644)
	if code, _, errb := cli(t, "serve", "--addr", "127.0.0.1:0", "--db", db, "--config", broken); code != 2 || !strings.Contains(errb, "broken.yaml:") {
		t.Errorf("broken: exit %d\n%s", code, errb)
	}
}

func TestParseGOGC(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"300", 300, true}, {"1", 1, true}, {"100000", 100000, true}, {"off", -1, true}, {"OFF", -1, true},
		{"0", 0, false}, {"-5", 0, false}, {"100001", 0, false}, {"", 0, false}, {"3e2", 0, false}, {"fast", 0, false},
	} {
		got, err := parseGOGC(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("parseGOGC(%q) = %d, %v; want %d, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
	code, _, errb := cli(t, "serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "x.db"), "--gogc", "fast")
	if code != 2 || !strings.Contains(errb, "--gogc") {
		t.Fatalf("serve --gogc fast: exit %d, %q; want 2 naming the flag", code, errb)
	}
}

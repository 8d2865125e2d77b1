package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The bench's connection speaks HTTP/1.1 to a real server: it sends the
// path (under the base URL's own path), the token and the body; reads
// Content-Length and chunked answers; keeps the connection alive; dials
// again after "Connection: close"; and gives up on a stalled answer when
// its context ends.
func TestBenchConn(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/base/v1/x" || r.Header.Get("Authorization") != "Bearer tok" ||
			r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad request line or headers: "+r.Method+" "+r.URL.Path, http.StatusBadRequest)
			return
		}
		switch string(body) {
		case `"chunked"`:
			w.Write([]byte(strings.Repeat("a", 5000))) // no Content-Length: chunked
			w.(http.Flusher).Flush()
			w.Write([]byte("z"))
		case `"close"`:
			w.Header().Set("Connection", "close")
			w.Write([]byte("bye"))
		case `"stall"`:
			time.Sleep(time.Second)
		default:
			w.Header().Set("Content-Length", "2")
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte("ok"))
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	c, err := newBenchConn(srv.URL+"/base/", "/v1/x", "tok")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var buf bytes.Buffer
	post := func(body string) int {
		t.Helper()
		status, err := c.post(t.Context(), []byte(body), &buf)
		if err != nil {
			t.Fatalf("post %s: %v", body, err)
		}
		return status
	}
	for range 3 {
		if s := post(`{}`); s != http.StatusCreated || buf.String() != "ok" {
			t.Fatalf("plain answer: %d %q", s, buf.String())
		}
	}
	if s := post(`"chunked"`); s != http.StatusOK || buf.Len() != 5001 || !strings.HasSuffix(buf.String(), "az") {
		t.Fatalf("chunked answer: %d, %d bytes", s, buf.Len())
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for keep-alive requests, want 1", n)
	}
	if s := post(`"close"`); s != http.StatusOK || buf.String() != "bye" {
		t.Fatalf("closing answer: %d %q", s, buf.String())
	}
	if s := post(`{}`); s != http.StatusCreated {
		t.Fatalf("after a close: %d", s)
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections after a Connection: close answer, want 2", n)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	if _, err := c.post(ctx, []byte(`"stall"`), &buf); err == nil {
		t.Fatal("a stalled answer past the context's end: no error")
	}
	if d := time.Since(t0); d > 700*time.Millisecond {
		t.Fatalf("a stalled answer took %v to give up on, want about the context's 100ms", d)
	}
	if s := post(`{}`); s != http.StatusCreated {
		t.Fatalf("after a failed request: %d", s)
	}

	for _, bad := range []string{"ftp://x", "http://", "::"} {
		if _, err := newBenchConn(bad, "/v1/x", "tok"); err == nil {
			t.Errorf("newBenchConn(%q): no error", bad)
		}
	}
}

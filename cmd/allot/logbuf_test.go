package main

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

// The server's log: info lines wait (at most logFlushEvery), warnings and
// direct messages go out at once and after what waited, Close writes the
// rest; the order of lines is kept.
func TestLogBuffer(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	b := newLogBuffer(&out)
	log := slog.New(logHandler{slog.NewTextHandler(b, nil), b})
	log.Info("one")
	if strings.Contains(out.String(), "one") {
		// The ticker may have fired in between; rare, not wrong.
		t.Log("the info line was flushed by the ticker before the check")
	}
	log.Warn("two")
	if s := out.String(); !strings.Contains(s, "msg=one") || !strings.Contains(s, "msg=two") {
		t.Fatalf("after a warning the log holds %q, want both lines", s)
	}
	log.With("k", "v").Info("three")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "msg=three") {
		if time.Now().After(deadline) {
			t.Fatalf("an info line did not come out within 5s: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	log.Info("four")
	b.Direct().Write([]byte("direct\n"))
	log.Info("five")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	i1, i2, i3, i4, i5 := strings.Index(s, "msg=one"), strings.Index(s, "msg=two"), strings.Index(s, "msg=three"), strings.Index(s, "msg=four"), strings.Index(s, "direct")
	i6 := strings.Index(s, "msg=five")
	if !(i1 < i2 && i2 < i3 && i3 < i4 && i4 < i5 && i5 < i6) || !strings.Contains(s, "k=v") {
		t.Fatalf("lines out of order or missing: %q", s)
	}
}

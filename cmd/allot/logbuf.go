package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// logBuffer is the server log's writer. Every request logs a line, and a
// write system call per line was ~2 % of the server's CPU under load, so
// lines are collected and written together: when logFlushEvery has passed,
// when logBufferSize bytes are waiting, at once for warnings and errors
// (logHandler), and at Close. A crash of the process loses at most the
// info lines of the last logFlushEvery; the data it acknowledged is in the
// database, not in the log.
type logBuffer struct {
	mu   sync.Mutex
	w    io.Writer
	buf  []byte
	err  error // the first write error; later lines are dropped
	stop chan struct{}
	done chan struct{}
}

const (
	logFlushEvery = 100 * time.Millisecond
	logBufferSize = 64 << 10
)

func newLogBuffer(w io.Writer) *logBuffer {
	b := &logBuffer{w: w, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(logFlushEvery)
		defer t.Stop()
		for {
			select {
			case <-b.stop:
				return
			case <-t.C:
				b.Flush()
			}
		}
	}()
	return b
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return 0, b.err
	}
	b.buf = append(b.buf, p...)
	if len(b.buf) >= logBufferSize {
		b.flushLocked()
	}
	return len(p), nil
}

// Flush writes what is waiting.
func (b *logBuffer) Flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
}

func (b *logBuffer) flushLocked() {
	if len(b.buf) == 0 || b.err != nil {
		return
	}
	_, b.err = b.w.Write(b.buf)
	b.buf = b.buf[:0]
}

// Close stops the timer and writes what is waiting.
func (b *logBuffer) Close() error {
	close(b.stop)
	<-b.done
	b.Flush()
	return b.err
}

// logHandler flushes the buffer after every record at warning level or
// above, so that those are never held back.
type logHandler struct {
	slog.Handler
	buf *logBuffer
}

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		h.buf.Flush()
	}
	return err
}

func (h logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(as), h.buf}
}

func (h logHandler) WithGroup(name string) slog.Handler {
	return logHandler{h.Handler.WithGroup(name), h.buf}
}

// Direct returns a writer whose writes go out at once, after what the
// buffer holds: the command's own messages keep their place among the
// log's lines.
func (b *logBuffer) Direct() io.Writer { return directWriter{b} }

type directWriter struct{ b *logBuffer }

func (d directWriter) Write(p []byte) (int, error) {
	n, err := d.b.Write(p)
	d.b.Flush()
	return n, err
}

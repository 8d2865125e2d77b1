package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// benchConn is one keep-alive HTTP/1.1 connection of the load generator,
// used by one worker at a time. It writes each request in one write from a
// reused buffer and reads the answer with net/http's own response parser
// (http.ReadResponse: status line, headers, Content-Length or chunked
// bodies, Connection: close), but without http.Transport: a transport
// hands every request to a writer and a reader goroutine of its own and
// back, which cost the bench about as much CPU per request as the server's
// HTTP layer spends on it, on the same two cores. The connection is dialled
// on first use and again after any error or a "Connection: close" answer.
type benchConn struct {
	addr    string      // host:port to dial
	tlsConf *tls.Config // nil for http://
	prefix  []byte      // the request line's method and everything up to Content-Length's value

	conn net.Conn
	br   *bufio.Reader
	req  []byte // the request being written
	stop func() bool
}

// requestTimeout bounds one request's round trip.
const requestTimeout = 30 * time.Second

// newBenchConn prepares a connection for POSTs of JSON to path on the
// server at base (http://host[:port] or https://...), authorised by token.
func newBenchConn(base, path, token string) (*benchConn, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	if u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("want http://host:port or https://host:port, got %q", base)
	}
	c := &benchConn{addr: u.Host}
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		c.addr = net.JoinHostPort(u.Hostname(), port)
	}
	if u.Scheme == "https" {
		c.tlsConf = &tls.Config{ServerName: u.Hostname()}
	}
	p := trimRightSlash(u.EscapedPath()) + path
	c.prefix = fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: allot-bench\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: ",
		p, u.Host, token)
	return c, nil
}

func trimRightSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

// post sends body and reads the answer's body into dst (reset first). It
// returns the answer's status. Any error closes the connection (the next
// post dials again); it is not retried.
func (c *benchConn) post(ctx context.Context, body []byte, dst *bytes.Buffer) (int, error) {
	if c.conn == nil {
		if err := c.dial(ctx); err != nil {
			return 0, err
		}
	}
	deadline := time.Now().Add(requestTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	c.conn.SetDeadline(deadline)
	c.req = append(c.req[:0], c.prefix...)
	c.req = strconv.AppendInt(c.req, int64(len(body)), 10)
	c.req = append(c.req, "\r\n\r\n"...)
	c.req = append(c.req, body...)
	if _, err := c.conn.Write(c.req); err != nil {
		c.Close()
		return 0, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.Close()
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, err
	}
	dst.Reset()
	_, err = dst.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		c.Close()
		return resp.StatusCode, err
	}
	if resp.Close {
		c.Close()
	}
	return resp.StatusCode, nil
}

func (c *benchConn) dial(ctx context.Context) error {
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return err
	}
	if c.tlsConf != nil {
		tc := tls.Client(conn, c.tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return err
		}
		conn = tc
	}
	c.conn = conn
	if c.br == nil {
		c.br = bufio.NewReaderSize(conn, 64<<10)
	} else {
		c.br.Reset(conn)
	}
	// Cancelling ctx (the bench's time limit, an interrupt) ends a request
	// in flight instead of waiting for its deadline.
	c.stop = context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	return nil
}

// Close closes the connection, if open.
func (c *benchConn) Close() error {
	if c.conn == nil {
		return nil
	}
	c.stop()
	err := c.conn.Close()
	c.conn = nil
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

var _ io.Closer = (*benchConn)(nil)

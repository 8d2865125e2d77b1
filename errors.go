package allot

import (
	"errors"
	"fmt"
	"strings"
)

// Application error codes. Transports map each code to one status (HTTP: see
// httpapi); messages are for users and say how to fix the problem.
const (
	EINVALID  = "invalid" // the request or config is malformed; see Problems
	ENOTFOUND = "not_found"
	ECONFLICT = "conflict"
	EINTERNAL = "internal" // a bug or an outage; logged, never shown in detail
)

// Error is allot's one application error type.
type Error struct {
	Code    string
	Message string
	// Problems lists field-level problems for EINVALID.
	Problems Problems
}

func (e *Error) Error() string {
	if len(e.Problems) > 0 {
		return e.Message + ": " + e.Problems.Error()
	}
	return e.Message
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err's *Error, EINTERNAL for any other error and
// "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// Problem is one validation problem at a field path such as
// "regions[0].queues[3].policy".
type Problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (p Problem) String() string { return p.Path + ": " + p.Message }

// Problems collects every validation problem rather than stopping at the first.
// A nil Problems means valid.
type Problems []Problem

// Add records a problem at path.
func (ps *Problems) Add(path, msg string) { *ps = append(*ps, Problem{Path: path, Message: msg}) }

// AddAll records qs with prefix prepended to their paths.
func (ps *Problems) AddAll(prefix string, qs Problems) {
	for _, q := range qs {
		p := q.Path
		switch {
		case prefix == "":
		case p == "":
			p = prefix
		case p[0] == '[':
			p = prefix + p
		default:
			p = prefix + "." + p
		}
		*ps = append(*ps, Problem{Path: p, Message: q.Message})
	}
}

func (ps Problems) Error() string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Err returns nil when there are no problems, else an EINVALID *Error.
func (ps Problems) Err(msg string) error {
	if len(ps) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: msg, Problems: ps}
}

package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/allot/allot"
	"github.com/allot/allot/node"
)

func init() {
	// huma reports a missing required property at its parent ("body");
	// name the property itself ("body.type"), as every other problem does.
	// (A global of huma's: this package is the process's only huma API.)
	newError := huma.NewError
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		se := newError(status, msg, errs...)
		if m, ok := se.(*huma.ErrorModel); ok {
			for _, d := range m.Errors {
				if d == nil {
					continue
				}
				if name, ok := strings.CutPrefix(d.Message, "expected required property "); ok {
					if name, ok = strings.CutSuffix(name, " to be present"); ok {
						d.Location = under(d.Location, name)
					}
				}
			}
		}
		return se
	}
}

// statusOf is the one table from application error codes to HTTP statuses.
// Every other code (allot.EINTERNAL, a plain error) is a 500 whose detail is
// logged, never shown.
var statusOf = map[string]int{
	allot.EINVALID:    http.StatusUnprocessableEntity,
	allot.ENOTFOUND:   http.StatusNotFound,
	allot.ECONFLICT:   http.StatusConflict,
	node.EUNAVAILABLE: http.StatusServiceUnavailable,
}

// locator turns the path of an allot.Problem into the location reported in
// problem+json ("body.attributes.score", "config.rules[2].queue").
type locator func(path string) string

// inBody reports problem paths relative to the request body.
func inBody(path string) string { return under("body", path) }

// under joins a location prefix and a problem path.
func under(prefix, path string) string {
	switch {
	case path == "":
		return prefix
	case path[0] == '[':
		return prefix + path
	default:
		return prefix + "." + path
	}
}

// located reports whether path already names a request location.
func located(path string) bool {
	for _, p := range []string{"body", "path", "query", "header"} {
		if path == p || strings.HasPrefix(path, p+".") || strings.HasPrefix(path, p+"[") {
			return true
		}
	}
	return false
}

// configLocator maps the paths of a whole-config validation (regions[0]...)
// so that the object the request edits (at objPath, e.g.
// "regions[0].agents[3]"; "" for none) is reported under body and everything
// else under config.
func configLocator(objPath *string) locator {
	return func(p string) string {
		if located(p) {
			return p
		}
		if objPath != nil && *objPath != "" {
			if p == *objPath {
				return "body"
			}
			if rest, ok := strings.CutPrefix(p, *objPath); ok && (rest[0] == '.' || rest[0] == '[') {
				return under("body", strings.TrimPrefix(rest, "."))
			}
		}
		if rest, ok := strings.CutPrefix(p, "regions[0]"); ok {
			return under("config", strings.TrimPrefix(rest, "."))
		}
		return under("config", p)
	}
}

// regionBodyLocator maps whole-config paths when the body is the region.
func regionBodyLocator(p string) string {
	if located(p) {
		return p
	}
	if rest, ok := strings.CutPrefix(p, "regions[0]"); ok {
		return under("body", strings.TrimPrefix(rest, "."))
	}
	return under("body", p)
}

// problem converts err into the problem+json error huma writes: allot codes
// through statusOf, EINVALID problems one per entry of errors, and anything
// unexpected as a generic 500 after logging it.
func (a *API) problem(ctx context.Context, err error, loc locator) huma.StatusError {
	var se huma.StatusError
	if errors.As(err, &se) {
		return se
	}
	if loc == nil {
		loc = inBody
	}
	var ae *allot.Error
	if errors.As(err, &ae) {
		if status, ok := statusOf[ae.Code]; ok {
			details := make([]error, 0, len(ae.Problems))
			for _, p := range ae.Problems {
				l := p.Path
				if p.Path == "Idempotency-Key" {
					l = "header.Idempotency-Key"
				} else {
					l = loc(l)
				}
				details = append(details, &huma.ErrorDetail{Location: l, Message: p.Message})
			}
			return huma.NewError(status, ae.Message, details...)
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return huma.NewError(http.StatusServiceUnavailable, "the request was cancelled or timed out before it completed; retry")
	}
	a.log.ErrorContext(ctx, "internal error", "err", err)
	return huma.NewError(http.StatusInternalServerError, "internal error; the server log has the details")
}

// invalid builds a 422 from problems whose paths are already locations.
func invalid(msg string, ps allot.Problems) huma.StatusError {
	details := make([]error, len(ps))
	for i, p := range ps {
		details[i] = &huma.ErrorDetail{Location: p.Path, Message: p.Message}
	}
	return huma.NewError(http.StatusUnprocessableEntity, msg, details...)
}

// notFound is the one answer for a region the token may not see and for a
// region that does not exist, so that neither reveals the other.
func notFoundRegion(id string) huma.StatusError {
	return huma.NewError(http.StatusNotFound, fmt.Sprintf("no region %q", id))
}

func forbidden(msg string) huma.StatusError { return huma.NewError(http.StatusForbidden, msg) }

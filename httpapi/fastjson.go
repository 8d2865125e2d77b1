package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"github.com/allot/allot"
)

// The answers of item creation are the server's hottest output: every item
// created answers its decision with the full explanation (50 candidates for
// a queue of 50). Encoding them with encoding/json's reflection cost more
// CPU than deciding them. The types below write themselves by hand, byte for
// byte what encoding/json writes (huma's encoder: HTML characters not
// escaped, a trailing newline); TestFastJSONMatchesEncodingJSON holds them
// to that. A bulk answer is written in pieces as it is encoded. Anything unusual (a GET item's history, a problem, a time outside
// the years 0–9999) falls back to encoding/json for that value.

// jsonAppender is a response body that encodes itself: it writes itself
// to w, using buf (returned, perhaps grown) for its bytes.
type jsonAppender interface {
	writeJSON(w io.Writer, buf []byte) ([]byte, error)
}

var _ jsonAppender = Item{}
var _ jsonAppender = BulkOutput{}

// jsonFormat is huma's JSON format with the fast path for jsonAppender.
var jsonFormat = huma.Format{
	Marshal: func(w io.Writer, v any) error {
		if a, ok := v.(jsonAppender); ok {
			bp := bufPool.Get().(*[]byte)
			b, err := a.writeJSON(w, (*bp)[:0])
			if cap(b) <= maxPooledBuf {
				*bp = b
				bufPool.Put(bp)
			}
			return err
		}
		return huma.DefaultJSONFormat.Marshal(w, v)
	},
	Unmarshal: huma.DefaultJSONFormat.Unmarshal,
}

// Answers are written in pieces of about flushAt bytes, so that a bulk
// answer (a few MB) needs no buffer of its size.
const (
	flushAt      = 32 << 10
	maxPooledBuf = 256 << 10
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, flushAt*2); return &b }}

func (it Item) writeJSON(w io.Writer, b []byte) ([]byte, error) {
	b, err := it.appendJSON(b)
	if err != nil {
		return b, err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return b, err
}

// appendStd appends v as encoding/json writes it with HTML escaping off,
// without the trailing newline.
func appendStd(b []byte, v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return b, err
	}
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})...), nil
}

func (it Item) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"id":`...)
	b = appendString(b, it.ID)
	b = append(b, `,"type":`...)
	b = appendString(b, it.Type)
	if it.ExternalID != "" {
		b = append(b, `,"external_id":`...)
		b = appendString(b, it.ExternalID)
	}
	if len(it.Attributes) > 0 {
		b = append(b, `,"attributes":`...)
		if b, err = appendStd(b, it.Attributes); err != nil {
			return b, err
		}
	}
	b = append(b, `,"score":`...)
	b = strconv.AppendInt(b, int64(it.Score), 10)
	if it.Tier != "" {
		b = append(b, `,"tier":`...)
		b = appendString(b, it.Tier)
	}
	b = append(b, `,"priority":`...)
	b = strconv.AppendInt(b, int64(it.Priority), 10)
	b = append(b, `,"created_at":`...)
	if b, err = appendTime(b, it.CreatedAt); err != nil {
		return b, err
	}
	if it.DueAt != nil {
		b = append(b, `,"due_at":`...)
		if b, err = appendTime(b, *it.DueAt); err != nil {
			return b, err
		}
	}
	b = append(b, `,"status":`...)
	b = appendString(b, string(it.Status))
	for _, f := range [...]struct{ name, v string }{{"queue", it.Queue}, {"owner", it.Owner}, {"rule", it.Rule}} {
		if f.v != "" {
			b = append(b, `,"`...)
			b = append(b, f.name...)
			b = append(b, `":`...)
			b = appendString(b, f.v)
		}
	}
	if it.Decision != nil {
		b = append(b, `,"decision":`...)
		if b, err = appendDecision(b, it.Decision); err != nil {
			return b, err
		}
	}
	if len(it.History) > 0 {
		b = append(b, `,"history":`...)
		if b, err = appendStd(b, it.History); err != nil {
			return b, err
		}
	}
	if it.Explanation != nil {
		b = append(b, `,"explanation":`...)
		b = appendExplanation(b, it.Explanation)
	}
	return append(b, '}'), nil
}

func (o BulkOutput) writeJSON(w io.Writer, b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"results":`...)
	if o.Results == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range o.Results {
			r := &o.Results[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"index":`...)
			b = strconv.AppendInt(b, int64(r.Index), 10)
			b = append(b, `,"status":`...)
			b = strconv.AppendInt(b, int64(r.Status), 10)
			if r.Item != nil {
				b = append(b, `,"item":`...)
				if b, err = r.Item.appendJSON(b); err != nil {
					return b, err
				}
			}
			if r.Problem != nil {
				b = append(b, `,"problem":`...)
				if b, err = appendStd(b, r.Problem); err != nil {
					return b, err
				}
			}
			b = append(b, '}')
			if len(b) >= flushAt {
				if _, err := w.Write(b); err != nil {
					return b, err
				}
				b = b[:0]
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"created":`...)
	b = strconv.AppendInt(b, int64(o.Created), 10)
	b = append(b, `,"existing":`...)
	b = strconv.AppendInt(b, int64(o.Existing), 10)
	b = append(b, `,"failed":`...)
	b = strconv.AppendInt(b, int64(o.Failed), 10)
	b = append(b, "}\n"...)
	_, err = w.Write(b)
	return b, err
}

func appendDecision(b []byte, d *allot.Decision) ([]byte, error) {
	var err error
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, d.Seq, 10)
	b = append(b, `,"at":`...)
	if b, err = appendTime(b, d.At); err != nil {
		return b, err
	}
	b = append(b, `,"kind":`...)
	b = appendString(b, string(d.Kind))
	b = append(b, `,"item":`...)
	b = appendString(b, d.Item)
	for _, f := range [...]struct{ name, v string }{{"agent", d.Agent}, {"from", d.From}, {"queue", d.Queue}} {
		if f.v != "" {
			b = append(b, `,"`...)
			b = append(b, f.name...)
			b = append(b, `":`...)
			b = appendString(b, f.v)
		}
	}
	b = append(b, `,"cause":`...)
	b = appendString(b, d.Cause)
	if d.ConfigVersion != 0 {
		b = append(b, `,"config_version":`...)
		b = strconv.AppendUint(b, d.ConfigVersion, 10)
	}
	if d.Explanation != nil {
		b = append(b, `,"explanation":`...)
		b = appendExplanation(b, d.Explanation)
	}
	return append(b, '}'), nil
}

func appendExplanation(b []byte, x *allot.Explanation) []byte {
	b = append(b, '{')
	comma := false
	field := func(name string) {
		if comma {
			b = append(b, ',')
		}
		comma = true
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `":`...)
	}
	if x.Rule != "" {
		field("rule")
		b = appendString(b, x.Rule)
	}
	if rl := x.ScoringRules; rl.Len() > 0 {
		field("scoring_rules")
		b = append(b, '[')
		for i := range rl.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, rl.At(i))
		}
		b = append(b, ']')
	}
	field("score")
	b = strconv.AppendInt(b, int64(x.Score), 10)
	if x.Tier != "" {
		field("tier")
		b = appendString(b, x.Tier)
	}
	if x.Queue != "" {
		field("queue")
		b = appendString(b, x.Queue)
	}
	if x.Policy != "" {
		field("policy")
		b = appendString(b, string(x.Policy))
	}
	if x.Sticky {
		field("sticky")
		b = append(b, "true"...)
	}
	if cs := x.Candidates; cs.Len() > 0 {
		field("candidates")
		b = append(b, '[')
		for i := range cs.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"agent":`...)
			b = appendString(b, cs.Agent(i))
			if rj, ok := cs.Rejected(i); ok {
				if rj.Filter != "" {
					b = append(b, `,"filter":`...)
					b = appendString(b, rj.Filter)
				}
				if rj.Reason != "" {
					b = append(b, `,"reason":`...)
					b = appendString(b, rj.Reason)
				}
			}
			if vs := cs.ScoreValues(i); len(vs) > 0 {
				b = append(b, `,"scores":[`...)
				for j, v := range vs {
					if j > 0 {
						b = append(b, ',')
					}
					b = append(b, `{"scorer":`...)
					b = appendString(b, cs.Names.Scorers[j])
					b = append(b, `,"value":`...)
					b = strconv.AppendInt(b, v, 10)
					b = append(b, '}')
				}
				b = append(b, ']')
			}
			if cs.IsChosen(i) {
				b = append(b, `,"chosen":true`...)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if x.Reason != "" {
		field("reason")
		b = appendString(b, x.Reason)
	}
	return append(b, '}')
}

// appendTime writes t as time.Time's MarshalJSON does (RFC 3339 with
// nanoseconds, quoted); years outside 0–9999 go through it for its error.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		return appendStd(b, t)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

const hexDigits = "0123456789abcdef"

// appendString is encoding/json's string encoding with HTML escaping off.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// maxRowsPerInsert is the largest number of rows one multi-row INSERT
// carries. A group commit inserts hundreds of rows per table; one statement
// per row cost more in statement overhead (the driver's per-call work, the
// VDBE's start and reset) than the rows themselves.
const maxRowsPerInsert = 64

// multiInsert is an INSERT of n rows, "prefix (?, ...), (?, ...) suffix",
// prepared on the writer connection for every row count chunks uses:
// maxRowsPerInsert and the powers of two below it, seven statements. They
// are prepared when the store opens: the writer pool's only connection is
// held by the transaction while the inserts run.
type multiInsert struct {
	prefix string // INSERT INTO t (a, b) VALUES
	row    string // (?, ?)
	suffix string // ON CONFLICT ... / RETURNING ...; may be empty
	cols   int    // placeholders per row

	stmts map[int]*sql.Stmt // by row count; read-only once prepared
}

func newMultiInsert(prefix, row, suffix string) *multiInsert {
	return &multiInsert{prefix: prefix, row: row, suffix: suffix, cols: strings.Count(row, "?"), stmts: map[int]*sql.Stmt{}}
}

// query returns the statement text for n rows.
func (m *multiInsert) query(n int) string {
	var b strings.Builder
	b.Grow(len(m.prefix) + n*(len(m.row)+2) + len(m.suffix) + 2)
	b.WriteString(m.prefix)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(m.row)
	}
	if m.suffix != "" {
		b.WriteByte(' ')
		b.WriteString(m.suffix)
	}
	return b.String()
}

// prepare prepares the statement of every row count on db.
func (m *multiInsert) prepare(ctx context.Context, db *sql.DB) error {
	for n := maxRowsPerInsert; n >= 1; n /= 2 {
		st, err := db.PrepareContext(ctx, m.query(n))
		if err != nil {
			return fmt.Errorf("sqlite: prepare a %d-row insert: %w", n, err)
		}
		m.stmts[n] = st
	}
	return nil
}

func (m *multiInsert) close() []error {
	var errs []error
	for _, st := range m.stmts {
		errs = append(errs, st.Close())
	}
	return errs
}

// chunks splits n rows into statement sizes: maxRowsPerInsert while that
// many remain, then the largest power of two that fits, down to 1.
func chunks(n int) []int {
	var out []int
	for n > 0 {
		k := maxRowsPerInsert
		for k > n {
			k /= 2
		}
		out = append(out, k)
		n -= k
	}
	return out
}

// insertRows inserts rows (each m.cols arguments) with as few statements as
// chunks allows. When scan is non-nil the statement returns rows (RETURNING)
// and scan is called for each. When a chunk fails, its rows are inserted
// again one by one so that the error names the row that caused it: each
// statement is atomic, so the failed chunk left nothing behind. rowErr maps
// a failed row's error (row index into rows).
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, m *multiInsert, rows [][]any,
	scan func(*sql.Rows) error, rowErr func(i int, err error) error) error {
	args := make([]any, 0, min(len(rows), maxRowsPerInsert)*m.cols)
	lo := 0
	for _, n := range chunks(len(rows)) {
		args = args[:0]
		for _, r := range rows[lo : lo+n] {
			args = append(args, r...)
		}
		if err := s.execChunk(ctx, tx, m, n, args, scan); err != nil {
			if n > 1 {
				for i := lo; i < lo+n; i++ {
					if err := s.execChunk(ctx, tx, m, 1, rows[i], scan); err != nil {
						return rowErr(i, err)
					}
				}
			}
			return rowErr(lo, err)
		}
		lo += n
	}
	return nil
}

func (s *Store) execChunk(ctx context.Context, tx *sql.Tx, m *multiInsert, n int, args []any, scan func(*sql.Rows) error) error {
	txst := tx.StmtContext(ctx, m.stmts[n])
	if scan == nil {
		_, err := txst.ExecContext(ctx, args...)
		return err
	}
	rs, err := txst.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		if err := scan(rs); err != nil {
			return err
		}
	}
	return rs.Err()
}

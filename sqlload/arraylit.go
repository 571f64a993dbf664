package sqlload

import (
	"strconv"
	"sync"
)

// Array parameters as text literals ('{"a","b"}'), sent in text format as
// pgbench sends its parameters. pgx encodes a Go slice element by element,
// boxing each one in an interface (an allocation per job and column); a
// literal built in one reused buffer costs a single allocation per batch.
// The server parses the literal with array_in, which is what it does for
// pgbench's parameters too.

// literalBuf is a reusable buffer for a batch's array literals.
type literalBuf struct {
	b   []byte
	doc []byte // one job document before quoting
}

var literalBufs = sync.Pool{New: func() any { return &literalBuf{b: make([]byte, 0, 4096), doc: make([]byte, 0, 256)} }}

func getLiteralBuf() *literalBuf { return literalBufs.Get().(*literalBuf) }

func putLiteralBuf(l *literalBuf) {
	// A huge batch's buffer is not worth keeping.
	if cap(l.b) <= 1<<20 {
		literalBufs.Put(l)
	}
}

// enqueueArrays returns the skiplocked enqueue's four array parameters
// (queues text[], priorities smallint[], run_at timestamptz[] with NULL for
// "now", documents jsonb[]) as literals, sharing one string allocation.
func (l *literalBuf) enqueueArrays(jobs []NewJob) (queues, prios, runAt, docs string) {
	b := l.b[:0]
	var ends [4]int
	b = append(b, '{')
	for i := range jobs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendQuoted(b, jobs[i].Queue)
	}
	b = append(b, '}')
	ends[0] = len(b)
	b = append(b, '{')
	for i := range jobs {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(jobs[i].Priority), 10)
	}
	b = append(b, '}')
	ends[1] = len(b)
	b = append(b, '{')
	for i := range jobs {
		if i > 0 {
			b = append(b, ',')
		}
		if jobs[i].RunAt.IsZero() {
			b = append(b, "NULL"...)
			continue
		}
		b = append(b, '"')
		b = jobs[i].RunAt.UTC().AppendFormat(b, timestampLayout)
		b = append(b, '"')
	}
	b = append(b, '}')
	ends[2] = len(b)
	b = append(b, '{')
	for i := range jobs {
		if i > 0 {
			b = append(b, ',')
		}
		l.doc = AppendPayload(l.doc[:0], &jobs[i])
		b = appendQuoted(b, l.doc)
	}
	b = append(b, '}')
	ends[3] = len(b)
	l.b = b
	s := string(b)
	return s[:ends[0]], s[ends[0]:ends[1]], s[ends[1]:ends[2]], s[ends[2]:ends[3]]
}

// idsLiteral returns the jobs' IDs as a bigint[] literal.
func (l *literalBuf) idsLiteral(jobs []*Job) string {
	b := append(l.b[:0], '{')
	for i, j := range jobs {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, j.ID, 10)
	}
	b = append(b, '}')
	l.b = b
	return string(b)
}

// timestampLayout is a timestamptz input Postgres reads exactly, to the
// microsecond (its own resolution).
const timestampLayout = "2006-01-02 15:04:05.999999Z07:00"

// appendQuoted appends s as one double-quoted array element, backslash
// escaping quotes and backslashes as array_in expects.
func appendQuoted[S string | []byte](b []byte, s S) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', c)
			start = i + 1
		}
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

package skiplocked

import (
	"strconv"
	"sync"

	"github.com/pgqtune/pgqtune/sqlload"
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
func (l *literalBuf) enqueueArrays(jobs []sqlload.NewJob) (queues, prios, runAt, docs string) {
	a := l.enqueueArrayBytes(jobs)
	s := string(l.b)
	n0, n1, n2 := len(a[0]), len(a[0])+len(a[1]), len(a[0])+len(a[1])+len(a[2])
	return s[:n0], s[n0:n1], s[n1:n2], s[n2:]
}

// enqueueArrayBytes is enqueueArrays without the string copy: the four
// literals are consecutive slices of the buffer, valid until its next use.
func (l *literalBuf) enqueueArrayBytes(jobs []sqlload.NewJob) [4][]byte {
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
		l.doc = sqlload.AppendPayload(l.doc[:0], &jobs[i])
		b = appendQuoted(b, l.doc)
	}
	b = append(b, '}')
	ends[3] = len(b)
	l.b = b
	return [4][]byte{b[:ends[0]], b[ends[0]:ends[1]], b[ends[1]:ends[2]], b[ends[2]:ends[3]]}
}

// idsLiteralBytes returns the jobs' IDs as a bigint[] literal in the
// buffer, valid until its next use.
func (l *literalBuf) idsLiteralBytes(jobs []*sqlload.Job) []byte {
	b := append(l.b[:0], '{')
	for i, j := range jobs {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, j.ID, 10)
	}
	b = append(b, '}')
	l.b = b
	return b
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

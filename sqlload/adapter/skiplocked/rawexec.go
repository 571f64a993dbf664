package skiplocked

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/pgqtune/pgqtune/sqlload"
)

// The adapter's hot statements (enqueue, claim, complete) go through pgconn
// with parameters already encoded as text and results read as raw binary
// columns. pgx's own path costs, per call, a statement-cache lookup keyed by
// the whole SQL text, an encode plan per argument, a scan plan per column
// and, for a batch, its pipeline bookkeeping: measured on the closed-loop
// bench that was over a tenth of the driver's user CPU. The SQL text, the
// round trips and the transaction boundaries are the same as before: one
// Bind/Execute per statement, one Sync per call (so a batch still commits
// once).

// preparedSQL is a statement prepared under a fixed name on each pooled
// connection the first time that connection runs it (pgx.Conn.Prepare
// remembers it per connection, so later calls are a map lookup).
type preparedSQL struct {
	name, sql string
}

func newPreparedSQL(sql string) preparedSQL {
	h := fnv.New64a()
	_, _ = h.Write([]byte(sql))
	return preparedSQL{name: fmt.Sprintf("pgqtune_%016x", h.Sum64()), sql: sql}
}

// prepareOn makes sure the statement exists on c and returns its
// description (result columns included: a Bind of it needs no Describe).
func (p preparedSQL) prepareOn(ctx context.Context, c *pgx.Conn) (*pgconn.StatementDescription, error) {
	sd, err := c.Prepare(ctx, p.name, p.sql)
	if err != nil {
		return nil, prepareError{err}
	}
	return sd, nil
}

// prepareError marks a failed Parse as safe to retry: preparing changes no
// data, so the driver may send the call again whatever became of the
// connection (without this, a connection dying during the Parse would read
// as an enqueue of unknown outcome). An error the server returned keeps its
// class: classify looks for the *pgconn.PgError first.
type prepareError struct{ err error }

func (e prepareError) Error() string     { return "prepare: " + e.err.Error() }
func (e prepareError) Unwrap() error     { return e.err }
func (e prepareError) SafeToRetry() bool { return true }

// binaryResults asks for every result column in binary format.
var binaryResults = []int16{pgtype.BinaryFormatCode}

// claimedColumns are the OIDs readClaimed decodes, in the claim's RETURNING
// order: id, seq, intended time (µs), attempts, run_at, redelivered.
var claimedColumns = [6]uint32{pgtype.Int8OID, pgtype.Int8OID, pgtype.Int8OID, pgtype.Int4OID, pgtype.TimestamptzOID, pgtype.BoolOID}

// pgEpochMicros is 2000-01-01 UTC, where a binary timestamptz counts its
// microseconds from, in Unix microseconds.
const pgEpochMicros = 946684800 * 1000000

// readClaimed reads the claim's RETURNING rows (binary format) into one
// allocation of at most limit jobs.
func readClaimed(rr *pgconn.ResultReader, queue string, limit int) ([]*sqlload.Job, error) {
	fields := rr.FieldDescriptions()
	if len(fields) != len(claimedColumns) {
		_, _ = rr.Close()
		return nil, fmt.Errorf("claim returned %d columns, want %d", len(fields), len(claimedColumns))
	}
	for i, f := range fields {
		if f.DataTypeOID != claimedColumns[i] || f.Format != pgtype.BinaryFormatCode {
			_, _ = rr.Close()
			return nil, fmt.Errorf("claim column %d (%s) has type OID %d format %d, want OID %d in binary", i+1, f.Name, f.DataTypeOID, f.Format, claimedColumns[i])
		}
	}
	jobs := make([]sqlload.Job, 0, max(limit, 0))
	out := make([]*sqlload.Job, 0, max(limit, 0))
	for rr.NextRow() {
		v := rr.Values()
		for i, col := range v {
			if col == nil {
				_, _ = rr.Close()
				return nil, fmt.Errorf("claim column %d (%s) is NULL", i+1, fields[i].Name)
			}
		}
		if len(v[0]) != 8 || len(v[1]) != 8 || len(v[2]) != 8 || len(v[3]) != 4 || len(v[4]) != 8 || len(v[5]) != 1 {
			_, _ = rr.Close()
			return nil, fmt.Errorf("claim row has a binary value of the wrong length")
		}
		jobs = append(jobs, sqlload.Job{
			Queue:       queue,
			ID:          int64(binary.BigEndian.Uint64(v[0])),
			Seq:         int64(binary.BigEndian.Uint64(v[1])),
			IntendedAt:  time.UnixMicro(int64(binary.BigEndian.Uint64(v[2]))),
			Attempt:     int(int32(binary.BigEndian.Uint32(v[3]))),
			ReadyAt:     time.UnixMicro(int64(binary.BigEndian.Uint64(v[4])) + pgEpochMicros),
			Redelivered: v[5][0] != 0,
		})
		out = append(out, &jobs[len(jobs)-1])
	}
	if _, err := rr.Close(); err != nil {
		return nil, err
	}
	return out, nil
}

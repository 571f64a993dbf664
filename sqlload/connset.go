package sqlload

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// connSet is every connection the workload's pool dialed, so the driver can
// interrupt all calls in flight at once when its handler context ends.
//
// Why not let each call watch that context: pgconn registers a
// context.AfterFunc on every call's context (and makes a channel) and
// removes it when the call returns; with eight workers on one context that
// was a twentieth of the driver's CPU per job, spent on a lock all workers
// share. Calls of an adapter whose connections all come from the pool
// (PoolOnly) get a context that never ends instead (workerCtx), and the
// one interrupt does what the watchers did: a deadline in the past on every
// connection, which fails the read or write in progress as a cancelled
// context would. A worker's dial in progress is cancelled and later ones
// are refused; other dials (the integrity check that follows) go ahead.
type connSet struct {
	mu    sync.Mutex
	conns map[*trackedConn]struct{}
	// stop ends when the set is interrupted.
	stop context.Context
	cut  context.CancelFunc
}

func newConnSet() *connSet {
	s := &connSet{conns: map[*trackedConn]struct{}{}}
	s.stop, s.cut = context.WithCancel(context.Background())
	return s
}

// workerCall marks the contexts of the workers' calls (workerCtx).
type workerCall struct{}

// workerCtx is parent without its end (its values kept), marked as a
// worker's: the set's interrupt stands for that end.
func workerCtx(parent context.Context) context.Context {
	return context.WithValue(context.WithoutCancel(parent), workerCall{}, true)
}

// errInterrupted is what a worker's dial returns once the run has been
// interrupted.
var errInterrupted = errors.New("sqlload: the run's database calls were interrupted")

// dialer wraps dial so its connections join the set (and read and write
// with raw system calls, rawio_linux.go).
func (s *connSet) dialer(dial pgconn.DialFunc) pgconn.DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if ctx.Value(workerCall{}) != nil {
			if s.stop.Err() != nil {
				return nil, errInterrupted
			}
			dctx, cancel := context.WithCancel(ctx)
			defer cancel()
			defer context.AfterFunc(s.stop, cancel)()
			ctx = dctx
		}
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		t := &trackedConn{Conn: wrapRawIO(c), set: s}
		s.mu.Lock()
		s.conns[t] = struct{}{}
		s.mu.Unlock()
		return t, nil
	}
}

// interrupt fails every call in progress on the set's connections, and
// the workers' dials.
func (s *connSet) interrupt() {
	s.cut()
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		_ = c.SetDeadline(time.Unix(1, 0))
	}
}

// trackedConn leaves its set when closed.
type trackedConn struct {
	net.Conn
	set *connSet
}

func (c *trackedConn) Close() error {
	c.set.mu.Lock()
	delete(c.set.conns, c)
	c.set.mu.Unlock()
	return c.Conn.Close()
}

// PoolOnly is an optional capability of adapters that reach the database
// through the run's pool (Config.Pool) alone: interrupting the pool's
// connections at the run's end interrupts them, so their calls get a
// context that never ends (workerCtx) and pgconn does not watch a context
// per call. The driver checks for it once per run.
type PoolOnly interface {
	// PoolOnly does nothing: implementing it is the promise.
	PoolOnly()
}

package sqlload

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// waker wakes every idle consumer at once: wait returns a channel that is
// closed by the next wake.
type waker struct {
	mu sync.Mutex
	ch chan struct{}
}

func newWaker() *waker { return &waker{ch: make(chan struct{})} }

func (w *waker) wait() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ch
}

func (w *waker) wake() {
	w.mu.Lock()
	defer w.mu.Unlock()
	close(w.ch)
	w.ch = make(chan struct{})
}

// listen holds one LISTEN session on channel and wakes consumers on every
// notification, reconnecting when the session dies.
func (d *driver) listen(ctx context.Context, channel string) {
	for ctx.Err() == nil {
		if err := d.listenOnce(ctx, channel); err != nil && ctx.Err() == nil {
			d.c.errors.Add(1)
			d.retried("LISTEN session reconnected", err)
			sleepCtx(ctx, 200*time.Millisecond)
		}
	}
}

func (d *driver) listenOnce(ctx context.Context, channel string) error {
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The session is left LISTENing: take it out of the pool for good.
	c := conn.Hijack()
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	for {
		if _, err := c.WaitForNotification(ctx); err != nil {
			return err
		}
		d.wake.wake()
	}
}

package collect

import (
	"context"
	_ "embed"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/runrec"
)

var (
	//go:embed sql/settings.sql
	settingsSQL string
	//go:embed sql/reloptions.sql
	reloptionsSQL string
)

// readSettings returns the tracked settings.
func readSettings(ctx context.Context, e *env) (map[string]string, error) {
	rows, err := e.conn.Query(ctx, settingsSQL)
	if err != nil {
		return nil, fmt.Errorf("read pg_settings: %w", err)
	}
	out := map[string]string{}
	var k, v string
	_, err = pgx.ForEachRow(rows, []any{&k, &v}, func() error {
		out[k] = v
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read pg_settings: %w", err)
	}
	return out, nil
}

// settingsCollector records the tracked settings on the first tick and
// then only those that changed (a reload mid-run), and the queue tables'
// reloptions likewise.
//
// Reading pg_settings costs more than every other view together, so it is
// re-read only when the configuration was reloaded (pg_conf_load_time()
// moved); reloptions are re-read every relOptionsEvery ticks.
type settingsCollector struct {
	prev     map[string]string
	prevRel  map[string][]string
	loadTime time.Time
	ticks    int
}

// relOptionsEvery is how often (in ticks) queue tables' reloptions are read.
const relOptionsEvery = 10

func (*settingsCollector) name() string { return "settings" }

// forget keeps the last values: a setting that did not change across a
// reconnect is not news.
func (*settingsCollector) forget() {}

func (c *settingsCollector) collect(ctx context.Context, e *env, smp *runrec.Sample) error {
	c.ticks++
	var loaded time.Time
	if err := e.conn.QueryRow(ctx, "SELECT pg_catalog.pg_conf_load_time() /* pgqtune */").Scan(&loaded); err != nil {
		return fmt.Errorf("read pg_conf_load_time: %w", err)
	}
	if c.prev == nil || !loaded.Equal(c.loadTime) {
		if err := c.readChanged(ctx, e, smp); err != nil {
			return err
		}
		c.loadTime = loaded
	}
	if len(e.queueOIDs) == 0 || (c.prevRel != nil && c.ticks%relOptionsEvery != 0) {
		return nil
	}
	return c.readReloptions(ctx, e, smp)
}

// readChanged reads the settings and records those that changed.
func (c *settingsCollector) readChanged(ctx context.Context, e *env, smp *runrec.Sample) error {
	cur, err := readSettings(ctx, e)
	if err != nil {
		return err
	}
	changed := map[string]string{}
	for k, v := range cur {
		if old, ok := c.prev[k]; !ok || old != v {
			changed[k] = v
		}
	}
	for k := range c.prev {
		if _, ok := cur[k]; !ok {
			changed[k] = ""
		}
	}
	c.prev = cur
	if len(changed) > 0 {
		smp.Settings = changed
	}
	return nil
}

// readReloptions records the queue tables' reloptions that changed.
func (c *settingsCollector) readReloptions(ctx context.Context, e *env, smp *runrec.Sample) error {
	rows, err := e.conn.Query(ctx, reloptionsSQL, e.queueOIDs)
	if err != nil {
		return fmt.Errorf("read reloptions: %w", err)
	}
	rel := map[string][]string{}
	var name string
	var opts []string
	_, err = pgx.ForEachRow(rows, []any{&name, &opts}, func() error {
		rel[name] = opts
		return nil
	})
	if err != nil {
		return fmt.Errorf("read reloptions: %w", err)
	}
	for k, v := range rel {
		if old, ok := c.prevRel[k]; !ok || !slices.Equal(old, v) {
			if smp.Reloptions == nil {
				smp.Reloptions = map[string][]string{}
			}
			smp.Reloptions[k] = v
		}
	}
	if rel == nil {
		rel = map[string][]string{}
	}
	c.prevRel = rel
	return nil
}

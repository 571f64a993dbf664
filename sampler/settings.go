package sampler

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

// settingsReading is the settings and the queue tables' reloptions that
// changed since the last tick (all of them on the first). With an error,
// it holds the settings read before the reloptions failed.
type settingsReading struct {
	outcome
	settings   map[string]string
	reloptions map[string][]string
}

func (r settingsReading) record(smp *runrec.Sample) {
	if r.settings != nil {
		smp.Settings = r.settings
	}
	if r.reloptions != nil {
		smp.Reloptions = r.reloptions
	}
}

func (c *settingsCollector) collect(ctx context.Context, e *env) (settingsReading, error) {
	var r settingsReading
	c.ticks++
	var loaded time.Time
	if err := e.conn.QueryRow(ctx, "SELECT pg_catalog.pg_conf_load_time() /* pgqtune */").Scan(&loaded); err != nil {
		return r, fmt.Errorf("read pg_conf_load_time: %w", err)
	}
	if c.prev == nil || !loaded.Equal(c.loadTime) {
		changed, err := c.readChanged(ctx, e)
		if err != nil {
			return r, err
		}
		r.settings = changed
		c.loadTime = loaded
	}
	if len(e.queueOIDs) == 0 || (c.prevRel != nil && c.ticks%relOptionsEvery != 0) {
		return r, nil
	}
	var err error
	r.reloptions, err = c.readReloptions(ctx, e)
	return r, err
}

// readChanged reads the settings and returns those that changed (nil when
// none did).
func (c *settingsCollector) readChanged(ctx context.Context, e *env) (map[string]string, error) {
	cur, err := readSettings(ctx, e)
	if err != nil {
		return nil, err
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
	if len(changed) == 0 {
		return nil, nil
	}
	return changed, nil
}

// readReloptions returns the queue tables' reloptions that changed (nil
// when none did).
func (c *settingsCollector) readReloptions(ctx context.Context, e *env) (map[string][]string, error) {
	rows, err := e.conn.Query(ctx, reloptionsSQL, e.queueOIDs)
	if err != nil {
		return nil, fmt.Errorf("read reloptions: %w", err)
	}
	rel := map[string][]string{}
	var name string
	var opts []string
	_, err = pgx.ForEachRow(rows, []any{&name, &opts}, func() error {
		rel[name] = opts
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read reloptions: %w", err)
	}
	var changed map[string][]string
	for k, v := range rel {
		if old, ok := c.prevRel[k]; !ok || !slices.Equal(old, v) {
			if changed == nil {
				changed = map[string][]string{}
			}
			changed[k] = v
		}
	}
	c.prevRel = rel
	return changed, nil
}

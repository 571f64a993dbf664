package collect

import (
	"context"
	_ "embed"
	"fmt"
	"slices"

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
type settingsCollector struct {
	prev    map[string]string
	prevRel map[string][]string
}

func (*settingsCollector) name() string { return "settings" }

// forget keeps the last values: a setting that did not change across a
// reconnect is not news.
func (*settingsCollector) forget() {}

func (c *settingsCollector) collect(ctx context.Context, e *env, smp *runrec.Sample) error {
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
	if len(e.queueOIDs) == 0 {
		return nil
	}
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
	c.prevRel = rel
	return nil
}

package sqlload

import (
	"context"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// comparability is the record of what makes two runs comparable: if any of
// it differs, their numbers measure different things.
func (d *driver) comparability(ctx context.Context) map[string]any {
	sc := d.sc
	settings := map[string]any{}
	for k, v := range sc.AdapterSettings {
		settings[k] = v
	}
	if ds, ok := d.ad.(Describer); ok {
		for k, v := range ds.Describe() {
			settings[k] = v
		}
	}
	insert := sc.InsertMethod
	if insert == "" {
		if m, ok := settings["insert"].(string); ok {
			insert = m
		} else {
			insert = "adapter default"
		}
	}
	w := map[string]any{
		"scenario":           sc.Name,
		"adapter":            sc.Adapter,
		"adapter_settings":   settings,
		"insert_method":      insert,
		"enqueue_batch":      sc.EnqueueBatch,
		"dequeue_batch":      sc.DequeueBatch,
		"producers":          sc.Producers,
		"consumers":          sc.Consumers,
		"connections":        sc.poolSize(),
		"client_procs":       sc.clientProcs(),
		"queues":             max(sc.Queues, 1),
		"wakeup":             sc.Wakeup,
		"poll_interval":      sc.PollInterval.String(),
		"complete_and_claim": sc.CompleteAndClaim,
		"work_time":          sc.WorkTime.describe(),
		"payload_bytes":      sc.PayloadBytes,
		"failure_rate":       sc.FailureRate,
		"max_attempts":       sc.MaxAttempts,
		"priorities":         sc.Priorities,
		"delayed_share":      sc.Delayed.Share,
		"base_rate":          sc.Rate,
		"schema":             d.schema,
	}
	var profiles []string
	for _, p := range sc.Phases {
		profiles = append(profiles, p.Profile)
	}
	w["profiles"] = profiles
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var version string
	if err := d.pool.QueryRow(qctx, `SELECT current_setting('server_version')`).Scan(&version); err == nil {
		w["server_version"] = version
	}
	rel := map[string][]string{}
	for _, t := range d.ad.Tables() {
		var opts []string
		// to_regclass: a table the adapter has not created yet is skipped.
		err := d.pool.QueryRow(qctx, `SELECT coalesce(reloptions, '{}') FROM pg_catalog.pg_class WHERE oid = to_regclass($1)`, t).Scan(&opts)
		if err == nil {
			rel[t] = opts
		}
	}
	w["reloptions"] = rel
	return w
}

func (dist Dist) describe() string {
	switch dist.Kind {
	case DistUniform:
		return "uniform " + dist.Min.String() + ".." + dist.Max.String()
	case DistExponential:
		return "exponential mean " + dist.Mean.String()
	default:
		return "fixed " + dist.Mean.String()
	}
}

// result assembles the Result once everything has stopped.
func (d *driver) result(workload map[string]any) *Result {
	res := &Result{
		LatencyMs: d.e2eH.percentiles(),
		Operations: map[string]runrec.Percentiles{
			"enqueue":    d.enqH.percentiles(),
			"dequeue":    d.deqH.percentiles(),
			"complete":   d.compH.percentiles(),
			"queue_wait": d.waitH.percentiles(),
			"end_to_end": d.e2eH.percentiles(),
		},
		Phases:         d.spans,
		MaxSustainable: d.maxSustainable,
		Knee:           d.knee,
		Workload:       workload,
		QueueTables:    d.ad.Tables(),
		Enqueued:       d.measEnq.Load(),
		Completed:      d.measComp.Load(),
		Seconds:        round2(time.Since(time.Unix(0, d.measStart.Load())).Seconds()),
	}
	for k, p := range res.Operations {
		if p.Count == 0 {
			delete(res.Operations, k)
		}
	}
	res.Integrity = d.integrity()
	d.mu.Lock()
	res.Notes = append(res.Notes, d.notes...)
	d.mu.Unlock()
	res.Notes = append(res.Notes, d.errorNotes()...)
	return res
}

// integrity lists the queue's pending jobs (retrying for up to 30 s: the
// server may be coming back) and settles the ledger against it.
func (d *driver) integrity() runrec.Integrity {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var pending []int64
	err := retry(ctx, func() error {
		var err error
		pending, err = d.ad.Pending(ctx)
		return err
	}, func(error) bool { return true }, nil)
	in := d.ledger.settle(d.ledger.base, d.seq.Load(), pending)
	if err != nil {
		d.note("integrity: could not list pending jobs (%v): jobs not seen completed are counted as pending, lost and duplicated are unverified", err)
		in.Pending += in.Lost
		in.Lost = 0
	}
	return in
}

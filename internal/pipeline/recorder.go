package pipeline

import (
	"path/filepath"
	"sync"

	"github.com/pgqtune/pgqtune/report/live"
	"github.com/pgqtune/pgqtune/runrec"
)

// recorder appends ticks and samples to the run directory and feeds live
// metrics. The first write error is kept; the run goes on (and the report
// says what was lost) rather than dying mid-load.
type recorder struct {
	mu       sync.Mutex
	workload *runrec.Appender
	samples  *runrec.Appender
	live     *live.Server
	err      error
	// onFail, when set, is called once with the first write error.
	onFail func(error)
}

func newRecorder(dir, metricsAddr string) (*recorder, error) {
	w, err := runrec.NewAppender(filepath.Join(dir, runrec.WorkloadFile), true)
	if err != nil {
		return nil, err
	}
	s, err := runrec.NewAppender(filepath.Join(dir, runrec.SamplesFile), true)
	if err != nil {
		w.Close()
		return nil, err
	}
	r := &recorder{workload: w, samples: s}
	if metricsAddr != "" {
		srv, err := live.Start(metricsAddr)
		if err != nil {
			w.Close()
			s.Close()
			return nil, badInputf("--metrics-addr %s: %v", metricsAddr, err)
		}
		r.live = srv
	}
	return r, nil
}

func (r *recorder) tick(t runrec.WorkloadTick) {
	if err := r.workload.Append(t); err != nil {
		r.fail(err)
	}
	if r.live != nil {
		r.live.Tick(t)
	}
}

func (r *recorder) sample(s runrec.Sample) error {
	if err := r.samples.Append(s); err != nil {
		r.fail(err)
		return err
	}
	if r.live != nil {
		r.live.Sample(s)
	}
	return nil
}

func (r *recorder) findings(n int) {
	if r.live != nil {
		r.live.SetFindings(n)
	}
}

func (r *recorder) fail(err error) {
	r.mu.Lock()
	first := r.err == nil
	if first {
		r.err = err
	}
	r.mu.Unlock()
	if first && r.onFail != nil {
		r.onFail(err)
	}
}

// failed returns the first write error, if any.
func (r *recorder) failed() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *recorder) close() {
	r.workload.Close()
	r.samples.Close()
	if r.live != nil {
		r.live.Close()
	}
}

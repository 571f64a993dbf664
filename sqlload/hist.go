package sqlload

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/pgqtune/pgqtune/runrec"
)

// hist is a latency histogram safe for concurrent use: HDR, microsecond
// resolution, 1 µs to 1 h at 3 significant digits, so its memory is fixed
// (~200 KB) however long the run.
type hist struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
}

const histMax = int64(time.Hour / time.Microsecond)

func newHist() *hist { return &hist{h: hdrhistogram.New(1, histMax, 3)} }

// record adds one observation; values beyond an hour are clamped (they are
// real, and dropping them would flatter the tail).
func (h *hist) record(d time.Duration) {
	us := max(d.Microseconds(), 1)
	h.mu.Lock()
	_ = h.h.RecordValue(min(us, histMax))
	h.mu.Unlock()
}

// recordAll adds a batch of observations under one lock.
func (h *hist) recordAll(ds []time.Duration) {
	h.mu.Lock()
	for _, d := range ds {
		_ = h.h.RecordValue(min(max(d.Microseconds(), 1), histMax))
	}
	h.mu.Unlock()
}

// reset empties the histogram.
func (h *hist) reset() {
	h.mu.Lock()
	h.h.Reset()
	h.mu.Unlock()
}

// percentiles returns the distribution in milliseconds.
func (h *hist) percentiles() runrec.Percentiles {
	h.mu.Lock()
	defer h.mu.Unlock()
	return percentilesOf(h.h)
}

// snapshotReset returns the percentiles and empties the histogram in one
// step (per-tick and per-step histograms).
func (h *hist) snapshotReset() runrec.Percentiles {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := percentilesOf(h.h)
	h.h.Reset()
	return p
}

func percentilesOf(h *hdrhistogram.Histogram) runrec.Percentiles {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return runrec.Percentiles{
		P50:   ms(h.ValueAtQuantile(50)),
		P90:   ms(h.ValueAtQuantile(90)),
		P95:   ms(h.ValueAtQuantile(95)),
		P99:   ms(h.ValueAtQuantile(99)),
		P999:  ms(h.ValueAtQuantile(99.9)),
		Max:   ms(h.Max()),
		Count: h.TotalCount(),
	}
}

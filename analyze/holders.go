package analyze

import "github.com/pgqtune/pgqtune/runrec"

// holdsQueueTables reports whether an xmin holder keeps dead tuples of
// ordinary tables (the queue's) from being removed. A logical slot's
// catalog_xmin holds back only system catalogs: it is recorded, never
// blamed for a queue table's dead tuples.
func holdsQueueTables(h runrec.XminHolder) bool {
	return h.Kind != runrec.XminSlotCatalog
}

// holderAgeS is how long h has held the horizon, in seconds. Slots carry
// no time of their own, and a standby's age is its connection's: both
// are estimated from the horizon's age in transactions over the
// sample's commit rate (an estimate that holds while the rate is steady),
// taking the smaller for a standby.
func holderAgeS(s *runrec.Sample, h runrec.XminHolder) float64 {
	est := 0.0
	if d := s.Database; d != nil && d.XactCommit+d.XactRollback > 0 && h.XminAge > 0 {
		iv := s.IntervalS
		if iv <= 0 {
			iv = 1
		}
		est = float64(h.XminAge) / (float64(d.XactCommit+d.XactRollback) / iv)
	}
	switch h.Kind {
	case runrec.XminSlot:
		if h.AgeS == 0 {
			return est
		}
	case runrec.XminStandby:
		if est > 0 && (h.AgeS == 0 || est < h.AgeS) {
			return est
		}
	}
	return h.AgeS
}

// holderOnCPU reports whether xmin holder h is a session that ran on CPU
// (active with no wait event) in most of the window's samples that list
// it. Such a holder is a CPU hog too; an idle-in-transaction session, a
// prepared transaction or a slot burns no CPU at all.
func (sc *scene) holderOnCPU(w *window, h *runrec.XminHolder) bool {
	if h == nil || h.PID == 0 {
		return false
	}
	seen, onCPU := 0, 0
	for _, s := range sc.windowSamples(w) {
		if s.Activity == nil {
			continue
		}
		for _, b := range s.Activity.NonWorkload {
			if b.PID != h.PID {
				continue
			}
			seen++
			if b.State == "active" && b.WaitEventType == "" {
				onCPU++
			}
		}
	}
	return seen > 0 && 2*onCPU > seen
}

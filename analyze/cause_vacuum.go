package analyze

import (
	"fmt"
	"strings"

	"github.com/pgqtune/pgqtune/runrec"
)

func init() { register(CauseVacuumLag, scoreVacuumLag) }

// scoreVacuumLag: dead tuples piled up past the autovacuum trigger on a
// queue table and no vacuum cleared them, with no xmin holder to blame.
func scoreVacuumLag(sc *scene, w *window) verdict {
	ds := sc.deadTuples(w.I0, w.I1+1)
	dead, worst := sc.deadScore(ds)
	if dead == 0 || worst == nil {
		return verdict{}
	}
	noVac := 1.0
	if worst.Vacuums > 1 && !worst.AutovacuumOff {
		// Vacuum kept running: throttled or not keeping up is still lag,
		// but a weaker case (the one at the window's edge does not count).
		noVac = 0.6
	}
	off := 0.0
	if worst.AutovacuumOff {
		off = 1
	}
	hold := sc.xminHolderScore(w)
	if worst.Vacuums >= 3 && !worst.AutovacuumOff {
		// Vacuum ran again and again and the pile still grew: it is not
		// slow, something keeps the rows visible (short snapshots taken
		// one after another hold the horizon as well as one long one).
		noVac = 0.3
	}
	score := dead * (0.6 + 0.4*off) * noVac * (1 - 0.9*hold)
	v := verdict{Score: score, Objects: []string{worst.Table}}
	d := fmt.Sprintf("n_dead_tup on %s rose from %s to %s (%s live; autovacuum trigger %s)", worst.Table, num(worst.First), num(worst.Last), num(worst.Live), num(worst.Trigger))
	switch {
	case worst.Vacuums > 0:
		d += fmt.Sprintf("; %d vacuums finished but did not keep up", worst.Vacuums)
	case worst.Vacuuming:
		d += "; a vacuum was running but did not finish"
	default:
		d += "; no vacuum ran"
	}
	if worst.LastAutovacuumAgeS > 0 {
		d += fmt.Sprintf(" (last autovacuum %s before)", dur(worst.LastAutovacuumAgeS))
	}
	v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "pg_stat_user_tables.n_dead_tup", Value: worst.Last, Baseline: ptr(worst.First), Detail: d})
	if worst.AutovacuumOff {
		why := "autovacuum is off for the cluster"
		if val, ok := reloption(worst.Reloptions, "autovacuum_enabled"); ok {
			why = fmt.Sprintf("reloptions on %s: autovacuum_enabled=%s", worst.Table, val)
		}
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "reloptions.autovacuum_enabled", Value: 0, Detail: why})
		v.Summary = fmt.Sprintf("autovacuum is disabled on %s and %s dead tuples piled up", worst.Table, num(worst.Growth()))
	} else {
		v.Summary = fmt.Sprintf("autovacuum did not keep up on %s: %s dead tuples piled up", worst.Table, num(worst.Growth()))
		if worst.Vacuums == 0 && !worst.Vacuuming {
			v.Summary = fmt.Sprintf("autovacuum never ran on %s although its threshold (%s dead tuples) was passed: %s dead tuples piled up",
				worst.Table, num(worst.Trigger), num(worst.Growth()))
		}
		if len(worst.Reloptions) > 0 {
			v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "reloptions", Detail: worst.Table + ": " + strings.Join(worst.Reloptions, ", ")})
		}
	}
	if w.Kind == runrec.FindingWholeRun {
		// A slow fault: say how fast it grows and when it will bite.
		g := sc.deadGrowthOver(w, worst.Table)
		if g.PerMin > 0 {
			v.Evidence = append(v.Evidence, g.evidence())
			v.Summary += " (" + g.phrase() + ")"
		}
	}
	return v
}

package runrec

import "maps"

// Normalize returns a copy of rep as report.json carries it: the schema
// version set, times in UTC, every list and map the contract requires
// present (empty, never null) so parsers need no null checks, and figures
// JSON cannot carry (NaN, infinities) replaced, with a note. rep itself is
// not changed.
func Normalize(rep *Report) *Report {
	r := *rep
	if r.SchemaVersion == 0 {
		r.SchemaVersion = SchemaVersion
	}
	if r.Throughput.Unit == "" {
		r.Throughput.Unit = "jobs/s"
	}
	r.Run.StartedAt = r.Run.StartedAt.UTC()
	r.Run.EndedAt = r.Run.EndedAt.UTC()
	r.Run.Settings = maps.Clone(r.Run.Settings)
	if r.Run.Settings == nil {
		r.Run.Settings = map[string]string{}
	}
	r.Throughput.Series = make([]SeriesPoint, len(rep.Throughput.Series))
	for i, p := range rep.Throughput.Series {
		p.T = p.T.UTC()
		r.Throughput.Series[i] = p
	}
	if len(rep.Phases) > 0 {
		r.Phases = make([]PhaseResult, len(rep.Phases))
		for i, p := range rep.Phases {
			p.Start, p.End = p.Start.UTC(), p.End.UTC()
			r.Phases[i] = p
		}
	}
	r.Throughput.Operations = maps.Clone(rep.Throughput.Operations)
	r.Findings = make([]Finding, len(rep.Findings))
	for i, f := range rep.Findings {
		f.Start, f.End = f.Start.UTC(), f.End.UTC()
		f.Evidence = orEmpty(append([]Evidence(nil), f.Evidence...))
		f.Alternatives = append([]CauseScore(nil), f.Alternatives...)
		f.Contributing = append([]Contributor(nil), f.Contributing...)
		f.Objects = orEmpty(f.Objects)
		f.PIDs = orEmpty(f.PIDs)
		r.Findings[i] = f
	}
	r.Recommendations = make([]Recommendation, len(rep.Recommendations))
	for i, rc := range rep.Recommendations {
		rc.FindingIDs = orEmpty(rc.FindingIDs)
		if rc.Validation != nil {
			v := *rc.Validation
			rc.Validation = &v
		}
		r.Recommendations[i] = rc
	}
	r.Notes = orEmpty(append([]string(nil), rep.Notes...))
	sanitize(&r)
	return &r
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

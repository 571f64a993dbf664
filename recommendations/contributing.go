package recommendations

import (
	"fmt"
	"strings"

	"github.com/pgqtune/pgqtune/runrec"
)

// concerns reports whether finding fd is about cause c: as its cause, or
// as a contributing cause (one that acted but cost less than the cause
// named). Rules act on both; a recommendation that only a contributing
// cause led to is labelled as such by labelContributing.
func (f *facts) concerns(fd runrec.Finding, c string) bool {
	if fd.Cause == c {
		return true
	}
	for _, k := range fd.Contributing {
		if k.Cause == c {
			if f.viaContributing == nil {
				f.viaContributing = map[string]string{}
			}
			f.viaContributing[fd.ID] = c
			return true
		}
	}
	return false
}

// labelContributing prefixes the rationale of every recommendation whose
// findings all led to it through a contributing cause, so that a DBA
// reads it as the second thing to fix, not the first.
func labelContributing(f *facts, recs []runrec.Recommendation) {
	for i := range recs {
		r := &recs[i]
		if len(r.FindingIDs) == 0 {
			continue
		}
		var parts []string
		for _, id := range r.FindingIDs {
			c, ok := f.viaContributing[id]
			if !ok || f.primaryIs(id, c) {
				parts = nil
				break
			}
			parts = append(parts, fmt.Sprintf("%s in %s", c, id))
		}
		if len(parts) > 0 {
			r.Rationale = fmt.Sprintf("Addresses a contributing cause (%s), not the finding's main cause. %s", strings.Join(parts, ", "), r.Rationale)
		}
	}
}

// primaryIs reports whether finding id's own cause is c.
func (f *facts) primaryIs(id, c string) bool {
	for _, fd := range f.in.Findings {
		if fd.ID == id {
			return fd.Cause == c
		}
	}
	return false
}

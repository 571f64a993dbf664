package analyze

import (
	"fmt"
	"sort"
	"strings"
)

// waitCounts summarizes the active backends' wait events matching keep
// over a window as "LWLock:WALWrite x12, IO:WALSync x4" (sample-summed).
func (sc *scene) waitCounts(w *window, keep func(string) bool) string {
	m := map[string]int{}
	for _, s := range sc.windowSamples(w) {
		if s.Activity == nil {
			continue
		}
		for k, n := range s.Activity.ByWait {
			if keep(k) {
				m[k] += n
			}
		}
	}
	if len(m) == 0 {
		return "no wait events recorded"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		if m[keys[a]] != m[keys[b]] {
			return m[keys[a]] > m[keys[b]]
		}
		return keys[a] < keys[b]
	})
	parts := make([]string, 0, 4)
	for i, k := range keys {
		if i == 4 {
			break
		}
		parts = append(parts, fmt.Sprintf("%s x%d", k, m[k]))
	}
	return strings.Join(parts, ", ") + " (backend-samples)"
}

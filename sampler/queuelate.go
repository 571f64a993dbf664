package sampler

import (
	"context"
	"slices"
)

// redetect looks for queue tables again (the workload may have started
// after the sampler) and, when some appear, prepares their queries and
// returns them (nil when none appeared). The sampler makes them the queue
// list when the tick's reading reaches it.
func (c *queuesCollector) redetect(ctx context.Context, e *env) ([]queueTable, error) {
	qs, notes, err := resolveQueues(ctx, e, nil)
	if err != nil {
		return nil, err
	}
	if len(qs) == 0 {
		return nil, nil
	}
	for _, n := range notes {
		e.note("after the start, " + n)
	}
	for _, n := range c.prepareQueues(ctx, e, qs) {
		e.note(n)
	}
	for _, st := range c.state {
		st.catchUp = true
	}
	return qs, nil
}

// refreshPartitions re-reads the partitions of the partitioned ones among
// queues. When they changed, it returns the new list (otherwise nil); the
// partitions added are counted from the start on this tick.
func (c *queuesCollector) refreshPartitions(ctx context.Context, e *env, queues []queueTable) ([]queueTable, error) {
	qs := append([]queueTable(nil), queues...)
	changed := false
	for i := range qs {
		if !qs[i].partitioned {
			continue
		}
		before := qs[i].memberOIDs
		if err := loadMembers(ctx, e, &qs[i]); err != nil {
			return nil, err
		}
		for _, oid := range qs[i].memberOIDs {
			if !slices.Contains(before, oid) {
				c.state[i].newMembers = append(c.state[i].newMembers, oid)
				changed = true
			}
		}
		changed = changed || len(qs[i].memberOIDs) != len(before)
	}
	if !changed {
		return nil, nil
	}
	return qs, nil
}

package sqlload

import "testing"

// TestLedgerRedeliveryIsNotDuplicate: a job finished again by a later
// claim (its first claim expired) is a redelivery; the same claim
// finishing twice is a duplicate. Only the latter breaks the books.
func TestLedgerRedeliveryIsNotDuplicate(t *testing.T) {
	var l ledger
	l.markEnqueued([]NewJob{{Seq: 1}, {Seq: 2}, {Seq: 3}, {Seq: 4}})
	for _, c := range []struct {
		seq     int64
		attempt int
		want    finishKind
	}{
		{1, 1, finishFirst},
		{1, 2, finishRedelivered}, // claim 1 expired, claim 2 completed it again
		{2, 2, finishFirst},       // retried once, then completed
		{2, 2, finishDuplicate},   // the same claim completed twice
		{2, 3, finishRedelivered},
		{3, 1, finishFirst},
		{3, 1, finishDuplicate},
	} {
		if got := l.finish(c.seq, c.attempt, false); got != c.want {
			t.Fatalf("finish(seq %d, attempt %d) = %d, want %d", c.seq, c.attempt, got, c.want)
		}
	}
	in := l.settle(0, 4, []int64{4})
	if in.Enqueued != 4 || in.Completed != 3 || in.Pending != 1 || in.Lost != 0 || in.Redelivered != 2 || in.Duplicated != 2 {
		t.Fatalf("settle: %+v", in)
	}
}

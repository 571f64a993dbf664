package sqlload

import (
	"sync"

	"github.com/pgqtune/pgqtune/runrec"
)

// ledger is the driver's integrity account: one bit per Seq in each of a
// few sets, so a million jobs cost ~125 KB a set, whatever the backlog.
type ledger struct {
	mu        sync.Mutex
	enqueued  bitset // the enqueue call returned success
	unsure    bitset // the enqueue's outcome is unknown (connection died around the commit)
	completed bitset
	failed    bitset // failed for good (attempts exhausted)
	dups      int64  // the same claim of a Seq finished twice
	redeliv   int64  // a Seq finished again by a later claim (its earlier claim expired)
	// attempt is the claim (delivery number) that first finished each Seq,
	// kept only when it was not the first delivery: most jobs finish on
	// their first, and the bitsets already say so.
	attempt map[int64]int
	base    int64 // Seqs up to base were in the queue before the run
}

type bitset []uint64

func (b *bitset) set(i int64) {
	w := int(i >> 6)
	if w >= len(*b) {
		n := make([]uint64, max(w+1, 2*len(*b)))
		copy(n, *b)
		*b = n
	}
	(*b)[w] |= 1 << (uint(i) & 63)
}

func (b bitset) has(i int64) bool {
	w := int(i >> 6)
	return w < len(b) && b[w]&(1<<(uint(i)&63)) != 0
}

func (l *ledger) markEnqueued(jobs []NewJob) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range jobs {
		l.enqueued.set(jobs[i].Seq)
	}
}

func (l *ledger) markUnsure(jobs []NewJob) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range jobs {
		l.unsure.set(jobs[i].Seq)
	}
}

// finishKind says how a completion (or final failure) relates to the
// ledger's earlier ones for the same Seq.
type finishKind int

const (
	finishFirst       finishKind = iota // the Seq's first finish
	finishRedelivered                   // a later claim finished it again: at-least-once, not a duplicate
	finishDuplicate                     // the same claim finished it twice
)

// finish records seq, finished by its attempt-th claim, as completed (or
// failed for good). A Seq already finished by an earlier claim is a
// redelivery: that claim expired (expire_after, a visibility timeout)
// while its worker still ran, which at-least-once queues allow. The same
// claim finishing twice is a true duplicate.
func (l *ledger) finish(seq int64, attempt int, failed bool) finishKind {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.finishLocked(seq, attempt, failed)
}

func (l *ledger) finishLocked(seq int64, attempt int, failed bool) finishKind {
	if seq <= l.base {
		return finishFirst // a job from before the run: not ours to account for
	}
	if l.completed.has(seq) || l.failed.has(seq) {
		first, ok := l.attempt[seq]
		if !ok {
			first = 1
		}
		if attempt != first {
			l.redeliv++
			return finishRedelivered
		}
		l.dups++
		return finishDuplicate
	}
	if failed {
		l.failed.set(seq)
	} else {
		l.completed.set(seq)
	}
	if attempt != 1 {
		if l.attempt == nil {
			l.attempt = make(map[int64]int)
		}
		l.attempt[seq] = attempt
	}
	return finishFirst
}

// finishAll records a batch's finishes (see finish) under one lock. It
// returns how many were their Seq's first finish, and the Seqs the same
// claim finished twice (nil when none).
func (l *ledger) finishAll(jobs []*Job, failed bool) (first int64, dups []int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, j := range jobs {
		switch l.finishLocked(j.Seq, j.Attempt, failed) {
		case finishFirst:
			first++
		case finishDuplicate:
			dups = append(dups, j.Seq)
		}
	}
	return first, dups
}

// settle accounts for every Seq up to maxSeq given the queue's pending
// list at the end. A Seq whose enqueue was unsure counts as enqueued when
// the queue shows it existed (it finished or is pending), and as never
// enqueued otherwise (the insert did not commit). A Seq that finished but
// is still pending will run again: a duplicate.
//
// Seqs up to base belong to jobs that were in the queue before the run:
// they are ignored.
func (l *ledger) settle(base, maxSeq int64, pending []int64) (in runrec.Integrity) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var pend bitset
	for _, s := range pending {
		if s <= base || s > maxSeq {
			// Not one of ours (or not yet counted): someone else's job.
			continue
		}
		if l.completed.has(s) || l.failed.has(s) {
			in.Duplicated++
			continue
		}
		if pend.has(s) {
			in.Duplicated++ // two live copies of one job
			continue
		}
		pend.set(s)
	}
	in.Duplicated += l.dups
	in.Redelivered = l.redeliv
	for s := base + 1; s <= maxSeq; s++ {
		done, fail, p := l.completed.has(s), l.failed.has(s), pend.has(s)
		if !l.enqueued.has(s) && !(l.unsure.has(s) && (done || fail || p)) {
			continue
		}
		in.Enqueued++
		switch {
		case done:
			in.Completed++
		case fail:
			in.Failed++
		case p:
			in.Pending++
		default:
			in.Lost++
		}
	}
	return in
}

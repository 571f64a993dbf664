package sqlload

import "strconv"

// EncodePayload returns the JSON document adapters store as the job's data:
// {"seq":N,"t":<intended send time, Unix microseconds>,"pad":"xxx..."}, with
// the filler sized so the whole document is about j.PayloadSize bytes. Real
// queues carry their arguments in such a document, so keeping the driver's
// bookkeeping there (rather than in extra columns) leaves the queue's schema
// as its users have it.
func EncodePayload(j *NewJob) []byte {
	return AppendPayload(make([]byte, 0, max(j.PayloadSize, 64)), j)
}

// AppendPayload appends EncodePayload's document to b: a batch's documents
// can share one buffer instead of costing an allocation each.
func AppendPayload(b []byte, j *NewJob) []byte {
	const overhead = len(`{"seq":,"t":,"pad":""}`)
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, j.Seq, 10)
	b = append(b, `,"t":`...)
	b = strconv.AppendInt(b, j.IntendedAt.UnixMicro(), 10)
	b = append(b, `,"pad":"`...)
	for pad := j.PayloadSize - overhead - 2*19; pad > 0; pad -= len(filler) {
		b = append(b, filler[:min(pad, len(filler))]...)
	}
	return append(b, `"}`...)
}

// filler is the padding EncodePayload copies from.
const filler = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" +
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" +
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" +
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

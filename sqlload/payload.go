package sqlload

import (
	"strconv"
	"strings"
)

// EncodePayload returns the JSON document adapters store as the job's data:
// {"seq":N,"t":<intended send time, Unix microseconds>,"pad":"xxx..."}, with
// the filler sized so the whole document is about j.PayloadSize bytes. Real
// queues carry their arguments in such a document, so keeping the driver's
// bookkeeping there (rather than in extra columns) leaves the queue's schema
// as its users have it.
func EncodePayload(j *NewJob) []byte {
	const overhead = len(`{"seq":,"t":,"pad":""}`)
	b := make([]byte, 0, max(j.PayloadSize, 64))
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, j.Seq, 10)
	b = append(b, `,"t":`...)
	b = strconv.AppendInt(b, j.IntendedAt.UnixMicro(), 10)
	b = append(b, `,"pad":"`...)
	if pad := j.PayloadSize - overhead - 2*19; pad > 0 {
		b = append(b, strings.Repeat("x", pad)...)
	}
	return append(b, `"}`...)
}

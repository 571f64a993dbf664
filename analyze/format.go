package analyze

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/pgqtune/pgqtune/units"
)

// clock formats t as a UTC wall-clock time.
func clock(t time.Time) string { return t.UTC().Format("15:04:05") }

// dur formats seconds for a sentence: "850 ms", "21 s", "4.5 min".
func dur(s float64) string { return units.Seconds(s, units.DurSentence) }

// num formats a quantity with sensible precision and thousands separators.
func num(x float64) string {
	ax := math.Abs(x)
	switch {
	case ax == 0:
		return "0"
	case ax < 0.01:
		return fmt.Sprintf("%.4f", x)
	case ax < 10:
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", x), "0"), ".")
	case ax < 1000:
		return fmt.Sprintf("%.0f", x)
	}
	s := fmt.Sprintf("%.0f", math.Abs(x))
	var b strings.Builder
	if x < 0 {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// bytesStr formats a byte count for a sentence: "75.0 MB", "753 kB".
func bytesStr(b float64) string { return units.Bytes(b, units.BytesSentence) }

// clip shortens a query for a sentence, collapsing whitespace.
func clip(q string, n int) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) <= n {
		return q
	}
	return q[:n-3] + "..."
}

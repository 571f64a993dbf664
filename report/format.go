package report

import (
	"strings"
	"time"

	"github.com/pgqtune/pgqtune/units"
)

// fmtNum prints a number the way a report reader wants it: integers without
// decimals, small values with enough precision to be meaningful.
func fmtNum(f float64) string { return units.Num(f) }

// fmtMs prints a latency in milliseconds.
func fmtMs(f float64) string { return fmtNum(f) + " ms" }

// fmtPct prints a percentage with one decimal.
func fmtPct(f float64) string { return units.Pct(f) }

// fmtSignedPct prints a change in percent with its sign.
func fmtSignedPct(f float64) string { return units.SignedPct(f) }

// fmtClock prints a time of day in UTC.
func fmtClock(t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return t.UTC().Format("15:04:05")
}

// fmtTime prints a full UTC timestamp.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// fmtDur prints a duration in seconds, minutes or hours: "45s", "1m20s".
func fmtDur(d time.Duration) string { return units.Duration(d, units.DurCompact) }

// fmtBytes prints a byte count (or rate) in binary units: "843 kB".
func fmtBytes(f float64) string { return units.Bytes(f, units.BytesTable) }

// oneLineText collapses whitespace so a query fits in a table cell.
func oneLineText(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if max > 0 && len(s) > max {
		cut := max - 1
		for cut > 0 && !utf8Start(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// mdCell escapes a value for a Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", `\|`)
	return s
}

// Package units is the one place that spells byte sizes and durations for
// people: every sentence, table and recommendation pgqtune prints formats
// them through Bytes, Duration or Seconds.
//
// Sizes use Postgres' binary units as pg_settings and pg_size_pretty spell
// them (B, kB, MB, GB, TB; 1 kB = 1024 B), so a figure in a finding reads
// like the setting a DBA would type. Num is the figure format of tables. Each caller keeps the precision its
// text has always had, chosen by a style, so golden reports do not move;
// what is shared is the choice of unit and its spelling.
//
// It imports nothing of pgqtune's, so analyze, recommendations, report and
// the CLI can all use it.
package units

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ByteStyle says how many decimals Bytes prints.
type ByteStyle int

const (
	// BytesSentence prints one decimal from MB up and none below: "75.0 MB",
	// "753 kB", "0 B". Finding summaries and evidence use it.
	BytesSentence ByteStyle = iota
	// BytesSetting prints at most one decimal, dropping a trailing ".0":
	// "20 MB", "16.1 kB". Recommendations use it.
	BytesSetting
	// BytesTable prints whole values bare, otherwise two decimals under 10,
	// one under 100 and none above: "843 kB", "2.41 MB". Report tables use it.
	BytesTable
)

// byteUnits are Postgres' size units, smallest first.
var byteUnits = [...]string{"B", "kB", "MB", "GB", "TB"}

// ScaleBytes returns b in the largest unit it reaches (|b| >= 1024 of the
// unit below), and that unit's name.
func ScaleBytes(b float64) (float64, string) {
	i := 0
	for math.Abs(b) >= 1024 && i < len(byteUnits)-1 {
		b /= 1024
		i++
	}
	return b, byteUnits[i]
}

// Bytes formats a byte count (or a byte rate, the caller adding "/s") as
// "<number> <unit>" in the given style.
func Bytes(b float64, style ByteStyle) string {
	v, unit := ScaleBytes(b)
	var n string
	switch style {
	case BytesSetting:
		n = strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0")
	case BytesTable:
		n = Num(v)
	default:
		if unit == "B" || unit == "kB" {
			n = fmt.Sprintf("%.0f", v)
		} else {
			n = fmt.Sprintf("%.1f", v)
		}
	}
	return n + " " + unit
}

// Num formats a figure for a table: whole values bare, otherwise two
// decimals under 10, one under 100 and none above; NaN is "n/a". report and
// results print every plain figure with it.
func Num(f float64) string {
	switch {
	case math.IsNaN(f):
		return "n/a"
	case f == math.Trunc(f) && math.Abs(f) < 1e15:
		return strconv.FormatFloat(f, 'f', 0, 64)
	case math.Abs(f) >= 100:
		return strconv.FormatFloat(f, 'f', 0, 64)
	case math.Abs(f) >= 10:
		return strconv.FormatFloat(f, 'f', 1, 64)
	default:
		return strconv.FormatFloat(f, 'f', 2, 64)
	}
}

// Pct formats a percentage with one decimal ("12.5%").
func Pct(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) + "%" }

// SignedPct formats a change in percent with its sign and one decimal
// ("+12.5%", "-3.0%"); not finite is "n/a". report's tables and compare's
// text print every change with it.
func SignedPct(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%+.1f%%", f)
}

// DurStyle says how Duration and Seconds spell a duration.
type DurStyle int

const (
	// DurSentence reads in a sentence: "850 ms", "21 s", "4.5 min",
	// "1.2 h"; a negative duration is "unknown". Finding summaries use it.
	DurSentence DurStyle = iota
	// DurCompact is whole seconds in at most two units: "45s", "1m20s",
	// "2h05m". Report tables and timelines use it.
	DurCompact
	// DurFlag is what a --duration flag accepts back (time.ParseDuration):
	// "33s", "1m3s", and whole minutes as "2m".
	DurFlag
)

// Duration formats d in the given style.
func Duration(d time.Duration, style DurStyle) string {
	switch style {
	case DurCompact:
		d = d.Round(time.Second)
		switch {
		case d < time.Minute:
			return fmt.Sprintf("%ds", int(d.Seconds()))
		case d < time.Hour:
			return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
		default:
			return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
		}
	case DurFlag:
		d = d.Round(time.Second)
		if d >= time.Minute && d%time.Minute == 0 {
			return fmt.Sprintf("%dm", d/time.Minute)
		}
		return d.String()
	default:
		return Seconds(d.Seconds(), DurSentence)
	}
}

// Seconds formats a duration given in seconds in the given style.
func Seconds(s float64, style DurStyle) string {
	if style != DurSentence {
		return Duration(time.Duration(s*float64(time.Second)), style)
	}
	switch {
	case s < 0:
		return "unknown"
	case s < 1:
		return fmt.Sprintf("%.0f ms", s*1000)
	case s < 120:
		return fmt.Sprintf("%.0f s", s)
	case s < 7200:
		return fmt.Sprintf("%.1f min", s/60)
	}
	return fmt.Sprintf("%.1f h", s/3600)
}

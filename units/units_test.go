package units_test

import (
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/units"
)

// The expectations are figures the golden reports carry, so a change here
// is a change of every report.
func TestBytes(t *testing.T) {
	cases := []struct {
		b     float64
		style units.ByteStyle
		want  string
	}{
		{0, units.BytesSentence, "0 B"},
		{753 << 10, units.BytesSentence, "753 kB"},
		{75 << 20, units.BytesSentence, "75.0 MB"},
		{2.4 * (1 << 20), units.BytesSentence, "2.4 MB"},
		{1 << 40, units.BytesSentence, "1.0 TB"},
		{20 << 20, units.BytesSetting, "20 MB"},
		{16.1 * (1 << 10), units.BytesSetting, "16.1 kB"},
		{17.6 * (1 << 30), units.BytesSetting, "17.6 GB"},
		{512, units.BytesSetting, "512 B"},
		{843 << 10, units.BytesTable, "843 kB"},
		{2.41 * (1 << 20), units.BytesTable, "2.41 MB"},
		{-2048, units.BytesTable, "-2 kB"},
	}
	for _, c := range cases {
		if got := units.Bytes(c.b, c.style); got != c.want {
			t.Errorf("Bytes(%v, %d) = %q, want %q", c.b, c.style, got, c.want)
		}
	}
}

func TestDuration(t *testing.T) {
	cases := []struct {
		d     time.Duration
		style units.DurStyle
		want  string
	}{
		{850 * time.Millisecond, units.DurSentence, "850 ms"},
		{21 * time.Second, units.DurSentence, "21 s"},
		{270 * time.Second, units.DurSentence, "4.5 min"},
		{3 * time.Hour, units.DurSentence, "3.0 h"},
		{-time.Second, units.DurSentence, "unknown"},
		{45 * time.Second, units.DurCompact, "45s"},
		{80 * time.Second, units.DurCompact, "1m20s"},
		{125 * time.Minute, units.DurCompact, "2h05m"},
		{33 * time.Second, units.DurFlag, "33s"},
		{63 * time.Second, units.DurFlag, "1m3s"},
		{2 * time.Minute, units.DurFlag, "2m"},
	}
	for _, c := range cases {
		if got := units.Duration(c.d, c.style); got != c.want {
			t.Errorf("Duration(%v, %d) = %q, want %q", c.d, c.style, got, c.want)
		}
	}
	if got := units.Seconds(80.4, units.DurCompact); got != "1m20s" {
		t.Errorf("Seconds(80.4, DurCompact) = %q", got)
	}
	if got := units.Seconds(0.25, units.DurSentence); got != "250 ms" {
		t.Errorf("Seconds(0.25, DurSentence) = %q", got)
	}
}

package report

import (
	"embed"
	"fmt"
	"io"
	"strings"
	"text/template"

	"github.com/pgqtune/pgqtune/compare"
	"github.com/pgqtune/pgqtune/runrec"
)

//go:embed templates
var templates embed.FS

// funcs are the formatting helpers both templates use.
var funcs = map[string]any{
	"fmtNum":       fmtNum,
	"fmtMs":        fmtMs,
	"fmtPct":       fmtPct,
	"fmtSignedPct": fmtSignedPct,
	"fmtClock":     fmtClock,
	"fmtTime":      fmtTime,
	"fmtDur":       fmtDur,
	"fmtBytes":     fmtBytes,
	"oneLineText":  oneLineText,
	// multiline: a rollback of several statements goes in a code block,
	// where an inline code span would break at its first newline.
	"multiline": func(s string) bool { return strings.Contains(s, "\n") },
	"mdCell":    mdCell,
	"pctChange": compare.PctChange,
	"effectOf":  effect,
	"float64":   func(n compare.Num) float64 { return float64(n) },
}

var mdTemplate = template.Must(template.New("report.md.tmpl").Funcs(funcs).ParseFS(templates, "templates/report.md.tmpl"))

func renderMarkdown(w io.Writer, v *view) error {
	if err := mdTemplate.Execute(w, v); err != nil {
		return fmt.Errorf("execute markdown template: %w", err)
	}
	return nil
}

// Markdown renders rep (with the recorded run, which may be nil) as
// report.md.
func Markdown(w io.Writer, rep *runrec.Report, run *runrec.Run) error {
	return MarkdownWith(w, rep, run, Options{})
}

// MarkdownWith is Markdown with options.
func MarkdownWith(w io.Writer, rep *runrec.Report, run *runrec.Run, opts Options) error {
	return renderMarkdown(w, buildView(runrec.Normalize(rep), run, opts))
}

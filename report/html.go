package report

import (
	"fmt"
	"html/template"
	"io"

	"github.com/pgqtune/pgqtune/runrec"
)

var htmlTemplate = template.Must(template.New("report.html.tmpl").Funcs(funcs).Funcs(template.FuncMap{
	"causeCSS": causeCSS,
}).ParseFS(templates, "templates/report.html.tmpl"))

func renderHTML(w io.Writer, v *view) error {
	hv := *v
	hv.Charts = buildCharts(v)
	if err := htmlTemplate.Execute(w, &hv); err != nil {
		return fmt.Errorf("execute HTML template: %w", err)
	}
	return nil
}

// HTML renders rep (with the recorded run, which may be nil) as the
// self-contained report.html.
func HTML(w io.Writer, rep *runrec.Report, run *runrec.Run) error {
	return HTMLWith(w, rep, run, Options{})
}

// HTMLWith is HTML with options.
func HTMLWith(w io.Writer, rep *runrec.Report, run *runrec.Run, opts Options) error {
	return renderHTML(w, buildView(runrec.Normalize(rep), run, opts))
}

// causeCSS is the badge colour of a cause, as a CSS colour.
func causeCSS(cause string) template.CSS {
	_, ink := causeColor(cause)
	r, g, b, _ := ink.RGBA()
	return template.CSS(fmt.Sprintf("rgb(%d,%d,%d)", r>>8, g>>8, b>>8))
}

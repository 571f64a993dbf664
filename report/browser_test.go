package report_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/pgqtune/pgqtune/internal/synthrun"
	"github.com/pgqtune/pgqtune/report"
)

const chromium = "/usr/bin/chromium"

// TestHTMLInBrowser opens report.html in headless Chromium: no console
// errors, no network fetches, every chart drawn with its series, the copy
// button working, and a screenshot for a person to look at.
func TestHTMLInBrowser(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("%s is not installed (make deps installs Debian's chromium): %v", chromium, err)
	}
	rep, run := synthrun.Golden()
	dir := t.TempDir()
	synthrun.WriteRunDir(t, dir, run)
	if err := report.Write(dir, rep, run); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	var mu sync.Mutex
	var problems, requests []string
	err := chromedp.Listen(bctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				problems = append(problems, fmt.Sprintf("console.%s: %s", e.Type, strings.Join(args, " ")))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning {
				problems = append(problems, "log: "+e.Entry.Text+" "+e.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			requests = append(requests, e.Request.URL)
		}
	})
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}

	url := "file://" + filepath.Join(dir, "report.html")
	if err := chromedp.Do(bctx,
		chromedp.Navigate(url),
		chromedp.WaitReady(chromedp.CSS("footer")),
	); err != nil {
		t.Fatalf("chromium: open %s: %v", url, err)
	}
	charts, err := chromedp.Run(bctx, chromedp.Evaluate[[]chartInfo](chartsJS))
	if err != nil {
		t.Fatalf("chromium: inspect charts: %v", err)
	}
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS("button.copy")), chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatalf("chromium: click copy: %v", err)
	}
	copied, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("button.copy")))
	if err != nil {
		t.Fatalf("chromium: read copy button: %v", err)
	}
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("chromium: screenshot: %v", err)
	}
	shotPath := filepath.Join(t.TempDir(), "report.png")
	if err := os.WriteFile(shotPath, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", shotPath, len(shot))
	if keep := os.Getenv("PGQTUNE_SCREENSHOT_DIR"); keep != "" {
		_ = os.WriteFile(filepath.Join(keep, "report.png"), shot, 0o644)
	}

	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("browser reported: %s", p)
	}
	for _, r := range requests {
		if !strings.HasPrefix(r, "file://") && !strings.HasPrefix(r, "data:") {
			t.Errorf("report.html fetched %s: it must be self-contained", r)
		}
	}

	want := map[string][]string{
		"throughput": {"completed", "enqueued", "baseline", "finding-f1"},
		"latency":    {"p50", "p95", "p99", "finding-f1"},
		"depth":      {"depth"},
		"deadtuples": {"deadtup-pgqtune_job", "autovacuum-pgqtune_job"},
		"locks":      {"lockwaits"},
		"waits":      {"wait-cpu", "wait-lock"},
		"wal":        {"wal", "checkpoints-requested"},
	}
	got := map[string]chartInfo{}
	for _, c := range charts {
		got[c.ID] = c
	}
	for id, series := range want {
		c, ok := got["chart-"+id]
		if !ok {
			t.Errorf("chart %s missing (have %v)", id, charts)
			continue
		}
		if c.Width < 400 || c.Height < 80 {
			t.Errorf("chart %s drawn %vx%v px", id, c.Width, c.Height)
		}
		for _, s := range series {
			if c.Series[s] < 1 {
				t.Errorf("chart %s: series %s has no drawn shape (series: %v)", id, s, c.Series)
			}
		}
	}
	if th := got["chart-throughput"]; !strings.Contains(th.Text, "F1 lock_contention") || !strings.Contains(th.Text, "09:27:00") {
		t.Errorf("throughput chart text lacks the finding label or the time axis: %q", th.Text)
	}
	if copied != "Copied" {
		t.Errorf("copy button says %q after a click", copied)
	}
}

// chartInfo is what chartsJS reports per chart.
type chartInfo struct {
	ID     string         `json:"id"`
	Width  float64        `json:"width"`
	Height float64        `json:"height"`
	Series map[string]int `json:"series"`
	Text   string         `json:"text"`
}

// chartsJS counts, per chart SVG, the drawn shapes (paths with a non-empty
// outline) of each series group, and collects the chart's text.
const chartsJS = `Array.from(document.querySelectorAll("svg.chart")).map(function (svg) {
  var r = svg.getBoundingClientRect();
  var series = {};
  svg.querySelectorAll("g.series").forEach(function (g) {
    var n = 0;
    g.querySelectorAll("path").forEach(function (p) {
      var b = p.getBBox();
      if ((p.getAttribute("d") || "").length > 10 && (b.width > 0 || b.height > 0)) { n++; }
    });
    series[g.getAttribute("data-series")] = (series[g.getAttribute("data-series")] || 0) + n;
  });
  var text = Array.from(svg.querySelectorAll("text")).map(function (t) { return t.textContent; }).join(" | ");
  return {id: svg.id, width: r.width, height: r.height, series: series, text: text};
})`

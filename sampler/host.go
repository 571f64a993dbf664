package sampler

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/pgqtune/pgqtune/runrec"
)

// procRoot is where /proc is read from; tests may point it elsewhere.
var procRoot = "/proc"

// cpuTimes are the aggregate "cpu" line of /proc/stat, in ticks.
type cpuTimes struct {
	total, idle, iowait int64
}

// DiffSince returns busy and iowait percentages since prev.
func (c cpuTimes) DiffSince(prev cpuTimes) (busyPct, iowaitPct float64, ok bool) {
	dt := c.total - prev.total
	if dt <= 0 || c.idle < prev.idle || c.iowait < prev.iowait {
		return 0, 0, false
	}
	idle := float64(c.idle - prev.idle)
	io := float64(c.iowait - prev.iowait)
	return 100 * (float64(dt) - idle - io) / float64(dt), 100 * io / float64(dt), true
}

// hostCollector reads CPU, iowait and load of this host from /proc. It is
// only meaningful when the server runs here (Config.HostStats).
type hostCollector struct{ prev *cpuTimes }

func (*hostCollector) name() string { return "host" }
func (c *hostCollector) forget()    {}

// hostReading is this host's CPU and load at this tick.
type hostReading struct {
	outcome
	host *runrec.HostStats
}

func (r hostReading) record(smp *runrec.Sample) { smp.Host = r.host }

func (c *hostCollector) collect() (hostReading, error) {
	cur, cpus, running, err := readProcStat()
	if err != nil {
		return hostReading{}, err
	}
	h := &runrec.HostStats{CPUs: cpus, ProcsRunning: running}
	if b, err := os.ReadFile(procRoot + "/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			h.Load1, _ = strconv.ParseFloat(f[0], 64)
		}
	}
	prev := c.prev
	c.prev = &cur
	if prev != nil {
		if busy, io, ok := cur.DiffSince(*prev); ok {
			h.CPUBusyPct, h.IOWaitPct = busy, io
		}
	}
	return hostReading{host: h}, nil
}

// readProcStat parses /proc/stat: the aggregate cpu times, the number of
// CPUs and procs_running.
func readProcStat() (cpuTimes, int, int, error) {
	b, err := os.ReadFile(procRoot + "/stat")
	if err != nil {
		return cpuTimes{}, 0, 0, fmt.Errorf("read %s/stat: %w", procRoot, err)
	}
	var t cpuTimes
	cpus, running := 0, 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch {
		case f[0] == "cpu":
			// user nice system idle iowait irq softirq steal (guest is
			// already counted in user).
			for i := 1; i < len(f) && i <= 8; i++ {
				v, _ := strconv.ParseInt(f[i], 10, 64)
				t.total += v
				switch i {
				case 4:
					t.idle = v
				case 5:
					t.iowait = v
				}
			}
		case strings.HasPrefix(f[0], "cpu"):
			cpus++
		case f[0] == "procs_running" && len(f) > 1:
			running, _ = strconv.Atoi(f[1])
		}
	}
	return t, cpus, running, nil
}

// Package live serves a running pgqtune's progress as Prometheus metrics
// (`--metrics-addr` on run and observe), so a Grafana dashboard can follow a
// long soak while it happens: throughput, latency percentiles, queue depth,
// the database signals the sampler sees, and how many findings there are.
//
// grafana-dashboard.json beside this file is a Grafana dashboard of these
// metrics (import it and pick the Prometheus data source).
//
// Every method is safe on a nil *Server, so callers without --metrics-addr
// need no checks.
package live

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pgqtune/pgqtune/runrec"
)

// Server is the metrics endpoint: GET /metrics on the address it listens on.
type Server struct {
	reg  *prometheus.Registry
	m    *metrics
	ln   net.Listener
	http *http.Server
	done chan error

	closeOnce sync.Once
	closeErr  error
}

// Start listens on addr (host:port; ":0" picks a free port, see Addr) and
// serves /metrics from a registry of its own, so nothing else a process
// registers globally leaks into it.
func Start(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("live: listen on %s: %w", addr, err)
	}
	s := &Server{reg: prometheus.NewRegistry(), ln: ln, done: make(chan error, 1)}
	s.m = newMetrics(s.reg)
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("/metrics", s.Handler())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("pgqtune live metrics: /metrics\n"))
	})
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		err := s.http.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return s, nil
}

// Addr is the address the server listens on (with the port chosen when
// Start was given port 0).
func (s *Server) Addr() string {
	if s == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Handler serves the registry in the Prometheus exposition format.
func (s *Server) Handler() http.Handler {
	return promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg})
}

// Tick records one second of the workload.
func (s *Server) Tick(t runrec.WorkloadTick) {
	if s == nil {
		return
	}
	s.m.tick(t)
}

// Sample records one sampler tick of database statistics.
func (s *Server) Sample(smp runrec.Sample) {
	if s == nil {
		return
	}
	s.m.sample(smp)
}

// SetFindings sets the number of findings so far.
func (s *Server) SetFindings(n int) {
	if s == nil {
		return
	}
	s.m.findings.Set(float64(n))
}

// Close stops serving, waiting up to five seconds for scrapes in flight.
func (s *Server) Close() error {
	if s == nil {
		return nil
	}
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := s.http.Shutdown(ctx)
		if serr := <-s.done; serr != nil {
			err = errors.Join(err, serr)
		}
		if err != nil {
			s.closeErr = fmt.Errorf("live: close metrics server: %w", err)
		}
	})
	return s.closeErr
}

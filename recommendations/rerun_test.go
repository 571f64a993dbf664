package recommendations

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/runrec"
)

func TestRerun(t *testing.T) {
	t.Parallel()
	var order []string
	fake := func(ctx context.Context, arm string, rep int) (*Measurement, error) {
		order = append(order, arm)
		m := &Measurement{JobsPerS: 500 + float64(rep), P99Ms: 40 + float64(rep), DeadPerMin: map[string]float64{"pgqtune.job": 9000 + float64(rep)*10}}
		if arm == ArmWith {
			m.JobsPerS, m.P99Ms, m.DeadPerMin["pgqtune.job"] = 1500+float64(rep)*3, 10+float64(rep), 100+float64(rep)
		}
		return m, nil
	}
	res, err := Rerun(context.Background(), RerunOptions{Reps: 3, Run: fake})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, ","); got != "without,with,with,without,without,with" {
		t.Fatalf("repetitions not interleaved ABBA: %s", got)
	}
	tp := res.Throughput
	if tp.Before != 502 || tp.After != 1506 || !tp.Significant || math.Abs(tp.ChangePct-200) > 0.1 {
		t.Fatalf("throughput = %+v", tp)
	}
	if !res.P99.Significant || len(res.Dead) != 1 || !res.Dead[0].Significant {
		t.Fatalf("p99 %+v dead %+v", res.P99, res.Dead)
	}
	v := res.Validation(runrec.Recommendation{Kind: runrec.RecAutovacuum, Target: "pgqtune.job"}, 3, true)
	if v.Method != "rerun" || v.Unit != "dead_tuples/min" || v.Before != 9020 || v.After != 102 || v.Significant == nil || !*v.Significant {
		t.Fatalf("autovacuum validation = %+v", v)
	}
	if v := res.Validation(runrec.Recommendation{Kind: runrec.RecIndex}, 3, true); v.Unit != "ms" || v.Before != 42 || v.After != 12 {
		t.Fatalf("open-loop index validation = %+v", v)
	}
	v = res.Validation(runrec.Recommendation{Kind: runrec.RecIndex, Target: "pgqtune.job"}, 3, false)
	if v.Unit != "jobs/s" || !strings.Contains(v.Note, "3 interleaved repetitions") || !strings.Contains(v.Note, "p99 42 -> 12 ms") {
		t.Fatalf("index validation = %+v", v)
	}

	t.Run("one repetition per arm: no test, and the result still encodes", func(t *testing.T) {
		res, err := Rerun(context.Background(), RerunOptions{Reps: 1, Run: fake})
		if err != nil {
			t.Fatal(err)
		}
		if res.Throughput.Significant || res.Throughput.P != -1 || !strings.Contains(res.Throughput.String(), "no significance test") {
			t.Fatalf("throughput = %+v", res.Throughput)
		}
		if _, err := json.Marshal(res); err != nil {
			t.Fatalf("encode: %v", err)
		}
	})

	t.Run("a change in the wrong direction is not significant", func(t *testing.T) {
		worse := func(ctx context.Context, arm string, rep int) (*Measurement, error) {
			if arm == ArmWith {
				return &Measurement{JobsPerS: 100 + float64(rep)}, nil
			}
			return &Measurement{JobsPerS: 500 + float64(rep)}, nil
		}
		res, err := Rerun(context.Background(), RerunOptions{Reps: 3, Run: worse})
		if err != nil {
			t.Fatal(err)
		}
		if res.Throughput.Significant || res.Throughput.P < 0.5 {
			t.Fatalf("worse throughput judged an improvement: %+v", res.Throughput)
		}
	})
}

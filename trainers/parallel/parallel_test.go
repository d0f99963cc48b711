package parallel

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
)

// TestResultsIndependentOfWorkers: jobs that store by index and draw from
// per-index streams give the same results, bit for bit, for any number of
// workers, with per-worker state and without.
func TestResultsIndependentOfWorkers(t *testing.T) {
	const n = 37
	work := func(workers int) []float64 {
		out := make([]float64, n)
		err := Run(context.Background(), n, workers, func() ([]float64, error) { return make([]float64, 8), nil },
			func(buf []float64, i int) error {
				rng := rand.New(rand.NewPCG(5, uint64(i)))
				var s float64
				for k := range buf {
					buf[k] = rng.NormFloat64()
					s += buf[k] * buf[k]
				}
				out[i] = s
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	want := work(1)
	for _, w := range []int{0, 2, 3, 8, 100} {
		if got := work(w); !slices.Equal(got, want) {
			t.Errorf("%d workers: results differ from 1 worker's", w)
		}
	}
	for _, w := range []int{1, 4} {
		got := make([]float64, n)
		if err := For(context.Background(), n, w, func(i int) error { got[i] = want[i]; return nil }); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("For with %d workers missed jobs", w)
		}
	}
}

func TestErrorPolicy(t *testing.T) {
	bad := errors.New("bad worker")
	cases := []struct {
		name      string
		workers   int
		newWorker func() (int, error)
		fail      map[int]bool
		cancelAt  int // cancel the context when this job runs (-1: never)
		want      string
		maxRan    int // jobs that may have run at most
	}{
		{"ok", 3, nil, nil, -1, "", 20},
		{"lowest failing job", 1, nil, map[int]bool{4: true, 2: true}, -1, "job 2", 3},
		{"lowest failing job, many workers", 4, nil, map[int]bool{9: true, 6: true}, -1, "job 6", 20},
		{"worker fails", 2, func() (int, error) { return 0, bad }, nil, -1, "bad worker", 0},
		{"cancelled", 1, nil, nil, 3, "context canceled", 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			nw := tc.newWorker
			if nw == nil {
				nw = func() (int, error) { return 0, nil }
			}
			var ran atomic.Int32
			err := Run(ctx, 20, tc.workers, nw, func(_ int, i int) error {
				ran.Add(1)
				if i == tc.cancelAt {
					cancel()
				}
				if tc.fail[i] {
					return fmt.Errorf("job %d", i)
				}
				return nil
			})
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if r := int(ran.Load()); r > tc.maxRan {
				t.Errorf("%d jobs ran, want at most %d (no job starts after a failure)", r, tc.maxRan)
			}
		})
	}
}

func TestCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := For(ctx, 5, 2, func(int) error { t.Error("a job ran"); return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

func TestRunOn(t *testing.T) {
	ws := []*int{new(int), new(int), new(int)}
	if err := RunOn(context.Background(), 50, ws, func(w *int, i int) error { *w += i; return nil }); err != nil {
		t.Fatal(err)
	}
	if s := *ws[0] + *ws[1] + *ws[2]; s != 49*50/2 {
		t.Fatalf("sum of jobs %d, want %d", s, 49*50/2)
	}
}

func BenchmarkFor(b *testing.B) {
	out := make([]float64, 256)
	for b.Loop() {
		_ = For(context.Background(), len(out), 0, func(i int) error { out[i] = float64(i); return nil })
	}
}

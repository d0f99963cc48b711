package parallel

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// Run runs job(w, i) for i = 0..n-1 on min(workers, n) goroutines
// (workers <= 0: GOMAXPROCS). Each goroutine first makes its own worker
// value w with newWorker, so neither newWorker's results nor job need to be
// safe for concurrent use. Errors follow the package's policy.
func Run[W any](ctx context.Context, n, workers int, newWorker func() (W, error), job func(w W, i int) error) error {
	if n <= 0 {
		return nil
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return run(ctx, n, min(workers, n), func(int) (W, error) { return newWorker() }, job)
}

// RunOn is Run on existing worker values: one goroutine per element of ws
// (at most n of them), each passing its own element to job. Workers that
// keep state across calls (e.g. iLQR solvers warm-started from the last
// iteration) live in ws.
func RunOn[W any](ctx context.Context, n int, ws []W, job func(w W, i int) error) error {
	if n <= 0 {
		return nil
	}
	if len(ws) == 0 {
		panic("parallel: RunOn without workers")
	}
	return run(ctx, n, min(len(ws), n), func(g int) (W, error) { return ws[g], nil }, job)
}

// For runs job(i) for i = 0..n-1 on min(workers, n) goroutines (workers
// <= 0: GOMAXPROCS), with the package's error policy.
func For(ctx context.Context, n, workers int, job func(i int) error) error {
	return Run(ctx, n, workers, func() (struct{}, error) { return struct{}{}, nil },
		func(_ struct{}, i int) error { return job(i) })
}

func run[W any](ctx context.Context, n, goroutines int, worker func(g int) (W, error), job func(w W, i int) error) error {
	errs := make([]error, n)
	// minFail is the lowest failing job index so far (n: none). Jobs above
	// it are skipped, jobs below it still run, so the lowest failing index
	// of a full run is always found, whatever the scheduling.
	var minFail atomic.Int64
	minFail.Store(int64(n))
	fail := func(i int) {
		for {
			old := minFail.Load()
			if int64(i) >= old || minFail.CompareAndSwap(old, int64(i)) {
				return
			}
		}
	}
	var (
		mu   sync.Mutex
		werr error
		wg   sync.WaitGroup
	)
	jobs := make(chan int)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := worker(g)
			if err != nil {
				mu.Lock()
				if werr == nil {
					werr = err
				}
				mu.Unlock()
				fail(-1)
				for range jobs {
				}
				return
			}
			for i := range jobs {
				switch {
				case int64(i) > minFail.Load():
					// Skipped: a lower-index job has failed.
				case ctx.Err() != nil:
					errs[i] = ctx.Err()
				default:
					if errs[i] = job(w, i); errs[i] != nil {
						fail(i)
					}
				}
			}
		}()
	}
	sent := 0
	for ; sent < n && minFail.Load() == int64(n) && ctx.Err() == nil; sent++ {
		jobs <- sent
	}
	close(jobs)
	wg.Wait()
	if werr != nil {
		return werr
	}
	for _, err := range errs[:sent] {
		if err != nil {
			return err
		}
	}
	if sent < n {
		return ctx.Err()
	}
	return nil
}

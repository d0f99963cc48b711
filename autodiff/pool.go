package autodiff

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Parallel lets Run split each large op of the Program (elementwise ops,
// matrix products, row and column sums and copies of at least 2^16
// element operations) into two halves, the second computed by a helper
// goroutine, when GOMAXPROCS is at least 2. Every split gives the bits of
// the op computed whole (a product splits by rows of C, whose elements are
// computed by the same operations either way), so results do not depend on
// it or on the number of cores. It pays for ops of tens of microseconds,
// such as a 256-row minibatch through 64-wide layers; at smaller sizes the
// hand-over costs more than it saves.
//
// The helper spins while Run runs, and for a fraction of a millisecond
// after, waiting for work (a sleeping goroutine takes tens of
// microseconds to wake on a virtual machine); if it has not taken a half
// when the caller finishes its own, the caller computes that half too. It
// then sleeps until the next Run. When the caller took back most halves
// of the last 64 splits because the helper had not taken them (the cores
// are busy with other work), the next 200 Runs run on one goroutine and
// the helper sleeps. Close stops the helper.
func (p *Program) Parallel() {
	if p.pool != nil {
		return
	}
	for _, s := range p.steps {
		if s.part != nil {
			p.pool = newPool()
			// A Program dropped without Close stops its helper.
			p.cleanup = runtime.AddCleanup(p, func(w *pool) { w.close() }, p.pool)
			return
		}
	}
}

// Close stops the helper goroutine of Parallel, if any (a Program that is
// no longer reachable stops it too). The Program can still Run
// afterwards, on one goroutine.
func (p *Program) Close() {
	if p.pool != nil {
		p.cleanup.Stop()
		p.pool.close()
		p.pool = nil
	}
}

// Job states of a pool.
const (
	jobIdle = iota
	jobPosted
	jobTaken
	jobDone
)

// pool is a helper goroutine that computes the second half of split ops.
type pool struct {
	state  atomic.Int32
	active atomic.Bool // a Run is under way
	awake  atomic.Bool // the helper is spinning, not sleeping
	fn     func(lo, hi int)
	lo, hi int
	wake   chan struct{}
	quit   chan struct{}
	closed sync.Once
	taken  atomic.Int64 // halves the helper computed (for tests)
	// serial counts down the Runs left to run on one goroutine after the
	// helper was found not to get a core (the cores are busy with other
	// work).
	serial int
	// window counts splits, and late the halves the caller took back
	// because the helper had not taken them.
	window, late int
	// handOff makes the caller always wait for the helper to compute the
	// second half, and never back off (for tests: every split then runs
	// on two goroutines, however busy the machine).
	handOff bool
}

// When the caller takes back more than half of the halves of splitWindow
// splits (counting those posted while the helper was awake), the helper is
// not getting a core: the next backoff Runs run on one goroutine.
const (
	backoff     = 200
	splitWindow = 64
)

func newPool() *pool {
	w := &pool{wake: make(chan struct{}, 1), quit: make(chan struct{})}
	go w.loop()
	return w
}

// linger is how long the helper keeps spinning after a Run ends.
const linger = 200 * time.Microsecond

// loop is the helper goroutine.
func (w *pool) loop() {
	for {
		select {
		case <-w.quit:
			return
		case <-w.wake:
		}
		w.awake.Store(true)
		var idleSince time.Time
		for spins := 0; ; spins++ {
			if w.state.Load() == jobPosted && w.state.CompareAndSwap(jobPosted, jobTaken) {
				w.fn(w.lo, w.hi)
				w.taken.Add(1)
				w.state.Store(jobDone)
				spins = 0
				continue
			}
			if spins%64 != 63 {
				continue
			}
			if w.active.Load() {
				idleSince = time.Time{}
				runtime.Gosched() // let other goroutines of this P run
				continue
			}
			if idleSince.IsZero() {
				idleSince = time.Now()
			} else if time.Since(idleSince) > linger {
				w.awake.Store(false)
				break
			}
			runtime.Gosched()
		}
	}
}

// begin marks the start of a Run and wakes the helper if it sleeps.
func (w *pool) begin() {
	w.active.Store(true)
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// end marks the end of a Run.
func (w *pool) end() { w.active.Store(false) }

// split computes f(0, mid) here and f(mid, n) on the helper, or here too
// if the helper has not taken it by then.
func (w *pool) split(f func(lo, hi int), mid, n int) {
	w.fn, w.lo, w.hi = f, mid, n
	awake := w.awake.Load()
	w.state.Store(jobPosted)
	f(0, mid)
	if w.handOff {
		for w.state.Load() != jobDone {
			runtime.Gosched()
		}
		w.fn = nil
		w.state.Store(jobIdle)
		return
	}
	if awake { // a helper still waking up is not counted late
		if w.window++; w.window == splitWindow {
			if w.late > splitWindow/2 && w.serial == 0 {
				w.serial = backoff // the helper rarely gets a core: stop spinning it
			}
			w.window, w.late = 0, 0
		}
	}
	if w.state.CompareAndSwap(jobPosted, jobIdle) {
		w.fn = nil
		if awake {
			w.late++
		}
		f(mid, n)
		return
	}
	for spins := 0; w.state.Load() != jobDone; spins++ {
		if spins%64 == 63 {
			runtime.Gosched()
		}
	}
	w.fn = nil // the helper keeps no reference to the Program
	w.state.Store(jobIdle)
}

// close stops the helper (again: nothing).
func (w *pool) close() { w.closed.Do(func() { close(w.quit) }) }

// Helper is a goroutine that computes the second part of work split in
// two, as Parallel's helper does for a Program's ops: it spins while work
// is handed over, sleeps when there is none, and backs off when the cores
// are busy (the caller then does both parts). Not safe for concurrent use.
type Helper struct{ w *pool }

// NewHelper starts a Helper; Close stops it, and so does dropping it.
func NewHelper() *Helper {
	h := &Helper{w: newPool()}
	runtime.AddCleanup(h, func(w *pool) { w.close() }, h.w)
	return h
}

// Split calls f(0, mid) on this goroutine and f(mid, n) on the helper (or
// here, when the helper has not taken it by then), and returns when both
// are done. f must give the same results whichever goroutine runs a part.
func (h *Helper) Split(f func(lo, hi int), mid, n int) {
	if h.w.serial > 0 || runtime.GOMAXPROCS(0) < 2 {
		h.w.serial = max(h.w.serial-1, 0)
		f(0, mid)
		f(mid, n)
		return
	}
	h.w.begin()
	h.w.split(f, mid, n)
	h.w.end()
}

// Close stops the helper goroutine.
func (h *Helper) Close() { h.w.close() }

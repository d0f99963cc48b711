package gym

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mbrl/mbrl/envs"
)

//go:embed bridge.py
var bridgeScript string

// bootstrap is the python -c program: it runs the bridge script, which
// mbrl passes in the environment variable scriptVar.
const (
	scriptVar = "MBRL_GYM_BRIDGE"
	bootstrap = "import os; exec(compile(os.environ.pop('" + scriptVar + "'), 'mbrl-gym-bridge.py', 'exec'))"
)

// Prefix marks a Gymnasium environment in an env name: "gym:Pendulum-v1".
const Prefix = "gym:"

// IsGym reports whether name names a Gymnasium environment ("gym:ID").
func IsGym(name string) bool { return strings.HasPrefix(name, Prefix) }

// Options configures the bridge. The zero value runs "python3" from PATH
// with no keyword arguments and no context.
type Options struct {
	// Python is the interpreter to run (a name looked up in PATH, or a
	// path); "" means python3.
	Python string
	// Kwargs are the keyword arguments of gym.make, as a JSON object
	// ("" or "{}": none), e.g. {"g": 9.81} for Pendulum-v1.
	Kwargs string
	// Context, if set, kills the bridge when it is done (the env then
	// reports the context's error).
	Context context.Context
	// Stderr, if set, receives everything the Python side writes to
	// stderr (warnings, tracebacks). The last lines are kept for error
	// messages either way.
	Stderr io.Writer
}

// ErrBridge is wrapped by every error of a bridge env: Python or its
// modules missing, gym.make failing, unsupported spaces, the env
// raising, the bridge process dying, NaN observations or rewards.
var ErrBridge = errors.New("gym")

// Env is a Gymnasium environment in a Python process, behind a pipe. It
// implements envs.Env with Gymnasium's semantics (terminated and
// truncated as Gymnasium reports them; Box spaces flattened; Discrete
// spaces as one float64 holding the index from 0), envs.Faulter (Err)
// and io.Closer. It is not safe for concurrent use: make one per
// goroutine, each with its own process.
type Env struct {
	id      string
	obs     envs.Space
	act     envs.Space
	shape   []int
	max     int
	version string

	p    *proc
	stop func() bool // releases the context watch

	last  []float64 // last observation (State)
	steps int
	err   error
	abuf  []float64
	wbuf  []byte
}

var (
	_ envs.Env     = (*Env)(nil)
	_ envs.Faulter = (*Env)(nil)
	_ io.Closer    = (*Env)(nil)
)

// proc is the bridge process and its pipe. It holds no reference to the
// Env, so that a garbage-collected Env's cleanup can kill it.
type proc struct {
	cmd    *exec.Cmd
	in     *os.File      // our end of the bridge's stdin
	outf   *os.File      // our end of the bridge's stdout
	out    *bufio.Reader // reads outf
	head   [5]byte       // the frame being read: its length and kind
	buf    []byte        // and its payload (reused: valid until the next read)
	stderr *tail
	python string

	mu       sync.Mutex
	done     bool
	ctxErr   error // set when the context killed the bridge
	waitErr  error
	waitDone chan struct{}
}

// New starts Python on the bridge script, makes gymnasium's env id
// (gym.make(id, **kwargs)) and reads its spaces. The returned env is an
// *Env, with the cost on observations or the termination rule of a
// known Gymnasium id added (see KnownIDs). Close it when done; a lost env's
// process is killed when the env is garbage collected, and on Linux when
// mbrl dies.
func New(id string, o Options) (envs.Env, error) {
	kwargs := map[string]any{}
	e, err := start(id, o, kwargs)
	if err != nil {
		return nil, err
	}
	return withKnown(e, kwargs), nil
}

// Open is New without the additions of Known: the plain bridge env.
func Open(id string, o Options) (*Env, error) { return start(id, o, map[string]any{}) }

func start(id string, o Options, kwargs map[string]any) (*Env, error) {
	if id == "" {
		return nil, fmt.Errorf("%w: give an environment id after %q, e.g. gym:Pendulum-v1", ErrBridge, Prefix)
	}
	if s := strings.TrimSpace(o.Kwargs); s != "" {
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		if err := d.Decode(&kwargs); err != nil {
			return nil, fmt.Errorf("%w: --gym-kwargs must be a JSON object such as {\"g\": 9.81}: %v", ErrBridge, err)
		}
		if d.More() {
			return nil, fmt.Errorf("%w: --gym-kwargs must be one JSON object, got more after it: %q", ErrBridge, s)
		}
	}
	args, err := json.Marshal(map[string]any{"id": id, "kwargs": kwargs})
	if err != nil {
		return nil, fmt.Errorf("%w: --gym-kwargs: %v", ErrBridge, err)
	}
	python := o.Python
	if python == "" {
		python = "python3"
	}
	path, err := exec.LookPath(python)
	if err != nil {
		return nil, fmt.Errorf("%w: Python %q not found (install Python 3 with gymnasium: 'pip install gymnasium'; or give its path with --python)", ErrBridge, python)
	}
	// The script travels in the environment (popped at once, so the env's
	// own subprocesses do not inherit it), keeping ps listings short.
	cmd := exec.Command(path, "-c", bootstrap, string(args))
	cmd.Env = append(os.Environ(), scriptVar+"="+bridgeScript)
	detach(cmd)
	p := &proc{cmd: cmd, stderr: &tail{max: 8 << 10, to: o.Stderr}, python: python, waitDone: make(chan struct{})}
	cmd.Stderr = p.stderr
	// The pipes stay in blocking mode, so that a read waits in the kernel
	// rather than in Go's poller (which costs a few microseconds per round
	// trip: the parked goroutine is woken through epoll on another thread).
	inR, inW, err := pipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBridge, err)
	}
	outR, outW, err := pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, fmt.Errorf("%w: %v", ErrBridge, err)
	}
	cmd.Stdin, cmd.Stdout = inR, outW
	p.in, p.outf, p.out = inW, outR, bufio.NewReaderSize(newReader(outR), 1<<16)
	err = cmd.Start()
	// The bridge holds its ends now; ours must go so that its exit is our EOF.
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("%w: start %s: %v", ErrBridge, python, err)
	}
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.waitErr = err
		p.mu.Unlock()
		close(p.waitDone)
	}()
	e := &Env{id: id, p: p}
	runtime.AddCleanup(e, func(p *proc) { p.kill(nil) }, p)
	if o.Context != nil {
		ctx := o.Context
		e.stop = context.AfterFunc(ctx, func() { p.kill(ctx.Err()) })
	}
	if err := e.handshake(); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// header is the bridge's first frame.
type header struct {
	Obs       spaceDesc `json:"obs"`
	Act       spaceDesc `json:"act"`
	MaxSteps  int       `json:"max_steps"`
	Gymnasium string    `json:"gymnasium"`
}

type spaceDesc struct {
	Kind  string  `json:"kind"`
	Shape []int   `json:"shape"`
	Low   []bound `json:"low"`
	High  []bound `json:"high"`
	N     int     `json:"n"`
}

// bound is a box bound: a number, or "inf", "-inf", "nan" (JSON has none).
type bound float64

func (b *bound) UnmarshalJSON(d []byte) error {
	var s string
	if json.Unmarshal(d, &s) == nil {
		v, err := strconv.ParseFloat(s, 64)
		*b = bound(v)
		return err
	}
	var v float64
	err := json.Unmarshal(d, &v)
	*b = bound(v)
	return err
}

func (s spaceDesc) space() envs.Space {
	if s.Kind == "discrete" {
		return envs.DiscreteSpace(s.N)
	}
	lo, hi := make([]float64, len(s.Low)), make([]float64, len(s.High))
	for i := range s.Low {
		lo[i], hi[i] = float64(s.Low[i]), float64(s.High[i])
	}
	return envs.Box(lo, hi)
}

func (e *Env) handshake() error {
	kind, payload, err := e.p.read()
	if err != nil {
		return e.p.died(e.id, err)
	}
	switch kind {
	case 'H':
	case 'M':
		mod, msg, _ := strings.Cut(string(payload), ": ")
		how := "'" + e.p.python + " -m pip install gymnasium'"
		if mod == "numpy" {
			how += " (it brings numpy; on Debian: apt install python3-numpy)"
		}
		return fmt.Errorf("%w: %s cannot import %s (%s); install it: %s, or give a Python that has it with --python",
			ErrBridge, e.p.python, mod, msg, how)
	case 'E':
		return fmt.Errorf("%w: %s", ErrBridge, payload)
	default:
		return fmt.Errorf("%w: bridge sent frame %q before its header", ErrBridge, kind)
	}
	var h header
	if err := json.Unmarshal(payload, &h); err != nil {
		return fmt.Errorf("%w: bad header from the bridge: %v", ErrBridge, err)
	}
	if len(h.Obs.Low) != len(h.Obs.High) || len(h.Act.Low) != len(h.Act.High) {
		return fmt.Errorf("%w: bad header from the bridge: bounds of different lengths", ErrBridge)
	}
	e.obs, e.act, e.shape, e.max, e.version = h.Obs.space(), h.Act.space(), h.Act.Shape, h.MaxSteps, h.Gymnasium
	if e.act.Discrete && e.act.N < 1 || !e.act.Discrete && e.act.Dim() == 0 {
		return fmt.Errorf("%w: %s has an empty action space", ErrBridge, e.id)
	}
	e.last = make([]float64, e.obs.Dim())
	e.abuf = make([]float64, e.act.Dim())
	e.wbuf = make([]byte, 5+8*max(e.act.Dim(), 1))
	return nil
}

// Name returns "gym:ID".
func (e *Env) Name() string { return Prefix + e.id }

// ID returns the Gymnasium id.
func (e *Env) ID() string { return e.id }

// GymnasiumVersion returns the version of the gymnasium the bridge runs.
func (e *Env) GymnasiumVersion() string { return e.version }

// ObservationSpace returns the flattened observation space.
func (e *Env) ObservationSpace() envs.Space { return e.obs }

// ActionSpace returns the flattened action space.
func (e *Env) ActionSpace() envs.Space { return e.act }

// MaxSteps returns the env's TimeLimit (spec.max_episode_steps; 0: none).
func (e *Env) MaxSteps() int { return e.max }

// StateDim is the observation's length: the bridge sees no internal state.
func (e *Env) StateDim() int { return e.obs.Dim() }

// State returns a copy of the last observation.
func (e *Env) State() []float64 { return append([]float64(nil), e.last...) }

// SetState fails: Gymnasium has no way to start an episode from a state.
func (e *Env) SetState([]float64) ([]float64, error) {
	return nil, fmt.Errorf("%w: %s cannot start from a given state (Gymnasium envs only reset)", ErrBridge, e.Name())
}

// Err returns the first fault of the env (nil if none). After a fault
// Reset returns the last observation and Step reports it terminated.
func (e *Env) Err() error { return e.err }

// Reset starts an episode with reset(seed=s), s drawn from rng (63 bits),
// so the same rng stream gives the same episodes with the same Python env.
func (e *Env) Reset(rng *rand.Rand) []float64 {
	seed := rng.Uint64() >> 1
	if e.err != nil {
		return e.State()
	}
	b := e.wbuf[:13]
	binary.LittleEndian.PutUint32(b, 9)
	b[4] = 'R'
	binary.LittleEndian.PutUint64(b[5:], seed)
	obs, _, _, _, err := e.call(b, 'O')
	if err != nil {
		e.fault(err)
		return e.State()
	}
	e.steps = 0
	return obs
}

// Step sends action (a Box action is clipped into its bounds and
// reshaped; a Discrete one must be an index) and returns Gymnasium's
// answer. On a fault it returns the last observation, reward 0 and
// terminated, and Err reports the fault.
func (e *Env) Step(action []float64) ([]float64, float64, bool, bool) {
	if e.err != nil {
		return e.State(), 0, true, false
	}
	if err := e.act.Validate(action); err != nil {
		e.fault(fmt.Errorf("%w: %s: %v", ErrBridge, e.Name(), err))
		return e.State(), 0, true, false
	}
	e.act.Clip(e.abuf, action)
	n := 1 + 8*len(e.abuf)
	b := e.wbuf[:4+n]
	binary.LittleEndian.PutUint32(b, uint32(n))
	b[4] = 'S'
	for i, v := range e.abuf {
		binary.LittleEndian.PutUint64(b[5+8*i:], math.Float64bits(v))
	}
	obs, r, term, trunc, err := e.call(b, 'T')
	if err != nil {
		e.fault(err)
		return e.State(), 0, true, false
	}
	e.steps++
	return obs, r, term, trunc
}

// ping makes one round trip through the pipe without touching the env.
func (e *Env) ping() error {
	if _, err := e.p.in.Write([]byte{1, 0, 0, 0, 'P'}); err != nil {
		return err
	}
	kind, _, err := e.p.read()
	if err == nil && kind != 'P' {
		err = fmt.Errorf("ping answered by %q", kind)
	}
	return err
}

func (e *Env) fault(err error) {
	if e.err == nil {
		e.err = err
	}
	e.Close()
}

// call sends one request and reads its answer of kind want.
func (e *Env) call(req []byte, want byte) (obs []float64, r float64, term, trunc bool, err error) {
	if _, err := e.p.in.Write(req); err != nil {
		return nil, 0, false, false, e.p.died(e.Name(), err)
	}
	kind, p, err := e.p.read()
	if err != nil {
		return nil, 0, false, false, e.p.died(e.Name(), err)
	}
	n := e.obs.Dim()
	switch {
	case kind == 'E':
		return nil, 0, false, false, fmt.Errorf("%w: %s raised at step %d: %s", ErrBridge, e.Name(), e.steps+1, p)
	case kind != want || (want == 'O' && len(p) != 8*n) || (want == 'T' && len(p) != 8*n+10):
		return nil, 0, false, false, fmt.Errorf("%w: %s: unexpected frame %q of %d bytes from the bridge", ErrBridge, e.Name(), kind, len(p))
	}
	obs = make([]float64, n)
	for i := range obs {
		obs[i] = math.Float64frombits(binary.LittleEndian.Uint64(p[8*i:]))
		if math.IsNaN(obs[i]) {
			return nil, 0, false, false, fmt.Errorf("%w: %s returned a NaN observation at step %d (element %d of %v)", ErrBridge, e.Name(), e.steps+1, i, obs)
		}
	}
	copy(e.last, obs)
	if want == 'T' {
		r = math.Float64frombits(binary.LittleEndian.Uint64(p[8*n:]))
		if math.IsNaN(r) {
			return nil, 0, false, false, fmt.Errorf("%w: %s returned a NaN reward at step %d", ErrBridge, e.Name(), e.steps+1)
		}
		term, trunc = p[8*n+8] != 0, p[8*n+9] != 0
	}
	return obs, r, term, trunc, nil
}

// Close ends the bridge: it asks it to close the env, then kills its
// process group after a grace period. It is safe to call more than once.
func (e *Env) Close() error {
	if e.stop != nil {
		e.stop()
	}
	e.p.close()
	return nil
}

// read reads one frame. Its payload is valid until the next read.
func (p *proc) read() (byte, []byte, error) {
	if _, err := io.ReadFull(p.out, p.head[:]); err != nil {
		return 0, nil, err
	}
	n := binary.LittleEndian.Uint32(p.head[:4])
	if n < 1 || n > 1<<30 {
		return 0, nil, fmt.Errorf("bad frame length %d", n)
	}
	if cap(p.buf) < int(n-1) {
		p.buf = make([]byte, n-1)
	}
	b := p.buf[:n-1]
	if _, err := io.ReadFull(p.out, b); err != nil {
		return 0, nil, err
	}
	return p.head[4], b, nil
}

// died explains a broken pipe: the context's error if the context
// killed the bridge, else how the process ended and its last stderr line.
func (p *proc) died(name string, err error) error {
	select {
	case <-p.waitDone:
	case <-time.After(2 * time.Second):
	}
	p.mu.Lock()
	ctxErr, waitErr := p.ctxErr, p.waitErr
	p.mu.Unlock()
	if ctxErr != nil {
		return fmt.Errorf("%w: %s: bridge stopped: %w", ErrBridge, name, ctxErr)
	}
	how := "ended"
	if waitErr != nil {
		how = "ended (" + waitErr.Error() + ")"
	}
	if line := p.stderr.lastLine(); line != "" {
		how += "; its last stderr line: " + line
	} else if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		how += ": " + err.Error()
	}
	return fmt.Errorf("%w: the bridge process for %s %s", ErrBridge, name, how)
}

// kill kills the process group; cause, if not nil, is the context error
// reported instead of the broken pipe.
func (p *proc) kill(cause error) {
	p.mu.Lock()
	if cause != nil && p.ctxErr == nil && !p.done {
		p.ctxErr = cause
	}
	p.done = true
	p.mu.Unlock()
	kill(p.cmd)
}

// close asks the bridge to quit, waits up to 1 s, then kills it.
func (p *proc) close() {
	p.mu.Lock()
	done := p.done
	p.done = true
	p.mu.Unlock()
	if !done {
		_, _ = p.in.Write([]byte{1, 0, 0, 0, 'Q'})
	}
	_ = p.in.Close()
	select {
	case <-p.waitDone:
	case <-time.After(time.Second):
	}
	kill(p.cmd)
	<-p.waitDone
	_ = p.outf.Close()
}

// tail keeps the last max bytes written to it (and copies them to to).
type tail struct {
	mu  sync.Mutex
	buf []byte
	max int
	to  io.Writer
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.to != nil {
		_, _ = t.to.Write(b)
	}
	t.buf = append(t.buf, b...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(b), nil
}

func (t *tail) lastLine() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := bytes.Split(bytes.TrimSpace(t.buf), []byte("\n"))
	return strings.TrimSpace(string(lines[len(lines)-1]))
}

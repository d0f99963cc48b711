package autodiff

import (
	"reflect"
	"strings"
	"unsafe"

	G "gorgonia.org/gorgonia"
)

// Rewind readies a machine made by G.NewTapeMachine for its next RunAll
// like vm.Reset, but keeps the values in the machine's registers, so that
// the next run writes every op's output into the memory the previous run
// allocated for it (Gorgonia's UsePreallocDo path, the one it already takes
// within a run when a register is reused; a buffer of the right size is
// reshaped to the op's output shape, one of another size is replaced)
// instead of allocating a new tensor per op. Values are computed by the
// same functions either way, so results are bit-identical to a Reset; only
// the allocations (and the garbage collection they cause) go away.
//
// A register whose value shares memory with an input or a constant of the
// graph (a reshaped view of an input, say) is cleared as Reset would, so
// that the next run never writes into an input.
//
// Node values read after a run alias that reused memory and are
// overwritten by the next run: copy what you keep (as with Reset). The
// module uses it on machines without G.BindDualValues (whose gradients
// Gorgonia accumulates into the dual values across runs); keep Reset for
// those. For a
// machine that is not a tape machine, or a Gorgonia whose machine lacks the
// fields Rewind needs, Rewind falls back to vm.Reset.
func Rewind(vm G.VM) {
	m, ok := tapeOf(vm)
	if !ok {
		vm.Reset()
		return
	}
	var fixed [32]memRange
	prot := protectedMemory(fixed[:0], m.g)
	for i, v := range *m.cpumem {
		if v != nil && overlapsAny(memOf(v), prot) {
			(*m.cpumem)[i] = nil
		}
	}
	*m.pc = 0
}

// tape is what Rewind reaches inside Gorgonia's tape machine.
type tape struct {
	pc     *int
	cpumem *[]G.Value
	g      *G.ExprGraph
}

// tapeOf finds, by reflection, the program counter (an unexported int
// "pc"), the CPU registers ("cpumem", []Value) and the graph (program "p"
// with field "g") of Gorgonia's tape machine, so that a change of these
// fields' names or types is detected rather than corrupting memory.
func tapeOf(vm G.VM) (tape, bool) {
	v := reflect.ValueOf(vm)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return tape{}, false
	}
	s := v.Elem()
	if s.Type().Name() != "tapeMachine" || s.Type().PkgPath() != "gorgonia.org/gorgonia" {
		return tape{}, false
	}
	pc, mem, p := s.FieldByName("pc"), s.FieldByName("cpumem"), s.FieldByName("p")
	if !pc.IsValid() || pc.Kind() != reflect.Int ||
		!mem.IsValid() || mem.Type() != reflect.TypeFor[[]G.Value]() ||
		!p.IsValid() || p.Kind() != reflect.Pointer || p.IsNil() || p.Elem().Kind() != reflect.Struct {
		return tape{}, false
	}
	g := p.Elem().FieldByName("g")
	if !g.IsValid() || g.Type() != reflect.TypeFor[*G.ExprGraph]() || g.IsNil() {
		return tape{}, false
	}
	return tape{
		pc:     (*int)(unsafe.Pointer(pc.UnsafeAddr())),
		cpumem: (*[]G.Value)(unsafe.Pointer(mem.UnsafeAddr())),
		g:      *(**G.ExprGraph)(unsafe.Pointer(g.UnsafeAddr())),
	}, true
}

// memRange is the byte range [lo, hi) of a value's memory.
type memRange struct{ lo, hi uintptr }

func memOf(v G.Value) memRange {
	p := v.Uintptr()
	return memRange{p, p + v.MemSize()}
}

func overlapsAny(r memRange, rs []memRange) bool {
	for _, q := range rs {
		if r.lo < q.hi && q.lo < r.hi {
			return true
		}
	}
	return false
}

// protectedMemory appends the memory of the values of g's inputs and
// constants (nodes no op of the machine computes) to dst.
func protectedMemory(dst []memRange, g *G.ExprGraph) []memRange {
	for _, n := range g.AllNodes() {
		if op := n.Op(); op != nil && !strings.HasPrefix(reflect.TypeOf(op).Name(), "constant") {
			continue
		}
		if v := n.Value(); v != nil && v.MemSize() > 0 {
			dst = append(dst, memOf(v))
		}
	}
	return dst
}

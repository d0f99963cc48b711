package autodiff

import (
	"reflect"
	"unsafe"

	G "gorgonia.org/gorgonia"
)

// Rewind readies a machine made by G.NewTapeMachine for its next RunAll
// like vm.Reset, but keeps the values in the machine's registers, so that
// the next run writes every op's output into the memory the previous run
// allocated for it (Gorgonia's UsePreallocDo path, the one it already takes
// within a run when a register is reused) instead of allocating a new
// tensor per op. Values are computed by the same functions either way, so
// results are bit-identical to a Reset; only the allocations (and the
// garbage collection they cause) go away.
//
// Node values read after a run alias that reused memory and are
// overwritten by the next run: copy what you keep (as with Reset). For a
// machine that is not a tape machine, or a Gorgonia whose machine has no
// program counter field, Rewind falls back to vm.Reset.
func Rewind(vm G.VM) {
	if pc, ok := tapePC(vm); ok {
		*pc = 0
		return
	}
	vm.Reset()
}

// tapePC returns a pointer to the program counter of Gorgonia's tape
// machine (an unexported int field "pc"), found by reflection so that a
// change of the field's name or type is detected rather than corrupting
// memory.
func tapePC(vm G.VM) (*int, bool) {
	v := reflect.ValueOf(vm)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, false
	}
	s := v.Elem()
	if s.Type().Name() != "tapeMachine" || s.Type().PkgPath() != "gorgonia.org/gorgonia" {
		return nil, false
	}
	f := s.FieldByName("pc")
	if !f.IsValid() || f.Kind() != reflect.Int {
		return nil, false
	}
	return (*int)(unsafe.Pointer(f.UnsafeAddr())), true
}

package luaapi

import (
	"fmt"
	"reflect"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// callFrames clears the call frames an execution leaves behind in its
// state. gopher-lua keeps a state's call frames in a fixed array and pops
// one by moving an index, so each frame keeps the function last called at
// its depth, and with it the function's upvalues, until a later call as
// deep overwrites it. A script could so keep a value alive after its
// execution ends, one depth per execution: nothing it could reach again,
// but memory no limit counts. gopher-lua has no API for this, so the VM
// finds the array once, by its field names, and after each execution sets
// the pointers of every frame that was used to nil, with ordinary pointer
// writes so the garbage collector sees them.
type callFrames struct {
	stack      unsafe.Pointer // gopher-lua's fixedCallFrameStack
	array, sp  uintptr        // offsets of its frames and its top
	size       uintptr        // of one frame
	fn, parent uintptr        // offsets of a frame's pointer fields
}

type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

// newCallFrames finds L's call frames. It fails if gopher-lua's state
// does not look as this was written for: then its tests fail too.
func newCallFrames(L *lua.LState) (callFrames, error) {
	stack := reflect.ValueOf(L).Elem().FieldByName("stack")
	if !stack.IsValid() || stack.Kind() != reflect.Interface || stack.Elem().Kind() != reflect.Pointer {
		return callFrames{}, fmt.Errorf("gopher-lua's LState has no call stack field")
	}
	fixed := stack.Elem().Type().Elem()
	array, okArray := fixed.FieldByName("array")
	sp, okSp := fixed.FieldByName("sp")
	if !okArray || array.Type.Kind() != reflect.Slice || !okSp || sp.Type.Kind() != reflect.Int {
		return callFrames{}, fmt.Errorf("gopher-lua's call stack is not a fixed array (%s)", fixed)
	}
	frame := array.Type.Elem()
	c := callFrames{stack: stack.Elem().UnsafePointer(), array: array.Offset, sp: sp.Offset, size: frame.Size()}
	pointers := 0
	for i := range frame.NumField() {
		f := frame.Field(i)
		switch {
		case f.Type.Kind() == reflect.Int:
		case f.Name == "Fn" && f.Type.Kind() == reflect.Pointer:
			c.fn, pointers = f.Offset, pointers+1
		case f.Name == "Parent" && f.Type.Kind() == reflect.Pointer:
			c.parent, pointers = f.Offset, pointers+1
		default:
			return callFrames{}, fmt.Errorf("gopher-lua's call frame has a field %s %s", f.Name, f.Type)
		}
	}
	if pointers != 2 {
		return callFrames{}, fmt.Errorf("gopher-lua's call frame %s has no Fn and Parent pointers", frame)
	}
	return c, nil
}

// clear drops the pointers of the frames above the stack's top, which is
// the bottom once an execution has ended. Frames are used bottom up, so
// the first frame without a function ends the ones used since the last
// clear.
func (c callFrames) clear() {
	frames := (*sliceHeader)(unsafe.Add(c.stack, c.array))
	for i := *(*int)(unsafe.Add(c.stack, c.sp)); i < frames.len; i++ {
		f := unsafe.Add(frames.data, uintptr(i)*c.size)
		fn := (*unsafe.Pointer)(unsafe.Add(f, c.fn))
		if *fn == nil {
			return
		}
		*fn = nil
		*(*unsafe.Pointer)(unsafe.Add(f, c.parent)) = nil
	}
}

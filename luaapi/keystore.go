package luaapi

import (
	"fmt"
	"net/http"

	lua "github.com/yuin/gopher-lua"
)

// Keystore is what the Keystore module needs from the host: the
// solution's key-value store (keystore.Keystore, through runtime). Its
// errors may implement StatusError, which scripts then see as the error
// table's type and status.
type Keystore interface {
	Get(key string) (value string, ok bool, err error)
	Set(key, value string) error
	Delete(key string) (existed bool, err error)
	// List returns up to count keys matching the glob pattern match after
	// cursor, and the cursor of the next page: "0" after the last.
	List(match string, count int, cursor string) (keys []string, next string, err error)
	Info() (KeystoreInfo, error)
	Clear() error
	// Command runs a command on key. Its result is nil, an int64, a
	// string, or a []any of strings and nils.
	Command(key, command string, args []string) (any, error)
}

// KeystoreInfo is what Keystore.info() reports: the limits and the usage.
type KeystoreInfo struct {
	MaxKeys, MaxValueBytes, MaxBytes int64
	Keys, Bytes                      int64
}

// errNoKeystore is what every Keystore call answers on a VM without one.
var errNoKeystore = &statusError{"ServiceUnavailableError", http.StatusServiceUnavailable, "Keystore is not available on this server"}

type statusError struct {
	typ    string
	status int
	msg    string
}

func (e *statusError) Error() string              { return e.msg }
func (e *statusError) ErrorStatus() (string, int) { return e.typ, e.status }

// keystoreModule builds the Keystore table. Every function takes one table
// of named arguments, as on the platform, and returns a table: the result
// ({value=...}, {keys=, cursor=}, {quota=, usage=}, or {} for set, delete
// and clear), or the error table {type=, error=, status=}.
func (vm *VM) keystoreModule(L *lua.LState) *lua.LTable {
	t := L.CreateTable(0, 7)
	for name, fn := range map[string]lua.LGFunction{
		"get":     vm.ksGet,
		"set":     vm.ksSet,
		"delete":  vm.ksDelete,
		"list":    vm.ksList,
		"info":    vm.ksInfo,
		"clear":   vm.ksClear,
		"command": vm.ksCommand,
	} {
		t.RawSetString(name, L.NewFunction(fn))
	}
	return t
}

// ksArgs reads the argument table of Keystore.<op> and its key.
func (vm *VM) ksArgs(L *lua.LState, op string, needKey bool) (*lua.LTable, string, error) {
	if vm.opts.Keystore == nil {
		return nil, "", errNoKeystore
	}
	args, ok := L.Get(1).(*lua.LTable)
	if !ok {
		if L.Get(1) == lua.LNil && !needKey {
			return L.CreateTable(0, 0), "", nil
		}
		return nil, "", fmt.Errorf("%w: Keystore.%s takes a table of arguments, got %s", ErrBadArgument, op, L.Get(1).Type())
	}
	if !needKey {
		return args, "", nil
	}
	key, err := ksString(args.RawGetString("key"), "Keystore."+op, "key")
	return args, key, err
}

// ksString reads a string argument; numbers are taken as tostring writes them.
func ksString(v lua.LValue, op, name string) (string, error) {
	switch v.Type() {
	case lua.LTString, lua.LTNumber:
		return v.String(), nil
	}
	return "", fmt.Errorf("%w: %s: %s must be a string, got %s (serialize tables with to_json)", ErrBadArgument, op, name, v.Type())
}

func ksDone(L *lua.LState, err error) int {
	if err != nil {
		return failure(L, err)
	}
	L.Push(L.CreateTable(0, 0))
	return 1
}

// Keystore.get{key=}
func (vm *VM) ksGet(L *lua.LState) int {
	_, key, err := vm.ksArgs(L, "get", true)
	if err != nil {
		return failure(L, err)
	}
	v, ok, err := vm.opts.Keystore.Get(key)
	if err != nil {
		return failure(L, err)
	}
	t := L.CreateTable(0, 1)
	if ok {
		t.RawSetString("value", lua.LString(v))
	}
	L.Push(t)
	return 1
}

// Keystore.set{key=, value=}
func (vm *VM) ksSet(L *lua.LState) int {
	args, key, err := vm.ksArgs(L, "set", true)
	if err != nil {
		return failure(L, err)
	}
	value, err := ksString(args.RawGetString("value"), "Keystore.set", "value")
	if err != nil {
		return failure(L, err)
	}
	return ksDone(L, vm.opts.Keystore.Set(key, value))
}

// Keystore.delete{key=}
func (vm *VM) ksDelete(L *lua.LState) int {
	_, key, err := vm.ksArgs(L, "delete", true)
	if err != nil {
		return failure(L, err)
	}
	_, err = vm.opts.Keystore.Delete(key)
	return ksDone(L, err)
}

// Keystore.clear()
func (vm *VM) ksClear(L *lua.LState) int {
	if _, _, err := vm.ksArgs(L, "clear", false); err != nil {
		return failure(L, err)
	}
	return ksDone(L, vm.opts.Keystore.Clear())
}

// Keystore.list{match=, count=, cursor=}
func (vm *VM) ksList(L *lua.LState) int {
	args, _, err := vm.ksArgs(L, "list", false)
	if err != nil {
		return failure(L, err)
	}
	var match, cursor string
	if v := args.RawGetString("match"); v != lua.LNil {
		if match, err = ksString(v, "Keystore.list", "match"); err != nil {
			return failure(L, err)
		}
	}
	if v := args.RawGetString("cursor"); v != lua.LNil {
		if cursor, err = ksString(v, "Keystore.list", "cursor"); err != nil {
			return failure(L, err)
		}
	}
	count := 0
	if v := args.RawGetString("count"); v != lua.LNil {
		n, ok := v.(lua.LNumber)
		if !ok || n != lua.LNumber(int(n)) || n < 0 {
			return failure(L, fmt.Errorf("%w: Keystore.list: count must be a whole number of at least 0, got %s", ErrBadArgument, v.String()))
		}
		count = int(n)
	}
	keys, next, err := vm.opts.Keystore.List(match, count, cursor)
	if err != nil {
		return failure(L, err)
	}
	t := L.CreateTable(0, 2)
	t.RawSetString("keys", stringList(L, keys))
	t.RawSetString("cursor", lua.LString(next))
	L.Push(t)
	return 1
}

// Keystore.info()
func (vm *VM) ksInfo(L *lua.LState) int {
	if _, _, err := vm.ksArgs(L, "info", false); err != nil {
		return failure(L, err)
	}
	info, err := vm.opts.Keystore.Info()
	if err != nil {
		return failure(L, err)
	}
	quota := L.CreateTable(0, 3)
	quota.RawSetString("keys", lua.LNumber(info.MaxKeys))
	quota.RawSetString("size", lua.LNumber(info.MaxBytes))
	quota.RawSetString("value_size", lua.LNumber(info.MaxValueBytes))
	usage := L.CreateTable(0, 2)
	usage.RawSetString("keys", lua.LNumber(info.Keys))
	usage.RawSetString("size", lua.LNumber(info.Bytes))
	t := L.CreateTable(0, 2)
	t.RawSetString("quota", quota)
	t.RawSetString("usage", usage)
	L.Push(t)
	return 1
}

// Keystore.command{key=, command=, args={...}}
func (vm *VM) ksCommand(L *lua.LState) int {
	args, key, err := vm.ksArgs(L, "command", true)
	if err != nil {
		return failure(L, err)
	}
	cmd, err := ksString(args.RawGetString("command"), "Keystore.command", "command")
	if err != nil {
		return failure(L, err)
	}
	var cargs []string
	switch a := args.RawGetString("args").(type) {
	case *lua.LTable:
		n := a.Len()
		cargs = make([]string, 0, n)
		for i := 1; i <= n; i++ {
			s, err := ksString(a.RawGetInt(i), "Keystore.command", fmt.Sprintf("args[%d]", i))
			if err != nil {
				return failure(L, err)
			}
			cargs = append(cargs, s)
		}
	case *lua.LNilType:
	default:
		return failure(L, fmt.Errorf("%w: Keystore.command: args must be a table of strings, got %s", ErrBadArgument, a.Type()))
	}
	v, err := vm.opts.Keystore.Command(key, cmd, cargs)
	if err != nil {
		return failure(L, err)
	}
	t := L.CreateTable(0, 1)
	if lv := ksValue(L, v); lv != lua.LNil {
		t.RawSetString("value", lv)
	}
	L.Push(t)
	return 1
}

// ksValue turns a command's result into Lua: a nil inside a list is false,
// as in Redis's Lua scripting, so the list keeps its length.
func ksValue(L *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case int64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case []any:
		t := newList(L, len(v))
		for _, item := range v {
			if lv := ksValue(L, item); lv != lua.LNil {
				t.Append(lv)
			} else {
				t.Append(lua.LFalse)
			}
		}
		return t
	}
	return lua.LNil
}

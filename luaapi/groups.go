package luaapi

import (
	"fmt"
	"slices"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// targetKeys are the argument names that choose what a Websocket operation
// acts on, with the Target kind each means; socket_id's kind is zero.
var targetKeys = [...]struct {
	name string
	kind TargetKind
}{
	{"socket_id", 0},
	{"user_id", ByUser},
	{"session_name", BySessionName},
	{"group", ByGroup},
	{"route", ByRoute},
}

// The targets each operation takes.
var (
	sendTargets = []TargetKind{0, ByUser, BySessionName, ByGroup}
	listTargets = []TargetKind{ByUser, BySessionName, ByRoute}
	groupTarget = []TargetKind{ByGroup}
)

// targetArgs reads the argument table of an operation that acts on exactly
// one of the targets allowed (a set of TargetKinds; 0 for socket_id) and
// returns it with the kind and key chosen.
//
// It allocates nothing unless it fails: Websocket.send{socket_id=} is on
// the message path of most scripts.
func targetArgs(L *lua.LState, op string, allowed []TargetKind) (*lua.LTable, TargetKind, string, error) {
	args, ok := L.Get(1).(*lua.LTable)
	if !ok {
		return nil, 0, "", fmt.Errorf("%w: %s expects a table with one of %s, got %s", ErrBadArgument, op, targetNames(allowed), L.Get(1).Type())
	}
	var (
		kind  TargetKind
		key   string
		found int
		name  string
	)
	for _, k := range targetKeys {
		v := args.RawGetString(k.name)
		if v == lua.LNil {
			continue
		}
		found++
		s, ok := v.(lua.LString)
		if !ok || s == "" {
			return nil, 0, "", fmt.Errorf("%w: %s: %s must be a non-empty string", ErrBadArgument, op, k.name)
		}
		kind, key, name = k.kind, string(s), k.name
	}
	if found != 1 {
		return nil, 0, "", fmt.Errorf("%w: %s takes exactly one of %s, got %d", ErrBadArgument, op, targetNames(allowed), found)
	}
	if !slices.Contains(allowed, kind) {
		return nil, 0, "", fmt.Errorf("%w: %s takes one of %s, not %s", ErrBadArgument, op, targetNames(allowed), name)
	}
	if kind == ByGroup && len(key) > MaxGroupBytes {
		return nil, 0, "", fmt.Errorf("%w: %s: group is %d bytes, over the limit of %d", ErrBadArgument, op, len(key), MaxGroupBytes)
	}
	return args, kind, key, nil
}

// targetNames lists the argument names of the kinds allowed.
func targetNames(allowed []TargetKind) string {
	var names []string
	for _, k := range targetKeys {
		if slices.Contains(allowed, k.kind) {
			names = append(names, k.name)
		}
	}
	return strings.Join(names, ", ")
}

// groupArg reads the group argument of args.
func groupArg(args *lua.LTable, op string) (string, error) {
	g, ok := args.RawGetString("group").(lua.LString)
	if !ok || g == "" {
		return "", fmt.Errorf("%w: %s: group must be a non-empty string", ErrBadArgument, op)
	}
	if len(g) > MaxGroupBytes {
		return "", fmt.Errorf("%w: %s: group is %d bytes, over the limit of %d", ErrBadArgument, op, len(g), MaxGroupBytes)
	}
	return string(g), nil
}

// Websocket.join{socket_id=, group=} and Websocket.leave{socket_id=, group=}
func (vm *VM) wsJoin(L *lua.LState) int {
	return vm.membership(L, "Websocket.join", vm.opts.Sockets.Join)
}
func (vm *VM) wsLeave(L *lua.LState) int {
	return vm.membership(L, "Websocket.leave", vm.opts.Sockets.Leave)
}

func (vm *VM) membership(L *lua.LState, op string, change func(id, group string) error) int {
	args, id, err := socketArgs(L, op)
	if err != nil {
		return failure(L, err)
	}
	group, err := groupArg(args, op)
	if err != nil {
		return failure(L, err)
	}
	if err := change(id, group); err != nil {
		return failure(L, err)
	}
	return 0
}

// Websocket.members{group=}
func (vm *VM) wsMembers(L *lua.LState) int {
	_, _, group, err := targetArgs(L, "Websocket.members", groupTarget)
	if err != nil {
		return failure(L, err)
	}
	L.Push(stringList(L, vm.opts.Sockets.ListOf(Target{ByGroup, group})))
	return 1
}

// Websocket.groups{socket_id=}
func (vm *VM) wsGroups(L *lua.LState) int {
	_, id, err := socketArgs(L, "Websocket.groups")
	if err != nil {
		return failure(L, err)
	}
	groups, err := vm.opts.Sockets.Groups(id)
	if err != nil {
		return failure(L, err)
	}
	L.Push(stringList(L, groups))
	return 1
}

// Websocket.presence{group=[, user_id=]}
func (vm *VM) wsPresence(L *lua.LState) int {
	const op = "Websocket.presence"
	args, ok := L.Get(1).(*lua.LTable)
	if !ok {
		return failure(L, fmt.Errorf("%w: %s expects a table {group=, user_id=}, got %s", ErrBadArgument, op, L.Get(1).Type()))
	}
	group, err := groupArg(args, op)
	if err != nil {
		return failure(L, err)
	}
	switch user := args.RawGetString("user_id").(type) {
	case *lua.LNilType:
	case lua.LString:
		if user == "" {
			return failure(L, fmt.Errorf("%w: %s: user_id must be a non-empty string", ErrBadArgument, op))
		}
		L.Push(lua.LNumber(vm.opts.Sockets.UserPresence(group, string(user))))
		return 1
	default:
		return failure(L, fmt.Errorf("%w: %s: user_id must be a non-empty string", ErrBadArgument, op))
	}
	p := vm.opts.Sockets.Presence(group)
	users := L.CreateTable(0, len(p.Users))
	for u, n := range p.Users {
		users.RawSetString(u, lua.LNumber(n))
	}
	t := L.CreateTable(0, 2)
	t.RawSetString("sockets", lua.LNumber(p.Sockets))
	t.RawSetString("users", users)
	L.Push(t)
	return 1
}

func stringList(L *lua.LState, ss []string) *lua.LTable {
	t := newList(L, len(ss))
	for _, s := range ss {
		t.Append(lua.LString(s))
	}
	return t
}

// setGroups sets websocketInfo.groups on a close event: a table built for
// this execution, as close events are few. Other events do not have the
// field, and pay nothing for it unless the last fill set it.
func (it *infoTables) setGroups(L *lua.LState, ev *Event) {
	if ev.Type != EventClose {
		if it.groups {
			setField(it.info, "groups", lua.LNil)
			it.groups, it.groupList = false, nil
		}
		return
	}
	it.groupList = stringList(L, ev.Groups)
	it.info.RawSetString("groups", it.groupList)
	it.groups = true
}

// newList makes a table for a list of n items. It has an array part even
// when n is 0, so that to_json writes it as [] however many items it got.
func newList(L *lua.LState, n int) *lua.LTable { return L.CreateTable(max(n, 1), 0) }

package luaapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"unicode/utf8"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// registerModules puts luagate's own modules and functions into the base.
func (vm *VM) registerModules(base *lua.LTable) {
	L := vm.L
	base.RawSetString("Websocket", vm.moduleTable(map[string]lua.LGFunction{
		"send":     vm.wsSend,
		"close":    vm.wsClose,
		"info":     vm.wsInfo,
		"list":     vm.wsList,
		"closeAll": vm.wsCloseAll,
		"join":     vm.wsJoin,
		"leave":    vm.wsLeave,
		"members":  vm.wsMembers,
		"groups":   vm.wsGroups,
		"presence": vm.wsPresence,
		"request":  vm.wsRequest,
	}))
	base.RawSetString("Keystore", vm.keystoreModule(L))
	vm.registerJSON(base)
	vm.registerPush(base)
	vm.registerFiles(base)
	base.RawSetString("print", L.NewFunction(vm.print))
	base.RawSetString("require", L.NewFunction(vm.require))
}

// moduleTable is a module of Go functions, as a table of them.
func (vm *VM) moduleTable(fns map[string]lua.LGFunction) *lua.LTable {
	t := vm.L.CreateTable(0, len(fns))
	for name, fn := range fns {
		t.RawSetString(name, vm.L.NewFunction(fn))
	}
	return t
}

// Websocket.send{socket_id=|user_id=|session_name=|group=, message=, type=}
func (vm *VM) wsSend(L *lua.LState) int {
	args, kind, id, err := targetArgs(L, "Websocket.send", sendTargets)
	if err != nil {
		return failure(L, err)
	}
	typ, err := messageType(args.RawGetString("type"))
	if err != nil {
		return failure(L, err)
	}
	v := args.RawGetString("message")
	if v.Type() != lua.LTString && v.Type() != lua.LTNumber {
		return failure(L, fmt.Errorf("%w: Websocket.send: message must be a string, got %s (serialize tables with to_json)", ErrBadArgument, v.Type()))
	}
	msg, binary, err := encodeMessage(v, typ)
	if err != nil {
		return failure(L, err)
	}
	wait := lua.LVAsBool(args.RawGetString("wait"))
	if kind != 0 {
		if wait {
			return failure(L, fmt.Errorf("%w: Websocket.send: wait=true needs a socket_id", ErrBadArgument))
		}
		L.Push(lua.LNumber(vm.opts.Sockets.SendTo(Target{kind, id}, msg, binary)))
		return 1
	}
	if wait {
		err = vm.wait(L, "Websocket.send", id, args, func(ctx context.Context) error {
			return vm.opts.Requests.SendWait(ctx, id, msg, binary)
		})
		if err != nil {
			return failure(L, err)
		}
		return 0
	}
	if vm.poster != nil && L.WantedResults() == 0 {
		// Nobody reads the result: a remote socket's node need not answer.
		err = vm.poster.Post(id, msg, binary)
	} else {
		err = vm.opts.Sockets.Send(id, msg, binary)
	}
	if err != nil {
		return failure(L, err)
	}
	return 0
}

// Websocket.close{socket_id=|user_id=|session_name=|group=}
func (vm *VM) wsClose(L *lua.LState) int {
	_, kind, id, err := targetArgs(L, "Websocket.close", sendTargets)
	if err != nil {
		return failure(L, err)
	}
	if kind != 0 {
		L.Push(lua.LNumber(vm.opts.Sockets.CloseTo(Target{kind, id})))
		return 1
	}
	if err := vm.opts.Sockets.Close(id); err != nil {
		return failure(L, err)
	}
	return 0
}

// Websocket.info{socket_id=}
func (vm *VM) wsInfo(L *lua.LState) int {
	_, id, err := socketArgs(L, "Websocket.info")
	if err != nil {
		return failure(L, err)
	}
	c, err := vm.opts.Sockets.Info(id)
	if err != nil {
		return failure(L, err)
	}
	L.Push(connInfo(L, c))
	return 1
}

// Websocket.list([{user_id=|session_name=|route=}])
func (vm *VM) wsList(L *lua.LState) int {
	if L.Get(1) == lua.LNil {
		l, ok := vm.opts.Sockets.(ConnLister)
		if !ok {
			L.Push(stringList(L, vm.opts.Sockets.List()))
			return 1
		}
		local, remote := l.ListConns()
		t := newList(L, len(local)+len(remote))
		for _, c := range local {
			t.Append(c.luaID)
		}
		for _, id := range remote {
			t.Append(lua.LString(id))
		}
		L.Push(t)
		return 1
	}
	_, kind, key, err := targetArgs(L, "Websocket.list", listTargets)
	if err != nil {
		return failure(L, err)
	}
	L.Push(stringList(L, vm.opts.Sockets.ListOf(Target{kind, key})))
	return 1
}

// Websocket.closeAll()
func (vm *VM) wsCloseAll(L *lua.LState) int {
	L.Push(lua.LNumber(vm.opts.Sockets.CloseAll()))
	return 1
}

// websocketInfo.send(message[, type])
func (vm *VM) websocketInfoSend(L *lua.LState) int {
	x := vm.cur
	if x == nil {
		return failure(L, ErrSocketClosed)
	}
	first := 1
	if L.Get(1) == x.info { // websocketInfo:send(...)
		first = 2
	}
	if x.ev.Type == EventClose {
		return failure(L, fmt.Errorf("%w: websocketInfo.send is not usable in a close event", ErrSocketClosed))
	}
	typ, err := messageType(L.Get(first + 1))
	if err != nil {
		return failure(L, err)
	}
	v := L.Get(first)
	switch v.Type() {
	case lua.LTString, lua.LTNumber, lua.LTTable:
	default:
		return failure(L, fmt.Errorf("%w: websocketInfo.send: message must be a string or a table, got %s", ErrBadArgument, v.Type()))
	}
	msg, binary, err := encodeMessage(v, typ)
	if err != nil {
		return failure(L, err)
	}
	if err := x.ev.Peer.Send(msg, binary); err != nil {
		return failure(L, err)
	}
	return 0
}

// websocketInfo.close()
func (vm *VM) websocketInfoClose(L *lua.LState) int {
	x := vm.cur
	if x == nil {
		return failure(L, ErrSocketClosed)
	}
	if x.ev.Type == EventClose {
		return failure(L, fmt.Errorf("%w: websocketInfo.close is not usable in a close event", ErrSocketClosed))
	}
	if err := x.ev.Peer.Close(); err != nil {
		return failure(L, err)
	}
	return 0
}

// socketArgs reads the argument table every Websocket operation but list
// takes, and its socket_id.
func socketArgs(L *lua.LState, op string) (*lua.LTable, string, error) {
	args, ok := L.Get(1).(*lua.LTable)
	if !ok {
		return nil, "", fmt.Errorf("%w: %s expects a table {socket_id=...}, got %s", ErrBadArgument, op, L.Get(1).Type())
	}
	id, ok := args.RawGetString("socket_id").(lua.LString)
	if !ok || id == "" {
		return nil, "", fmt.Errorf("%w: %s: socket_id must be a non-empty string", ErrBadArgument, op)
	}
	return args, string(id), nil
}

func messageType(v lua.LValue) (string, error) {
	switch v := v.(type) {
	case *lua.LNilType:
		return MessageText, nil
	case lua.LString:
		return parseMessageType(string(v))
	}
	return parseMessageType(v.String())
}

func parseMessageType(s string) (string, error) {
	switch s {
	case "", MessageText:
		return MessageText, nil
	case MessageBinary:
		return MessageBinary, nil
	}
	return "", fmt.Errorf("%w: type must be %q or %q, got %q", ErrBadArgument, MessageText, MessageBinary, s)
}

// encodeMessage turns a Lua value into the bytes of a WebSocket message: a
// table becomes JSON text, a data-binary string is base64-decoded. A text
// message must be UTF-8, or the client fails the connection (1007); a
// function, thread or userdata has no message to make.
func encodeMessage(v lua.LValue, typ string) ([]byte, bool, error) {
	var s string
	switch v := v.(type) {
	case *lua.LTable:
		b, err := encodeJSON(v)
		if err != nil {
			return nil, false, fmt.Errorf("%w: message table: %w", ErrBadArgument, err)
		}
		return b, false, nil
	case lua.LString:
		s = string(v)
	case lua.LNumber, lua.LBool:
		s = v.String()
	default:
		return nil, false, fmt.Errorf("%w: a message must be a string, number, boolean or table, not a %s", ErrBadArgument, v.Type())
	}
	if typ == MessageBinary {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, false, fmt.Errorf("%w: data-binary message must be base64: %w", ErrBadArgument, err)
		}
		return b, true, nil
	}
	if !utf8.ValidString(s) {
		return nil, false, fmt.Errorf("%w: a %s message must be valid UTF-8 (send other bytes as %s, base64-encoded)", ErrBadArgument, MessageText, MessageBinary)
	}
	return stringBytes(s), false, nil
}

// stringBytes is s's own memory as a byte slice, which no one may write
// to. A message goes from the script to the socket's queue, a prepared
// frame, a cluster request or a proxy's backend, and every one of them
// only reads it (gorilla copies it into its write buffer, masking there
// for a client connection): the copy was one of the seven allocations of
// an echo's round trip in BenchmarkEchoRoundTrip. An empty message stays
// a non-nil slice, as the copy made it: a rate-limit handler's reply of
// "" is a reply, where nil is none.
func stringBytes(s string) []byte {
	if s == "" {
		return []byte{}
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

func encodeBase64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// failure returns the error table to the script: Websocket operations report
// failures as values and never raise.
func failure(L *lua.LState, err error) int {
	L.Push(ErrorTable(L, err))
	return 1
}

package luaapi

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Pusher is what the Push module needs from the host: push.Service, behind
// an adapter, as this package imports nothing of luagate's. Records are a
// message or global message as the management API shows it, a field per
// key (times in RFC 3339), absent fields left out.
type Pusher interface {
	Send(p PushArgs) ([]PushItem, error)
	Global(p PushArgs) (map[string]string, error)
	Status(id string) (map[string]string, error)
	Cancel(id string) (map[string]string, error)
	Register(r PushRegistration) (token, connectionURI string, err error)
}

// PushArgs is what Push.send and Push.global take. ExpiresAt is as the
// script gave it: Unix seconds or a time string, "" for none.
type PushArgs struct {
	Recipients                []string
	Message, Topic, ExpiresAt string
}

// PushItem is one recipient's answer to Push.send.
type PushItem struct {
	Record map[string]string
	Err    error
}

// PushRegistration is what Push.register takes. Host is the running
// event's socket's host, for the connection URI when the server has no
// public URL.
type PushRegistration struct {
	Recipient, SourceIP, Origin, Topic string
	ExpiresIn                          time.Duration
	Host                               string
	TLS                                bool
}

// errNoPush is a Push call on a server without push.
var errNoPush = &pushUnavailable{}

type pushUnavailable struct{}

func (*pushUnavailable) Error() string { return "push is not enabled on this server" }

func (*pushUnavailable) ErrorStatus() (string, int) {
	return "UnavailableError", http.StatusServiceUnavailable
}

func (vm *VM) registerPush(base *lua.LTable) {
	L := vm.L
	t := L.CreateTable(0, 5)
	for name, fn := range map[string]lua.LGFunction{
		"send":     vm.pushSend,
		"global":   vm.pushGlobal,
		"status":   vm.pushStatus,
		"cancel":   vm.pushCancel,
		"register": vm.pushRegister,
	} {
		t.RawSetString(name, L.NewFunction(fn))
	}
	base.RawSetString("Push", t)
}

// pushTable checks Push.op's one argument, a table.
func (vm *VM) pushTable(L *lua.LState, op string) (*lua.LTable, error) {
	if vm.opts.Pusher == nil {
		return nil, errNoPush
	}
	args, ok := L.Get(1).(*lua.LTable)
	if !ok {
		return nil, fmt.Errorf("%w: Push.%s expects a table, got %s", ErrBadArgument, op, L.Get(1).Type())
	}
	return args, nil
}

// optString reads an optional string (or number) field.
func optString(args *lua.LTable, op, field string) (string, error) {
	switch v := args.RawGetString(field).(type) {
	case *lua.LNilType:
		return "", nil
	case lua.LString:
		return string(v), nil
	case lua.LNumber:
		return v.String(), nil
	default:
		return "", fmt.Errorf("%w: Push.%s: %s must be a string, got %s", ErrBadArgument, op, field, v.Type())
	}
}

// pushArgs reads the message, topic and expires_at of Push.send and
// Push.global.
func pushArgs(args *lua.LTable, op string) (PushArgs, error) {
	var p PushArgs
	v := args.RawGetString("message")
	if v.Type() != lua.LTString {
		return p, fmt.Errorf("%w: Push.%s: message must be a string, got %s (serialize tables with to_json)", ErrBadArgument, op, v.Type())
	}
	p.Message = string(v.(lua.LString))
	var err error
	if p.Topic, err = optString(args, op, "topic"); err != nil {
		return p, err
	}
	p.ExpiresAt, err = optString(args, op, "expires_at")
	return p, err
}

func recordTable(L *lua.LState, rec map[string]string) *lua.LTable {
	t := L.CreateTable(0, len(rec))
	for k, v := range rec {
		t.RawSetString(k, lua.LString(v))
	}
	return t
}

// Push.send{recipients={...}|recipient=, message=, topic=, expires_at=}
func (vm *VM) pushSend(L *lua.LState) int {
	args, err := vm.pushTable(L, "send")
	if err != nil {
		return failure(L, err)
	}
	p, err := pushArgs(args, "send")
	if err != nil {
		return failure(L, err)
	}
	switch r := args.RawGetString("recipients").(type) {
	case *lua.LTable:
		for i := 1; i <= r.Len(); i++ {
			s, ok := r.RawGetInt(i).(lua.LString)
			if !ok {
				return failure(L, fmt.Errorf("%w: Push.send: recipients[%d] must be a string", ErrBadArgument, i))
			}
			p.Recipients = append(p.Recipients, string(s))
		}
	case *lua.LNilType:
		s, ok := args.RawGetString("recipient").(lua.LString)
		if !ok {
			return failure(L, fmt.Errorf("%w: Push.send: give recipients={...} or recipient=", ErrBadArgument))
		}
		p.Recipients = []string{string(s)}
	default:
		return failure(L, fmt.Errorf("%w: Push.send: recipients must be a list of strings", ErrBadArgument))
	}
	items, err := vm.opts.Pusher.Send(p)
	if err != nil {
		return failure(L, err)
	}
	out := L.CreateTable(len(items), 0)
	for _, it := range items {
		t := L.CreateTable(0, 1)
		if it.Err != nil {
			t.RawSetString("error", ErrorTable(L, it.Err))
		} else {
			t.RawSetString("item", recordTable(L, it.Record))
		}
		out.Append(t)
	}
	L.Push(out)
	return 1
}

// Push.global{message=, topic=, expires_at=}
func (vm *VM) pushGlobal(L *lua.LState) int {
	args, err := vm.pushTable(L, "global")
	if err != nil {
		return failure(L, err)
	}
	p, err := pushArgs(args, "global")
	if err != nil {
		return failure(L, err)
	}
	return vm.pushRecord(L, func() (map[string]string, error) { return vm.opts.Pusher.Global(p) })
}

// Push.status{id=}
func (vm *VM) pushStatus(L *lua.LState) int { return vm.pushByID(L, "status", vm.opts.Pusher.Status) }

// Push.cancel{id=}
func (vm *VM) pushCancel(L *lua.LState) int { return vm.pushByID(L, "cancel", vm.opts.Pusher.Cancel) }

func (vm *VM) pushByID(L *lua.LState, op string, fn func(string) (map[string]string, error)) int {
	args, err := vm.pushTable(L, op)
	if err != nil {
		return failure(L, err)
	}
	id, ok := args.RawGetString("id").(lua.LString)
	if !ok || id == "" {
		return failure(L, fmt.Errorf("%w: Push.%s: id must be a non-empty string", ErrBadArgument, op))
	}
	return vm.pushRecord(L, func() (map[string]string, error) { return fn(string(id)) })
}

func (vm *VM) pushRecord(L *lua.LState, fn func() (map[string]string, error)) int {
	rec, err := fn()
	if err != nil {
		return failure(L, err)
	}
	L.Push(recordTable(L, rec))
	return 1
}

// Push.register{recipient=, source_ip=, origin=, topic=, expires_in=}
func (vm *VM) pushRegister(L *lua.LState) int {
	args, err := vm.pushTable(L, "register")
	if err != nil {
		return failure(L, err)
	}
	var r PushRegistration
	for _, f := range []struct {
		name string
		into *string
	}{{"recipient", &r.Recipient}, {"source_ip", &r.SourceIP}, {"origin", &r.Origin}, {"topic", &r.Topic}} {
		if *f.into, err = optString(args, "register", f.name); err != nil {
			return failure(L, err)
		}
	}
	switch v := args.RawGetString("expires_in").(type) {
	case *lua.LNilType:
	case lua.LNumber:
		r.ExpiresIn = time.Duration(float64(v) * float64(time.Second))
	default:
		return failure(L, fmt.Errorf("%w: Push.register: expires_in must be a number of seconds, got %s", ErrBadArgument, v.Type()))
	}
	if x := vm.cur; x != nil && x.ev != nil && x.ev.Conn != nil {
		if u, err := url.Parse(x.ev.Conn.URI); err == nil {
			r.Host, r.TLS = u.Host, u.Scheme == "wss"
		}
	}
	token, uri, err := vm.opts.Pusher.Register(r)
	if err != nil {
		return failure(L, err)
	}
	t := L.CreateTable(0, 2)
	t.RawSetString("token", lua.LString(token))
	t.RawSetString("connection_uri", lua.LString(uri))
	L.Push(t)
	return 1
}

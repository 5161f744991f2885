package luaapi

import (
	"encoding/base64"
	"fmt"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Files is what the Files module needs from the host: each socket's
// session directory, and files placed behind public links.
type Files interface {
	// Put keeps content as the file name of the socket's session
	// directory until the socket closes.
	Put(socketID, name string, content []byte) (FileInfo, error)
	// PutLink keeps content as name behind a new public link for ttl
	// (zero: the default).
	PutLink(socketID, name string, content []byte, ttl time.Duration) (FileLink, error)
	// List describes the session directory's files, by name.
	List(socketID string) ([]FileInfo, error)
	// Get returns a session file's content.
	Get(socketID, name string) ([]byte, error)
	// Delete removes a session file.
	Delete(socketID, name string) error
}

// FileInfo describes a session file.
type FileInfo struct {
	Name       string
	Size       int64
	ModifiedAt time.Time
}

// FileLink is a file placed behind a public link.
type FileLink struct {
	// URL is the link's path: /files/<token>/<name>.
	URL       string
	ExpiresAt time.Time
}

// registerFiles puts the Files module into the base.
func (vm *VM) registerFiles(base *lua.LTable) {
	base.RawSetString("Files", vm.moduleTable(map[string]lua.LGFunction{
		"put":    vm.filesPut,
		"list":   vm.filesList,
		"get":    vm.filesGet,
		"delete": vm.filesDelete,
	}))
}

// fileArgs reads a Files operation's socket_id, which must name an open
// socket or the event's own, and, when named, its name.
func (vm *VM) fileArgs(L *lua.LState, op string, named bool) (*lua.LTable, string, string, error) {
	args, id, err := socketArgs(L, op)
	if err != nil {
		return nil, "", "", err
	}
	if vm.opts.Files == nil {
		return nil, "", "", fmt.Errorf("%s: this server keeps no files", op)
	}
	// A close event still reaches its socket's files: they are removed
	// after it.
	if x := vm.cur; x == nil || x.ev.Conn == nil || x.ev.Conn.ID != id {
		if _, err := vm.opts.Sockets.Info(id); err != nil {
			return nil, "", "", err
		}
	}
	if !named {
		return args, id, "", nil
	}
	name, ok := args.RawGetString("name").(lua.LString)
	if !ok {
		return nil, "", "", fmt.Errorf("%w: %s: name must be a string", ErrBadArgument, op)
	}
	return args, id, string(name), nil
}

// Files.put{socket_id=, name=, content=, base64=, ttl=, link=}
func (vm *VM) filesPut(L *lua.LState) int {
	args, id, name, err := vm.fileArgs(L, "Files.put", true)
	if err != nil {
		return failure2(L, err)
	}
	v, ok := args.RawGetString("content").(lua.LString)
	if !ok {
		return failure2(L, fmt.Errorf("%w: Files.put: content must be a string", ErrBadArgument))
	}
	content := []byte(v)
	if lua.LVAsBool(args.RawGetString("base64")) {
		if content, err = base64.StdEncoding.DecodeString(string(v)); err != nil {
			return failure2(L, fmt.Errorf("%w: Files.put: content is not base64: %w", ErrBadArgument, err))
		}
	}
	ttl := args.RawGetString("ttl")
	if ttl == lua.LNil && !lua.LVAsBool(args.RawGetString("link")) {
		info, err := vm.opts.Files.Put(id, name, content)
		if err != nil {
			return failure2(L, err)
		}
		L.Push(fileTable(L, info))
		return 1
	}
	var d time.Duration
	if ttl != lua.LNil {
		n, ok := ttl.(lua.LNumber)
		if !ok || n <= 0 {
			return failure2(L, fmt.Errorf("%w: Files.put: ttl must be a number of seconds above 0", ErrBadArgument))
		}
		d = time.Duration(float64(n) * float64(time.Second))
	}
	l, err := vm.opts.Files.PutLink(id, name, content, d)
	if err != nil {
		return failure2(L, err)
	}
	t := L.CreateTable(0, 2)
	t.RawSetString("url", lua.LString(l.URL))
	t.RawSetString("expires_at", lua.LNumber(l.ExpiresAt.UnixMilli()))
	L.Push(t)
	return 1
}

// Files.list{socket_id=}
func (vm *VM) filesList(L *lua.LState) int {
	_, id, _, err := vm.fileArgs(L, "Files.list", false)
	if err != nil {
		return failure2(L, err)
	}
	infos, err := vm.opts.Files.List(id)
	if err != nil {
		return failure2(L, err)
	}
	t := L.CreateTable(len(infos), 0)
	for _, info := range infos {
		t.Append(fileTable(L, info))
	}
	L.Push(t)
	return 1
}

// Files.get{socket_id=, name=, base64=}
func (vm *VM) filesGet(L *lua.LState) int {
	args, id, name, err := vm.fileArgs(L, "Files.get", true)
	if err != nil {
		return failure2(L, err)
	}
	b, err := vm.opts.Files.Get(id, name)
	if err != nil {
		return failure2(L, err)
	}
	if lua.LVAsBool(args.RawGetString("base64")) {
		L.Push(lua.LString(encodeBase64(b)))
	} else {
		L.Push(lua.LString(b))
	}
	return 1
}

// Files.delete{socket_id=, name=}
func (vm *VM) filesDelete(L *lua.LState) int {
	_, id, name, err := vm.fileArgs(L, "Files.delete", true)
	if err != nil {
		return failure(L, err)
	}
	if err := vm.opts.Files.Delete(id, name); err != nil {
		return failure(L, err)
	}
	return 0
}

func fileTable(L *lua.LState, info FileInfo) *lua.LTable {
	t := L.CreateTable(0, 3)
	t.RawSetString("name", lua.LString(info.Name))
	t.RawSetString("size", lua.LNumber(info.Size))
	t.RawSetString("modified_at", lua.LNumber(info.ModifiedAt.UnixMilli()))
	return t
}

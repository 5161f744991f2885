package luaapi

import (
	"encoding/binary"
	"slices"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"
)

// connShared is what every copy of a Conn made by NewConn shares, in one
// allocation.
type connShared struct {
	headers, params packedStrings
	// log limits how fast the connection's scripts log. It is made at the
	// first line: a limiter made then holds its whole burst, as one made
	// at connect would by that time, and most connections never log.
	log atomic.Pointer[logLimiter]
	// info is Websocket.info's record of the connection, built at the
	// first call (conninfo.go).
	info atomic.Pointer[infoTemplate]
}

// logLimiter returns the connection's log limiter, making it.
func (s *connShared) logLimiter() *logLimiter {
	if l := s.log.Load(); l != nil {
		return l
	}
	l := newLogLimiter(SocketLogRate, SocketLogBurst)
	if s.log.CompareAndSwap(nil, l) {
		return l
	}
	return s.log.Load()
}

// packedStrings is a connection's headers or parameters. As a shared Lua
// table (lua.LTable.Share) with a Lua string per key and value, a handful
// of headers costs an idle socket several hundred bytes; packed in one Go
// string they cost their length. The table is built when an event or a
// Websocket.info first asks for it, and dropped (Conn.Idle) while the
// socket waits without a goroutine.
type packedStrings struct {
	// packed is each key and then its value, in key order, each preceded
	// by its length as a uvarint; "" for none.
	packed string
	table  atomic.Pointer[lua.LTable]
}

// packStrings packs m as packedStrings.packed.
func packStrings(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	n := 0
	for k, v := range m {
		keys = append(keys, k)
		n += len(k) + len(v) + 2*binary.MaxVarintLen64
	}
	slices.Sort(keys)
	b := make([]byte, 0, n)
	for _, k := range keys {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, uint64(len(m[k])))
		b = append(b, m[k]...)
	}
	return string(b)
}

// each calls f with each key and value, in key order.
func (p *packedStrings) each(f func(k, v string)) {
	s := p.packed
	next := func() string {
		n, shift := 0, 0
		for s[0] >= 0x80 {
			n |= int(s[0]&0x7f) << shift
			shift += 7
			s = s[1:]
		}
		n |= int(s[0]) << shift
		v := s[1 : 1+n]
		s = s[1+n:]
		return v
	}
	for s != "" {
		k := next()
		f(k, next())
	}
}

// lua returns the strings as a shared table, building it if it was not
// built or was dropped since.
func (p *packedStrings) lua() *lua.LTable {
	if p.packed == "" {
		return noStrings
	}
	if t := p.table.Load(); t != nil {
		return t
	}
	t := lua.NewTable(0, 4)
	p.each(func(k, v string) { t.RawSetString(k, lua.LString(v)) })
	t.Share()
	if !p.table.CompareAndSwap(nil, t) {
		if built := p.table.Load(); built != nil {
			return built
		}
	}
	return t
}

// goMap returns the strings in a map of the caller's own.
func (p *packedStrings) goMap() map[string]string {
	m := map[string]string{}
	p.each(func(k, v string) { m[k] = v })
	return m
}

// noStrings is the shared table of every connection without headers or
// without parameters: most have no parameters, and each table costs an
// idle socket its size.
var noStrings = func() *lua.LTable {
	t := lua.NewTable(0, 0)
	t.Share()
	return t
}()

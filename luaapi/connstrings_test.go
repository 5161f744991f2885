package luaapi

import (
	"context"
	"maps"
	"strings"
	"testing"
)

// TestConnIdleDropsItsTablesAndEventsRebuildThem checks that a connection
// gives its headers' and parameters' Lua tables up while idle, and that
// the events after it, and HeaderMap, read them as they were: values of
// every length (a length of 128 and more takes two bytes to pack), empty
// ones, and keys in any byte order.
func TestConnIdleDropsItsTablesAndEventsRebuildThem(t *testing.T) {
	t.Parallel()
	headers := map[string]string{
		"host": "x", "empty": "", "long": strings.Repeat("é", 200), "z-last": "1",
	}
	c := NewConn(Conn{ID: "s1", URI: "ws://x/r?a=1", Route: "/r", Headers: headers,
		Parameters: map[string]string{"a": "1"}})
	if !maps.Equal(c.HeaderMap(), headers) {
		t.Fatalf("HeaderMap = %v, want %v", c.HeaderMap(), headers)
	}
	p := compileEndpoint(t, `
local h, n = websocketInfo.headers, 0
for _ in pairs(h) do n = n + 1 end
assert(n == 4, n .. " headers")
assert(h.host == "x" and h.empty == "" and h["z-last"] == "1" and #h.long == 400)
assert(websocketInfo.parameters.a == "1")
h.host = "changed"
`)
	vm := NewVM(Options{})
	defer vm.Close()
	for i := range 3 {
		ev := benchEvent()
		ev.Conn = c
		if err := vm.Run(context.Background(), p, ev); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if c.shared.headers.table.Load() == nil || c.shared.params.table.Load() == nil {
			t.Fatalf("event %d: tables not kept while the connection is busy", i)
		}
		c.Idle()
		if c.shared.headers.table.Load() != nil || c.shared.params.table.Load() != nil {
			t.Fatalf("event %d: Idle kept the tables", i)
		}
	}
}

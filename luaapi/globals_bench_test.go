package luaapi

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// helperModule is a global module as platform solutions write them: n
// helper functions and a table of settings.
func helperModule(name string, n int) GlobalModule {
	var b strings.Builder
	fmt.Fprintf(&b, "%s_settings = {retries = 3, prefix = %q}\n", name, name)
	for i := range n {
		fmt.Fprintf(&b, "function %s_f%d(a, b) if a then return a .. tostring(b) end return %s_settings.prefix end\n", name, i, name)
	}
	return GlobalModule{Name: name, Proto: mustCompile(b.String())}
}

// BenchmarkGlobalModules measures what the global modules loaded per
// execution cost an echo script: none, one of 10 functions, and three of
// 20 functions each.
func BenchmarkGlobalModules(b *testing.B) {
	for _, tt := range []struct {
		name    string
		modules []GlobalModule
	}{
		{"none", nil},
		{"1x10", []GlobalModule{helperModule("a", 10)}},
		{"3x20", []GlobalModule{helperModule("a", 20), helperModule("b", 20), helperModule("c", 20)}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			vm := NewVM(Options{Sockets: nopSockets{}})
			defer vm.Close()
			p := compileEndpoint(b, `websocketInfo.send(websocketInfo.message, websocketInfo.message_type)`)
			p.Globals = tt.modules
			ev := benchEvent()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := vm.Run(ctx, p, ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

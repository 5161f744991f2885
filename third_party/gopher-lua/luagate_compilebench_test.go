package lua

import (
	"strings"
	"testing"

	"github.com/yuin/gopher-lua/parse"
)

func BenchmarkCompileOneLiner(b *testing.B) {
	const src = `local websocketInfo, response = ...; if websocketInfo.type == "data" then return websocketInfo.message end`
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		nodes := parse.GetNodes()
		chunk, err := parse.ParseWith(nodes, strings.NewReader(src), "x.lua")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Compile(chunk, "x.lua"); err != nil {
			b.Fatal(err)
		}
		parse.PutNodes(nodes)
	}
}

package scripts_test

import (
	"fmt"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/luagate/luagate/scripts"
)

// twoLines puts a deep construct on line 3, so a test sees that the problem
// points at it.
const twoLines = "local a, f = 1, print\n-- [[ not a long comment\n"

func TestCompileRefusesDeepSyntaxWithItsLineBeforeCompilingIt(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	tests := []struct {
		name, src, message string
	}{
		// Each of these took gopher-lua seconds to minutes, or half a GiB
		// to parse, at these sizes.
		{"1 MiB concatenation chain", "return a" + strings.Repeat("..a", mib/3), "operators in one expression"},
		{"1 MiB addition chain", "return a" + strings.Repeat("+a", mib/2), "operators in one expression"},
		{"1 MiB or chain", "return a" + strings.Repeat(" or a", mib/5), "operators in one expression"},
		{"1 MiB of unary minus", "return " + strings.Repeat("- ", mib/2) + "a", "operators in one expression"},
		{"1 MiB of not", "return " + strings.Repeat("not ", mib/4) + "a", "operators in one expression"},
		{"1 MiB of parentheses", "return " + strings.Repeat("(", mib/2) + "a" + strings.Repeat(")", mib/2), "nested more than 200 levels"},
		{"1 MiB of table constructors", "return " + strings.Repeat("{", mib/2) + strings.Repeat("}", mib/2), "nested more than 200 levels"},
		{"nested functions", strings.Repeat("f = function() ", 300) + strings.Repeat("end ", 300), "nested more than 200 levels"},
		{"nested blocks", strings.Repeat("do ", 300) + strings.Repeat("end ", 300), "nested more than 200 levels"},
		{"nested loops", strings.Repeat("while a do ", 300) + strings.Repeat("end ", 300), "nested more than 200 levels"},
		{"nested repeat", strings.Repeat("repeat ", 300) + strings.Repeat("until a ", 300), "nested more than 200 levels"},
		// The parser takes these in its stride; the compiler would recurse
		// once per link.
		{"field chain", "return a" + strings.Repeat(".b", 20000), "nested more than 200 levels"},
		{"call chain", "return f" + strings.Repeat("()", 20000), "nested more than 200 levels"},
		{"method chain", "return a" + strings.Repeat(":b()", 10000), "nested more than 200 levels"},
		{"elseif chain", "if a then" + strings.Repeat(" elseif a then", 20000) + " end", "nested more than 200 levels"},
		{"chains inside nesting", "return " + strings.Repeat("a .. a .. (", 150) + "a" + strings.Repeat(")", 150), "nested more than 200 levels"},
		{"functions", strings.Repeat("f = function() end\n", scripts.MaxFunctions+10), "more than 2000 functions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := scripts.CompileChunk("deep", twoLines+tt.src)
			var p scripts.Problem
			if !asProblem(err, &p) || p.File != "deep" || !strings.Contains(p.Message, tt.message) {
				t.Fatalf("CompileChunk = %v, want a problem in deep saying %q", err, tt.message)
			}
			if want := 3; tt.name == "functions" {
				// The function past the limit is on its own line.
				if p.Line != 2+scripts.MaxFunctions {
					t.Errorf("problem at line %d, want %d", p.Line, 2+scripts.MaxFunctions)
				}
			} else if p.Line != want {
				t.Errorf("problem at line %d, want %d", p.Line, want)
			}
		})
	}
}

func asProblem(err error, p *scripts.Problem) bool {
	q, ok := err.(scripts.Problem)
	*p = q
	return ok
}

func TestCompileAcceptsSyntaxWithinTheLimits(t *testing.T) {
	t.Parallel()
	ops := func(n int, op string) string {
		terms := make([]string, n+1)
		for i := range terms {
			terms[i] = "1"
		}
		return strings.Join(terms, op)
	}
	for name, src := range map[string]string{
		"100 concatenations":          `local s = "a"` + strings.Repeat(` .. "b"`, 100),
		"190 additions":               "local x = " + ops(190, " + "),
		"150 numbers with exponents":  "local x = " + ops(150, "e+5 + 1") + "e+5",
		"100 nested blocks":           strings.Repeat("if a then ", 100) + strings.Repeat("end ", 100),
		"60 nested functions":         strings.Repeat("f = function() ", 60) + strings.Repeat("end ", 60),
		"150 elseifs":                 "if a then" + strings.Repeat(" elseif a then", 150) + " end",
		"operators in strings":        fmt.Sprintf("local s = %q .. '%s'", strings.Repeat("+((", 1000), strings.Repeat("-[{", 1000)),
		"brackets in long strings":    "local s = [==[" + strings.Repeat("(]]", 1000) + "]==]",
		"brackets in comments":        "-- " + strings.Repeat("(", 1000) + "\n--[[" + strings.Repeat("{ +\n", 1000) + "]]\nlocal x = 1",
		"escaped quotes":              `local s = "\"` + strings.Repeat("(", 500) + `\"" .. '\'' .. "\\"`,
		"many short statements":       strings.Repeat("x = a + b .. c\nf(x, y - 1)\n", 2000),
		"a long list of values":       "local t = {" + strings.Repeat("1 + 1, ", 5000) + "}",
		"minus signs and subtraction": "local x = " + strings.Repeat("-1 - ", 90) + "1",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := scripts.CompileChunk("ok", src); err != nil {
				t.Fatalf("CompileChunk: %v", err)
			}
		})
	}
}

func TestCompiledFunctionsKeepNoSpareCapacity(t *testing.T) {
	t.Parallel()
	proto, err := scripts.CompileChunk("small", "local function f(x) return x + 1 end\nreturn f(1)\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*lua.FunctionProto{proto, proto.FunctionPrototypes[0]} {
		// gopher-lua compiles into buffers of 1024 instructions (patch 9
		// copies the code out of them).
		if cap(p.Code) > 2*len(p.Code)+8 || cap(p.DbgCalls) > 2*len(p.DbgCalls)+8 || cap(p.DbgSourcePositions) > 2*len(p.DbgSourcePositions)+8 {
			t.Errorf("function at line %d keeps capacity: code %d of %d, calls %d of %d, positions %d of %d", p.LineDefined,
				len(p.Code), cap(p.Code), len(p.DbgCalls), cap(p.DbgCalls), len(p.DbgSourcePositions), cap(p.DbgSourcePositions))
		}
	}
	L := lua.NewState()
	defer L.Close()
	L.Push(L.NewFunctionFromProto(proto))
	if err := L.PCall(0, 1, nil); err != nil || L.Get(-1).String() != "2" {
		t.Fatalf("compacted chunk returned %v, %v; want 2", L.Get(-1), err)
	}
}

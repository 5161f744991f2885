package lua

import (
	"strings"
	"testing"

	"github.com/yuin/gopher-lua/parse"
)

// Tests of patch 9 (PATCHES.md).

func compileString(t *testing.T, name, src string) (*FunctionProto, error) {
	t.Helper()
	chunk, err := parse.Parse(strings.NewReader(src), name)
	if err != nil {
		return nil, err
	}
	return Compile(chunk, name)
}

func spare[S ~[]E, E any](s S) bool { return cap(s) > len(s)+4 }

func TestCompiledFunctionsHoldSlicesOfTheirLength(t *testing.T) {
	proto, err := compileString(t, "small", "local function f(x) return x + 1 end\nreturn f(1), 'a'\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*FunctionProto{proto, proto.FunctionPrototypes[0]} {
		// A copy's capacity is rounded up to the allocator's size class.
		if spare(p.Code) || spare(p.DbgSourcePositions) || spare(p.Constants) || spare(p.DbgCalls) || spare(p.DbgLocals) {
			t.Errorf("function at line %d keeps capacity: code %d of %d, positions %d of %d, constants %d of %d",
				p.LineDefined, len(p.Code), cap(p.Code), len(p.DbgSourcePositions), cap(p.DbgSourcePositions), len(p.Constants), cap(p.Constants))
		}
	}
	// The pooled code buffers are reused: an earlier function's code must
	// not show through a later one's.
	other, err := compileString(t, "other", "return 7")
	if err != nil {
		t.Fatal(err)
	}
	L := NewState()
	defer L.Close()
	for want, p := range map[string]*FunctionProto{"2": proto, "7": other} {
		L.Push(L.NewFunctionFromProto(p))
		if err := L.PCall(0, 1, nil); err != nil || L.Get(-1).String() != want {
			t.Fatalf("chunk returned %v, %v; want %s", L.Get(-1), err, want)
		}
		L.Pop(1)
	}
}

func TestAParseAfterAFailedOneStartsClean(t *testing.T) {
	for _, src := range []string{"local x = (1 +", "x = 'unterminated", "return [[never closed"} {
		if _, err := compileString(t, "bad", src); err == nil {
			t.Fatalf("%q parsed", src)
		}
		proto, err := compileString(t, "good", "-- a comment\nlocal s = \"a\" .. 'b'\nreturn s")
		if err != nil {
			t.Fatalf("after %q: %v", src, err)
		}
		L := NewState()
		L.Push(L.NewFunctionFromProto(proto))
		if err := L.PCall(0, 1, nil); err != nil || L.Get(-1).String() != "ab" {
			t.Errorf("after %q the chunk returned %v, %v; want ab", src, L.Get(-1), err)
		}
		L.Close()
	}
}

// TestAFunctionOfExactlyTheBuffersLengthKeepsItsCode compiles a chunk of
// exactly as many instructions as a pooled code buffer holds, then another
// of the same length: the first must still hold its own code, not share
// the buffer the second was compiled into.
func TestAFunctionOfExactlyTheBuffersLengthKeepsItsCode(t *testing.T) {
	const size = 1024 // a codeStore's first capacity
	chunkOf := func(value string) *FunctionProto {
		t.Helper()
		// "local a = 1" is a LOADK, each "x = v" a LOADK and a SETGLOBAL,
		// and a RETURN ends the chunk.
		for n := 0; n < size; n++ {
			p, err := compileString(t, "exact", "local a = 1\n"+strings.Repeat("x = "+value+"\n", n))
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Code) == size {
				return p
			}
		}
		t.Fatal("no chunk of exactly the buffer's length")
		return nil
	}
	first := chunkOf("1")
	want := append([]uint32(nil), first.Code...)
	chunkOf("'other'")
	for i := range want {
		if first.Code[i] != want[i] {
			t.Fatalf("instruction %d of the first chunk changed when the second was compiled", i)
		}
	}
}

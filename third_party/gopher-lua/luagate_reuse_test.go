package lua

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"
)

// Tests of patch 12 (PATCHES.md).

// compileWithNodes is compileString, the tree built in pooled Nodes.
func compileWithNodes(name, src string) (*FunctionProto, error) {
	nodes := parse.GetNodes()
	defer parse.PutNodes(nodes)
	chunk, err := parse.ParseWith(nodes, strings.NewReader(src), name)
	if err != nil {
		return nil, err
	}
	return Compile(chunk, name)
}

// TestReusedNodesAndScratchCompileAlike compiles every Lua file of the
// test suites twice, in opposite orders, so that each compile reuses
// nodes and scratch left by a different one: first with trees on the
// heap, then with trees in pooled Nodes. Every function must come out
// the same both times, and the first round's functions must be unchanged
// by the second round, which a proto still sharing an array of the
// scratch would not be.
func TestReusedNodesAndScratchCompileAlike(t *testing.T) {
	var files []string
	for _, dir := range []string{"_lua5.1-tests", "_glua-tests"} {
		found, err := filepath.Glob(filepath.Join(dir, "*.lua"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, found...)
	}
	if len(files) < 20 {
		t.Fatalf("found %d Lua files, want the test suites'", len(files))
	}
	// Sources that fail midway leave nodes and scratch behind them.
	sources := map[string]string{
		"parse error":   "local t = {f = function() return 1",
		"compile error": "local function f() local function g() goto nowhere end end",
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources[f] = string(src)
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for name := range sources {
			if !yield(name) {
				return
			}
		}
	})
	type result struct {
		proto *FunctionProto
		err   string
	}
	compileAll := func(order []string, compile func(name, src string) (*FunctionProto, error)) map[string]result {
		out := map[string]result{}
		for _, name := range order {
			p, err := compile(name, sources[name])
			r := result{proto: p}
			if err != nil {
				r.err = err.Error()
			}
			out[name] = r
		}
		return out
	}
	heap := compileAll(names, func(name, src string) (*FunctionProto, error) { return compileString(t, name, src) })
	kept := map[string]string{}
	for name, r := range heap {
		if r.proto != nil {
			kept[name] = r.proto.String()
		}
	}
	reversed := slices.Clone(names)
	slices.Reverse(reversed)
	pooled := compileAll(reversed, compileWithNodes)
	compiled := 0
	for _, name := range names {
		h, p := heap[name], pooled[name]
		if h.err != p.err {
			t.Errorf("%s: error %q on the heap, %q with pooled nodes", name, h.err, p.err)
			continue
		}
		if h.proto == nil {
			continue
		}
		compiled++
		if !sameProto(h.proto, p.proto) {
			t.Errorf("%s compiled differently with pooled nodes", name)
		}
		if h.proto.String() != kept[name] {
			t.Errorf("%s changed when other chunks were compiled after it", name)
		}
	}
	if compiled < 20 {
		t.Fatalf("%d files compiled, want the test suites'", compiled)
	}
	if !strings.Contains(heap["compile error"].err, "compile error") || !strings.Contains(heap["compile error"].err, "nowhere") {
		t.Errorf("compile error reads %q", heap["compile error"].err)
	}
}

// TestACompileErrorNamesItsChunk: the error used to reach its chunk's
// name through the function's context, which is reused once the compile
// ends.
func TestACompileErrorNamesItsChunk(t *testing.T) {
	_, err := compileString(t, "first.lua", "local function f() goto nowhere end")
	if err == nil {
		t.Fatal("compiled a goto to no label")
	}
	if _, err := compileString(t, "second.lua", "return 1"); err != nil {
		t.Fatal(err)
	}
	if msg := err.Error(); !strings.Contains(msg, "first.lua") {
		t.Fatalf("error %q does not name first.lua", msg)
	}
}

// sameProto is reflect.DeepEqual, except that a NaN constant equals a NaN.
func sameProto(a, b *FunctionProto) bool {
	if len(a.Constants) != len(b.Constants) || len(a.FunctionPrototypes) != len(b.FunctionPrototypes) {
		return false
	}
	for i, c := range a.Constants {
		n, aNaN := c.(LNumber)
		m, bNaN := b.Constants[i].(LNumber)
		if aNaN && bNaN && math.IsNaN(float64(n)) && math.IsNaN(float64(m)) {
			continue
		}
		if c != b.Constants[i] {
			return false
		}
	}
	for i, f := range a.FunctionPrototypes {
		if !sameProto(f, b.FunctionPrototypes[i]) {
			return false
		}
	}
	x, y := *a, *b
	x.Constants, y.Constants, x.FunctionPrototypes, y.FunctionPrototypes = nil, nil, nil, nil
	return reflect.DeepEqual(x, y)
}

// TestNodesAreReused: a chunk parsed with Nodes after they were put back
// is built in the arrays of the chunk before it, with nothing of it left.
func TestNodesAreReused(t *testing.T) {
	nodes := new(parse.Nodes)
	first, err := parse.ParseWith(nodes, strings.NewReader("return x"), "first")
	if err != nil {
		t.Fatal(err)
	}
	ret := first[0].(*ast.ReturnStmt)
	ident := ret.Exprs[0].(*ast.IdentExpr)
	parse.PutNodes(nodes)
	if ident.Value != "" {
		t.Fatalf("a node put back still holds %q", ident.Value)
	}
	second, err := parse.ParseWith(nodes, strings.NewReader("return y"), "second")
	if err != nil {
		t.Fatal(err)
	}
	if second[0] != ast.Stmt(ret) || second[0].(*ast.ReturnStmt).Exprs[0] != ast.Expr(ident) {
		t.Fatal("the second chunk's nodes are new ones, not the first chunk's reused")
	}
	if ident.Value != "y" {
		t.Fatalf("the reused identifier reads %q, want y", ident.Value)
	}
}

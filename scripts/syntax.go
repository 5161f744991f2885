package scripts

import (
	"fmt"
	"strings"

	"github.com/yuin/gopher-lua/ast"
)

// Why a script is checked twice before it is compiled. gopher-lua's parser
// keeps every open level of a script on its stack, some hundreds of bytes
// each: a 1 MiB chain of a..a..a took 0.5 GiB and a second to parse. Its
// compiler then recurses once per level of the syntax tree, and several of
// its steps walk the rest of a chain at each level, so that compiling such
// a chain is quadratic: 25 s for 1 MiB of a..a..a, minutes for a+a+a. The
// scan below refuses deep nesting and long chains from the source, before
// the parser runs; the walk of the tree refuses what the scan cannot see
// (a.b.c.d chains, a level of nesting inside each operand) before the
// compiler runs. Both stop at MaxSyntaxDepth.

// scanDepth reads src as a sequence of Lua tokens, without parsing it, and
// refuses brackets and blocks nested more than MaxSyntaxDepth deep, or more
// than MaxSyntaxDepth operators chained in one expression. What it cannot
// read as tokens (an unfinished string) it leaves for the parser to report.
func scanDepth(name, src string) error {
	s := depthScan{name: name, src: src, line: 1, chains: []int{0}}
	for s.pos < len(src) && s.err == nil {
		s.next()
	}
	return s.err
}

// depthScan is the state of scanDepth.
type depthScan struct {
	name, src string
	pos, line int
	// chains has an entry for each open bracket or block: the operators
	// seen at that level since an expression last ended there, at a
	// comma, a semicolon, an assignment or a statement keyword.
	chains []int
	err    error
}

// resetWords are the keywords before which no expression continues.
var resetWords = map[string]bool{
	"local": true, "return": true, "then": true, "else": true, "elseif": true, "while": true,
	"for": true, "in": true, "break": true, "goto": true,
}

func (s *depthScan) next() {
	c := s.src[s.pos]
	rest := s.src[s.pos:]
	switch {
	case c == '\n':
		s.line++
		s.pos++
	case strings.HasPrefix(rest, "--"):
		s.pos += 2
		if !s.skipLongBracket() {
			s.skipLine()
		}
	case c == '"' || c == '\'':
		s.skipQuoted(c)
	case c == '[' && longBracketLevel(rest) >= 0:
		s.skipLongBracket()
	case isNameStart(c):
		end := s.pos + 1
		for end < len(s.src) && isNameChar(s.src[end]) {
			end++
		}
		s.word(s.src[s.pos:end])
		s.pos = end
	case isDigit(c) || c == '.' && len(rest) > 1 && isDigit(rest[1]):
		s.skipNumber()
	case strings.HasPrefix(rest, "..."):
		s.pos += 3 // the vararg is a value
	case strings.HasPrefix(rest, "..") || strings.HasPrefix(rest, "==") || strings.HasPrefix(rest, "~=") ||
		strings.HasPrefix(rest, "<=") || strings.HasPrefix(rest, ">="):
		s.operator()
		s.pos += 2
	case strings.IndexByte("+-*/%^#<>", c) >= 0:
		s.operator()
		s.pos++
	case c == '=' || c == ',' || c == ';':
		s.chains[len(s.chains)-1] = 0
		s.pos++
	case c == '(' || c == '[' || c == '{':
		s.open()
		s.pos++
	case c == ')' || c == ']' || c == '}':
		s.close()
		s.pos++
	default:
		s.pos++
	}
}

func (s *depthScan) word(w string) {
	switch {
	case w == "function" || w == "do" || w == "if" || w == "repeat":
		// while and for open their block with do.
		s.open()
	case w == "end" || w == "until":
		s.close()
	case w == "and" || w == "or" || w == "not":
		s.operator()
	case resetWords[w]:
		s.chains[len(s.chains)-1] = 0
	}
}

func (s *depthScan) open() {
	if len(s.chains) > MaxSyntaxDepth {
		s.fail(fmt.Sprintf("brackets and blocks are nested more than %d levels deep (the limit of a script's syntax depth)", MaxSyntaxDepth))
		return
	}
	s.chains = append(s.chains, 0)
}

func (s *depthScan) close() {
	if len(s.chains) > 1 {
		s.chains = s.chains[:len(s.chains)-1]
	}
}

func (s *depthScan) operator() {
	top := &s.chains[len(s.chains)-1]
	if *top++; *top > MaxSyntaxDepth {
		s.fail(fmt.Sprintf("more than %d operators in one expression (the limit of a script's syntax depth): split it with local variables, or join many strings with table.concat", MaxSyntaxDepth))
	}
}

func (s *depthScan) fail(msg string) {
	s.err = Problem{File: s.name, Line: s.line, Message: msg}
}

func (s *depthScan) skipLine() {
	if i := strings.IndexByte(s.src[s.pos:], '\n'); i >= 0 {
		s.pos += i
		return
	}
	s.pos = len(s.src)
}

// skipLongBracket skips a long string or comment ([[...]], [==[...]==])
// starting at pos, counting its lines, and reports whether there was one.
func (s *depthScan) skipLongBracket() bool {
	level := longBracketLevel(s.src[s.pos:])
	if level < 0 {
		return false
	}
	body := s.pos + level + 2
	closing := "]" + strings.Repeat("=", level) + "]"
	end := len(s.src)
	if i := strings.Index(s.src[body:], closing); i >= 0 {
		end = body + i + len(closing)
	}
	s.line += strings.Count(s.src[s.pos:end], "\n")
	s.pos = end
	return true
}

// skipQuoted skips a string in quote marks. An unescaped newline ends it
// as it ends it for the parser, which reports it unfinished.
func (s *depthScan) skipQuoted(quote byte) {
	s.pos++
	for s.pos < len(s.src) {
		switch c := s.src[s.pos]; c {
		case quote:
			s.pos++
			return
		case '\n':
			return
		case '\\':
			s.pos++
			if s.pos < len(s.src) && s.src[s.pos] == '\n' {
				s.line++
			}
		}
		s.pos++
	}
}

// skipNumber skips a numeral, with the sign of its exponent (1e+5).
func (s *depthScan) skipNumber() {
	for s.pos++; s.pos < len(s.src); s.pos++ {
		c := s.src[s.pos]
		if (c == '+' || c == '-') && strings.IndexByte("eEpP", s.src[s.pos-1]) >= 0 {
			continue
		}
		if !isNameChar(c) && c != '.' {
			return
		}
	}
}

// longBracketLevel is the number of = in the long bracket that opens s
// ("[==[" is 2), or -1 when s does not start with one.
func longBracketLevel(s string) int {
	if !strings.HasPrefix(s, "[") {
		return -1
	}
	level := 1
	for level < len(s) && s[level] == '=' {
		level++
	}
	if level < len(s) && s[level] == '[' {
		return level - 1
	}
	return -1
}

func isNameStart(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool     { return '0' <= c && c <= '9' }
func isNameChar(c byte) bool  { return isNameStart(c) || isDigit(c) }

// checkTree walks a parsed chunk as deep as gopher-lua's compiler will
// recurse into it, refusing it past MaxSyntaxDepth levels or past
// MaxFunctions functions. Its own recursion stops at the limit.
func checkTree(name string, chunk []ast.Stmt) error {
	t := treeCheck{name: name, functions: 1}
	t.stmts(chunk, 0)
	return t.err
}

// treeCheck is the state of checkTree.
type treeCheck struct {
	name      string
	functions int
	err       error
}

// enter reports whether the walk may go on into n at depth.
func (t *treeCheck) enter(n ast.PositionHolder, depth int) bool {
	switch {
	case t.err != nil:
		return false
	case depth > MaxSyntaxDepth:
		t.err = Problem{File: t.name, Line: n.Line(), Message: fmt.Sprintf(
			"nested more than %d levels deep (the limit of a script's syntax depth; each operand of a chain such as a .. b .. c, each elseif and each block counts a level)", MaxSyntaxDepth)}
		return false
	}
	return true
}

func (t *treeCheck) stmts(list []ast.Stmt, depth int) {
	for _, st := range list {
		t.stmt(st, depth)
	}
}

func (t *treeCheck) exprs(list []ast.Expr, depth int) {
	for _, e := range list {
		t.expr(e, depth)
	}
}

func (t *treeCheck) stmt(st ast.Stmt, depth int) {
	if !t.enter(st, depth) {
		return
	}
	d := depth + 1
	switch st := st.(type) {
	case *ast.AssignStmt:
		t.exprs(st.Lhs, d)
		t.exprs(st.Rhs, d)
	case *ast.LocalAssignStmt:
		t.exprs(st.Exprs, d)
	case *ast.FuncCallStmt:
		t.expr(st.Expr, d)
	case *ast.DoBlockStmt:
		t.stmts(st.Stmts, d)
	case *ast.WhileStmt:
		t.expr(st.Condition, d)
		t.stmts(st.Stmts, d)
	case *ast.RepeatStmt:
		t.stmts(st.Stmts, d)
		t.expr(st.Condition, d)
	case *ast.IfStmt:
		t.expr(st.Condition, d)
		t.stmts(st.Then, d)
		t.stmts(st.Else, d)
	case *ast.NumberForStmt:
		t.exprs([]ast.Expr{st.Init, st.Limit, st.Step}, d)
		t.stmts(st.Stmts, d)
	case *ast.GenericForStmt:
		t.exprs(st.Exprs, d)
		t.stmts(st.Stmts, d)
	case *ast.FuncDefStmt:
		t.exprs([]ast.Expr{st.Name.Func, st.Name.Receiver}, d)
		t.expr(st.Func, d)
	case *ast.ReturnStmt:
		t.exprs(st.Exprs, d)
	}
}

func (t *treeCheck) expr(e ast.Expr, depth int) {
	if e == nil || !t.enter(e, depth) {
		return
	}
	d := depth + 1
	switch e := e.(type) {
	case *ast.AttrGetExpr:
		t.exprs([]ast.Expr{e.Object, e.Key}, d)
	case *ast.TableExpr:
		for _, f := range e.Fields {
			t.exprs([]ast.Expr{f.Key, f.Value}, d)
		}
	case *ast.FuncCallExpr:
		t.exprs([]ast.Expr{e.Func, e.Receiver}, d)
		t.exprs(e.Args, d)
	case *ast.LogicalOpExpr:
		t.exprs([]ast.Expr{e.Lhs, e.Rhs}, d)
	case *ast.RelationalOpExpr:
		t.exprs([]ast.Expr{e.Lhs, e.Rhs}, d)
	case *ast.StringConcatOpExpr:
		t.exprs([]ast.Expr{e.Lhs, e.Rhs}, d)
	case *ast.ArithmeticOpExpr:
		t.exprs([]ast.Expr{e.Lhs, e.Rhs}, d)
	case *ast.UnaryMinusOpExpr:
		t.expr(e.Expr, d)
	case *ast.UnaryNotOpExpr:
		t.expr(e.Expr, d)
	case *ast.UnaryLenOpExpr:
		t.expr(e.Expr, d)
	case *ast.FunctionExpr:
		if t.functions++; t.functions > MaxFunctions {
			t.err = Problem{File: t.name, Line: e.Line(), Message: fmt.Sprintf(
				"more than %d functions in one script (the limit of functions per script): split it into modules", MaxFunctions)}
			return
		}
		t.stmts(e.Stmts, d)
	}
}

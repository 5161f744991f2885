package parse

import (
	"io"
	"sync"

	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/internal/slab"
)

// Nodes holds the syntax trees of the chunks parsed with it (ParseWith)
// in arrays it reuses once they are released. A host compiling a thousand
// chunks at once parsed each into some 700 bytes of nodes that were
// garbage as soon as the chunk was compiled.
type Nodes struct {
	lexer              Lexer
	arithmeticOpExpr   slab.Slab[ast.ArithmeticOpExpr]
	assignStmt         slab.Slab[ast.AssignStmt]
	attrGetExpr        slab.Slab[ast.AttrGetExpr]
	breakStmt          slab.Slab[ast.BreakStmt]
	comma3Expr         slab.Slab[ast.Comma3Expr]
	doBlockStmt        slab.Slab[ast.DoBlockStmt]
	falseExpr          slab.Slab[ast.FalseExpr]
	field              slab.Slab[ast.Field]
	funcCallExpr       slab.Slab[ast.FuncCallExpr]
	funcCallStmt       slab.Slab[ast.FuncCallStmt]
	funcDefStmt        slab.Slab[ast.FuncDefStmt]
	funcName           slab.Slab[ast.FuncName]
	functionExpr       slab.Slab[ast.FunctionExpr]
	genericForStmt     slab.Slab[ast.GenericForStmt]
	gotoStmt           slab.Slab[ast.GotoStmt]
	identExpr          slab.Slab[ast.IdentExpr]
	ifStmt             slab.Slab[ast.IfStmt]
	labelStmt          slab.Slab[ast.LabelStmt]
	localAssignStmt    slab.Slab[ast.LocalAssignStmt]
	logicalOpExpr      slab.Slab[ast.LogicalOpExpr]
	nilExpr            slab.Slab[ast.NilExpr]
	numberExpr         slab.Slab[ast.NumberExpr]
	numberForStmt      slab.Slab[ast.NumberForStmt]
	parList            slab.Slab[ast.ParList]
	relationalOpExpr   slab.Slab[ast.RelationalOpExpr]
	repeatStmt         slab.Slab[ast.RepeatStmt]
	returnStmt         slab.Slab[ast.ReturnStmt]
	stringConcatOpExpr slab.Slab[ast.StringConcatOpExpr]
	stringExpr         slab.Slab[ast.StringExpr]
	tableExpr          slab.Slab[ast.TableExpr]
	trueExpr           slab.Slab[ast.TrueExpr]
	unaryLenOpExpr     slab.Slab[ast.UnaryLenOpExpr]
	unaryMinusOpExpr   slab.Slab[ast.UnaryMinusOpExpr]
	unaryNotOpExpr     slab.Slab[ast.UnaryNotOpExpr]
	whileStmt          slab.Slab[ast.WhileStmt]
}

var nodesPool = sync.Pool{New: func() any { return new(Nodes) }}

// GetNodes returns Nodes to parse with, from a pool.
func GetNodes() *Nodes { return nodesPool.Get().(*Nodes) }

// PutNodes returns n to the pool. Every tree parsed with n is then
// invalid: its nodes are those of the next chunks parsed.
func PutNodes(n *Nodes) {
	n.lexer = Lexer{}
	n.arithmeticOpExpr.Reset()
	n.assignStmt.Reset()
	n.attrGetExpr.Reset()
	n.breakStmt.Reset()
	n.comma3Expr.Reset()
	n.doBlockStmt.Reset()
	n.falseExpr.Reset()
	n.field.Reset()
	n.funcCallExpr.Reset()
	n.funcCallStmt.Reset()
	n.funcDefStmt.Reset()
	n.funcName.Reset()
	n.functionExpr.Reset()
	n.genericForStmt.Reset()
	n.gotoStmt.Reset()
	n.identExpr.Reset()
	n.ifStmt.Reset()
	n.labelStmt.Reset()
	n.localAssignStmt.Reset()
	n.logicalOpExpr.Reset()
	n.nilExpr.Reset()
	n.numberExpr.Reset()
	n.numberForStmt.Reset()
	n.parList.Reset()
	n.relationalOpExpr.Reset()
	n.repeatStmt.Reset()
	n.returnStmt.Reset()
	n.stringConcatOpExpr.Reset()
	n.stringExpr.Reset()
	n.tableExpr.Reset()
	n.trueExpr.Reset()
	n.unaryLenOpExpr.Reset()
	n.unaryMinusOpExpr.Reset()
	n.unaryNotOpExpr.Reset()
	n.whileStmt.Reset()
	nodesPool.Put(n)
}

// ParseWith is Parse, building the tree in n, where it stays valid until
// n goes back to the pool.
func ParseWith(n *Nodes, reader io.Reader, name string) ([]ast.Stmt, error) {
	n.lexer.nodes = n
	return parseInto(&n.lexer, reader, name)
}

// parseInto parses with lx, whose nodes, if any, the tree is built in.
func parseInto(lx *Lexer, reader io.Reader, name string) (chunk []ast.Stmt, err error) {
	sc := getScanner(reader, name)
	*lx = Lexer{scanner: sc, PrevTokenType: TNil, nodes: lx.nodes}
	parser := getParser()
	defer func() {
		if e := recover(); e != nil {
			chunk = nil
			err, _ = e.(error)
		}
		putParser(parser)
		putScanner(sc)
	}()
	parser.Parse(lx)
	return lx.Stmts, nil
}

// node returns v in the arrays of the lexer's Nodes, or on the heap for
// a lexer without.
func node[T any](yylex yyLexer, v T) *T {
	n := yylex.(*Lexer).nodes
	if n == nil {
		p := new(T) // not &v, which would move every v to the heap
		*p = v
		return p
	}
	return slabOf[T](n).New(v)
}

func slabOf[T any](n *Nodes) *slab.Slab[T] {
	switch any((*T)(nil)).(type) {
	case *ast.ArithmeticOpExpr:
		return any(&n.arithmeticOpExpr).(*slab.Slab[T])
	case *ast.AssignStmt:
		return any(&n.assignStmt).(*slab.Slab[T])
	case *ast.AttrGetExpr:
		return any(&n.attrGetExpr).(*slab.Slab[T])
	case *ast.BreakStmt:
		return any(&n.breakStmt).(*slab.Slab[T])
	case *ast.Comma3Expr:
		return any(&n.comma3Expr).(*slab.Slab[T])
	case *ast.DoBlockStmt:
		return any(&n.doBlockStmt).(*slab.Slab[T])
	case *ast.FalseExpr:
		return any(&n.falseExpr).(*slab.Slab[T])
	case *ast.Field:
		return any(&n.field).(*slab.Slab[T])
	case *ast.FuncCallExpr:
		return any(&n.funcCallExpr).(*slab.Slab[T])
	case *ast.FuncCallStmt:
		return any(&n.funcCallStmt).(*slab.Slab[T])
	case *ast.FuncDefStmt:
		return any(&n.funcDefStmt).(*slab.Slab[T])
	case *ast.FuncName:
		return any(&n.funcName).(*slab.Slab[T])
	case *ast.FunctionExpr:
		return any(&n.functionExpr).(*slab.Slab[T])
	case *ast.GenericForStmt:
		return any(&n.genericForStmt).(*slab.Slab[T])
	case *ast.GotoStmt:
		return any(&n.gotoStmt).(*slab.Slab[T])
	case *ast.IdentExpr:
		return any(&n.identExpr).(*slab.Slab[T])
	case *ast.IfStmt:
		return any(&n.ifStmt).(*slab.Slab[T])
	case *ast.LabelStmt:
		return any(&n.labelStmt).(*slab.Slab[T])
	case *ast.LocalAssignStmt:
		return any(&n.localAssignStmt).(*slab.Slab[T])
	case *ast.LogicalOpExpr:
		return any(&n.logicalOpExpr).(*slab.Slab[T])
	case *ast.NilExpr:
		return any(&n.nilExpr).(*slab.Slab[T])
	case *ast.NumberExpr:
		return any(&n.numberExpr).(*slab.Slab[T])
	case *ast.NumberForStmt:
		return any(&n.numberForStmt).(*slab.Slab[T])
	case *ast.ParList:
		return any(&n.parList).(*slab.Slab[T])
	case *ast.RelationalOpExpr:
		return any(&n.relationalOpExpr).(*slab.Slab[T])
	case *ast.RepeatStmt:
		return any(&n.repeatStmt).(*slab.Slab[T])
	case *ast.ReturnStmt:
		return any(&n.returnStmt).(*slab.Slab[T])
	case *ast.StringConcatOpExpr:
		return any(&n.stringConcatOpExpr).(*slab.Slab[T])
	case *ast.StringExpr:
		return any(&n.stringExpr).(*slab.Slab[T])
	case *ast.TableExpr:
		return any(&n.tableExpr).(*slab.Slab[T])
	case *ast.TrueExpr:
		return any(&n.trueExpr).(*slab.Slab[T])
	case *ast.UnaryLenOpExpr:
		return any(&n.unaryLenOpExpr).(*slab.Slab[T])
	case *ast.UnaryMinusOpExpr:
		return any(&n.unaryMinusOpExpr).(*slab.Slab[T])
	case *ast.UnaryNotOpExpr:
		return any(&n.unaryNotOpExpr).(*slab.Slab[T])
	case *ast.WhileStmt:
		return any(&n.whileStmt).(*slab.Slab[T])
	}
	panic("parse: no slab for a node of this type")
}

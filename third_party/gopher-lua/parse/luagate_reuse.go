package parse

import (
	"bufio"
	"bytes"
	"io"
	"sync"

	"github.com/yuin/gopher-lua/ast"
)

// scanners and parsers hold those of chunks parsed before. Each chunk
// upstream parsed took a 4 KiB read buffer and a parser of some 4.6 KiB
// (its initial stack), which a host compiling a thousand chunks at once
// made a thousand times.
var (
	scanners = sync.Pool{New: func() any { return &Scanner{reader: bufio.NewReaderSize(nil, 4096)} }}
	parsers  = sync.Pool{New: func() any { return &yyParserImpl{} }}
)

func getScanner(reader io.Reader, source string) *Scanner {
	sc := scanners.Get().(*Scanner)
	sc.Pos = ast.Position{Source: source, Line: 1, Column: 0}
	sc.reader.Reset(reader)
	return sc
}

// putScanner returns sc to the pool, holding neither its reader nor a
// large token buffer.
func putScanner(sc *Scanner) {
	sc.reader.Reset(nil)
	sc.Pos = ast.Position{}
	if sc.buf.Cap() > 4096 {
		sc.buf = bytes.Buffer{}
	}
	sc.buf.Reset()
	scanners.Put(sc)
}

func getParser() *yyParserImpl { return parsers.Get().(*yyParserImpl) }

// putParser returns p to the pool cleared: its stack holds the syntax
// tree's nodes it was built from.
func putParser(p *yyParserImpl) {
	*p = yyParserImpl{}
	parsers.Put(p)
}

// charTokens are the one-byte tokens' strings, so that scanning one
// allocates nothing.
var charTokens = func() (t [128]string) {
	for i := range t {
		t[i] = string(rune(i))
	}
	return t
}()

func charToken(ch int) string {
	if ch >= 0 && ch < len(charTokens) {
		return charTokens[ch]
	}
	return string(rune(ch))
}

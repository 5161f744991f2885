package scripts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ErrInvalidJSONPath is wrapped by every error of ParseJSONPath.
var ErrInvalidJSONPath = errors.New("invalid JSON path")

// maxJSONPathSteps bounds a route selection path: a message is decoded and
// walked for it on every data event.
const maxJSONPathSteps = 32

// JSONPath is a parsed route selection expression: the subset of JSONPath
// that names one value, "$.a.b", "$.a[0]", "$['key with space']" and their
// combinations. No library was used: the subset is small, and a parser of
// our own has no wildcards or filters to keep off the message path.
type JSONPath struct {
	src   string
	steps []pathStep
}

// pathStep is one step: a key of an object, or an index of an array when
// key is empty and index is set.
type pathStep struct {
	key     string
	index   int
	isIndex bool
}

// String is the path as written.
func (p JSONPath) String() string { return p.src }

// ParseJSONPath parses a route selection expression.
func ParseJSONPath(src string) (JSONPath, error) {
	fail := func(at int, why string) (JSONPath, error) {
		return JSONPath{}, fmt.Errorf("%w %q at byte %d: %s (write $.a.b, $.a[0] or $['a key'])", ErrInvalidJSONPath, Elide(src), at, why)
	}
	if !strings.HasPrefix(src, "$") {
		return fail(0, "a path starts with $")
	}
	p := JSONPath{src: src}
	for i := 1; i < len(src); {
		if len(p.steps) == maxJSONPathSteps {
			return fail(i, fmt.Sprintf("more than %d steps", maxJSONPathSteps))
		}
		switch {
		case src[i] == '.':
			j := i + 1
			for j < len(src) && isPathKeyByte(src[j]) {
				j++
			}
			if j == i+1 {
				return fail(i+1, "a name must follow .")
			}
			p.steps = append(p.steps, pathStep{key: src[i+1 : j]})
			i = j
		case strings.HasPrefix(src[i:], "['"):
			end := strings.Index(src[i+2:], "']")
			if end < 0 {
				return fail(i, "['...'] is not closed")
			}
			key := src[i+2 : i+2+end]
			if strings.Contains(key, "'") {
				return fail(i, "a quoted key may not hold '")
			}
			p.steps = append(p.steps, pathStep{key: key})
			i += 2 + end + 2
		case src[i] == '[':
			end := strings.IndexByte(src[i:], ']')
			if end < 0 {
				return fail(i, "[ is not closed")
			}
			digits := src[i+1 : i+end]
			n, err := strconv.Atoi(digits)
			if err != nil || n < 0 || digits != strconv.Itoa(n) {
				return fail(i+1, "an index is a number from 0")
			}
			p.steps = append(p.steps, pathStep{index: n, isIndex: true})
			i += end + 1
		default:
			return fail(i, fmt.Sprintf("unexpected %q", src[i]))
		}
	}
	if len(p.steps) == 0 {
		return fail(1, "a path names at least one key or index")
	}
	return p, nil
}

func isPathKeyByte(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// Select decodes msg as JSON, once, and returns the value at the path as
// text: a string as it is, a number or boolean as its JSON text. ok is
// false when msg is not JSON or holds no string, number or boolean there.
func (p JSONPath) Select(msg []byte) (value string, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(msg))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return "", false
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", false
	}
	for _, s := range p.steps {
		switch node := v.(type) {
		case map[string]any:
			if s.isIndex {
				return "", false
			}
			v = node[s.key]
		case []any:
			if !s.isIndex || s.index >= len(node) {
				return "", false
			}
			v = node[s.index]
		default:
			return "", false
		}
	}
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

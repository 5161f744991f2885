package scripts

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/julienschmidt/httprouter"
)

// ErrInvalidPath is wrapped by every error about a malformed path pattern.
var ErrInvalidPath = errors.New("invalid endpoint path")

// maxParams is the most parameters httprouter can match in one path; a
// route with more is accepted by it but never matches.
const maxParams = 255

// Pattern is a parsed endpoint path such as "/chat/{room}".
type Pattern struct {
	// Raw is the pattern as declared.
	Raw string
	// Params are the names of the {name} segments, in order.
	Params []string
	// Router is the pattern in httprouter's syntax: "/chat/:room".
	Router string
}

// ParsePattern checks a declared endpoint path and translates it for the
// router. A parameter must be a whole segment ("/a/{id}", not "/a/x{id}").
func ParsePattern(raw string) (Pattern, error) {
	fail := func(format string, args ...any) (Pattern, error) {
		return Pattern{}, fmt.Errorf("%w %q: %s", ErrInvalidPath, Elide(raw), fmt.Sprintf(format, args...))
	}
	if len(raw) > MaxNameBytes {
		return fail("longer than %d bytes, the limit of an endpoint path", MaxNameBytes)
	}
	if !strings.HasPrefix(raw, "/") {
		return fail("must start with /")
	}
	for _, r := range raw {
		if r < 0x21 || r == 0x7f || r == '?' || r == '#' || r == '*' || r == ':' {
			return fail("character %q is not allowed", r)
		}
	}
	p := Pattern{Raw: raw}
	var b strings.Builder
	seen := map[string]bool{}
	segments := strings.Split(raw[1:], "/")
	for i, seg := range segments {
		b.WriteByte('/')
		if seg == "" && i < len(segments)-1 {
			return fail("empty segment")
		}
		if seg == "." || seg == ".." {
			return fail("segment %q is not allowed", seg)
		}
		open, close := strings.IndexByte(seg, '{'), strings.IndexByte(seg, '}')
		if open < 0 && close < 0 {
			b.WriteString(seg)
			continue
		}
		if open != 0 || close != len(seg)-1 || strings.Count(seg, "{") != 1 || strings.Count(seg, "}") != 1 {
			return fail("a parameter must be a whole segment written {name}")
		}
		name := seg[1 : len(seg)-1]
		if name == "" {
			return fail("empty parameter name")
		}
		if seen[name] {
			return fail("parameter {%s} appears twice", name)
		}
		seen[name] = true
		p.Params = append(p.Params, name)
		b.WriteByte(':')
		b.WriteString(name)
	}
	if len(p.Params) > maxParams {
		return fail("more than %d parameters", maxParams)
	}
	p.Router = b.String()
	return p, nil
}

// routeTable checks patterns against one router, one at a time, so that
// checking n patterns costs n insertions.
type routeTable struct {
	r *httprouter.Router
}

// endpointRoute is the route an endpoint takes.
type endpointRoute struct {
	method string
	pat    Pattern
}

// routeSets numbers the sets of endpoint keys revisions route (SameRoutes).
var routeSets atomic.Uint64

// routeConflicts takes the routes into one router one at a time, so that
// every conflict is reported, not only the first. A WebSocket endpoint
// and an HTTP GET with the same path share one route.
func routeConflicts(routes []endpointRoute) Problems {
	var t routeTable
	var conflicts Problems
	routed := make(map[string]bool, len(routes))
	for _, rt := range routes {
		if k := rt.method + " " + rt.pat.Router; !routed[k] {
			routed[k] = true
			if err := t.add(rt.method, rt.pat); err != nil {
				conflicts = append(conflicts, Problem{Message: err.Error()})
			}
		}
	}
	return conflicts
}

// RouteMethod is the method whose route tree serves e: GET for a
// WebSocket endpoint (an upgrade is a GET), its own for an HTTP one.
func RouteMethod(e Endpoint) string {
	if e.IsHTTP() {
		return e.Method
	}
	return http.MethodGet
}

// add registers p, or reports that it conflicts with a pattern added
// before. A refused pattern leaves the router as it would be without it for
// every later lookup and insertion: httprouter panics before it changes the
// tree, apart from splitting a node in two equivalent ones and raising
// counters that only order the search.
func (t *routeTable) add(method string, p Pattern) (err error) {
	if t.r == nil {
		t.r = httprouter.New()
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w %q: conflicts with another endpoint: %v", ErrInvalidPath, p.Raw, v)
		}
	}()
	t.r.Handle(method, p.Router, noopHandle)
	return nil
}

func noopHandle(http.ResponseWriter, *http.Request, httprouter.Params) {}

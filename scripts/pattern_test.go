package scripts_test

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/julienschmidt/httprouter"

	"github.com/luagate/luagate/scripts"
)

func TestParsePatternAcceptsValidPathsAndTranslatesThemForTheRouter(t *testing.T) {
	tests := []struct {
		raw    string
		router string
		params []string
	}{
		{raw: "/", router: "/"},
		{raw: "/echo", router: "/echo"},
		{raw: "/chat/{room}", router: "/chat/:room", params: []string{"room"}},
		{raw: "/a/{x}/b/{y}", router: "/a/:x/b/:y", params: []string{"x", "y"}},
		{raw: "/a/", router: "/a/"},
		{raw: "/{id}", router: "/:id", params: []string{"id"}},
		{raw: "/rooms/{room}/", router: "/rooms/:room/", params: []string{"room"}},
		{raw: "/apiary", router: "/apiary"},
		{raw: "/api/subscribe", router: "/api/subscribe"},
		{raw: "/v1/api/x", router: "/v1/api/x"},
		{raw: "/a.b/c-d/e_f~", router: "/a.b/c-d/e_f~"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			p, err := scripts.ParsePattern(tt.raw)
			if err != nil {
				t.Fatalf("ParsePattern(%q) = %v, want success", tt.raw, err)
			}
			if p.Raw != tt.raw {
				t.Errorf("Raw = %q, want %q", p.Raw, tt.raw)
			}
			if p.Router != tt.router {
				t.Errorf("Router = %q, want %q", p.Router, tt.router)
			}
			if !slices.Equal(p.Params, tt.params) {
				t.Errorf("Params = %q, want %q", p.Params, tt.params)
			}
		})
	}
}

func TestParsePatternRejectsMalformedPathsAndSaysWhy(t *testing.T) {
	tests := []struct {
		name   string
		raw    string
		reason string // a part of the message that names the reason
	}{
		{name: "empty", raw: "", reason: "must start with /"},
		{name: "no leading slash", raw: "echo", reason: "must start with /"},
		{name: "parameter without leading slash", raw: "{room}", reason: "must start with /"},
		{name: "empty parameter name", raw: "/a/{}", reason: "empty parameter name"},
		{name: "duplicated parameter", raw: "/a/{id}/b/{id}", reason: "parameter {id} appears twice"},
		{name: "parameter after text", raw: "/a/x{id}", reason: "whole segment"},
		{name: "text after parameter", raw: "/a/{id}x", reason: "whole segment"},
		{name: "two parameters in one segment", raw: "/a/{a}{b}", reason: "whole segment"},
		{name: "nested braces", raw: "/a/{{id}}", reason: "whole segment"},
		{name: "unclosed brace", raw: "/a/{id", reason: "whole segment"},
		{name: "lone closing brace", raw: "/a/id}", reason: "whole segment"},
		{name: "empty middle segment", raw: "/a//b", reason: "empty segment"},
		{name: "double slash only", raw: "//", reason: "empty segment"},
		{name: "dot dot", raw: "/a/../b", reason: `segment ".." is not allowed`},
		{name: "trailing dot dot", raw: "/..", reason: `segment ".." is not allowed`},
		{name: "dot", raw: "/a/./b", reason: `segment "." is not allowed`},
		{name: "star", raw: "/files/*path", reason: "character '*' is not allowed"},
		{name: "colon", raw: "/chat/:room", reason: "character ':' is not allowed"},
		{name: "question mark", raw: "/echo?x=1", reason: "character '?' is not allowed"},
		{name: "hash", raw: "/echo#top", reason: "character '#' is not allowed"},
		{name: "space", raw: "/a b", reason: "character ' ' is not allowed"},
		{name: "tab", raw: "/a\tb", reason: `character '\t' is not allowed`},
		{name: "newline", raw: "/a\nb", reason: `character '\n' is not allowed`},
		{name: "NUL", raw: "/a\x00b", reason: `character '\x00' is not allowed`},
		{name: "DEL", raw: "/a\x7fb", reason: `character '\x7f' is not allowed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := scripts.ParsePattern(tt.raw)
			if err == nil {
				t.Fatalf("ParsePattern(%q) = %+v, want an error", tt.raw, p)
			}
			if !errors.Is(err, scripts.ErrInvalidPath) {
				t.Errorf("ParsePattern(%q) error %v does not wrap ErrInvalidPath", tt.raw, err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("ParsePattern(%q) error %q does not say %q", tt.raw, err, tt.reason)
			}
			if !strings.Contains(err.Error(), strconv.Quote(tt.raw)) {
				t.Errorf("ParsePattern(%q) error %q does not name the path", tt.raw, err)
			}
		})
	}
}

func TestCheckRoutesRejectsConflictingPatternsWithoutPanicking(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		culprit  string // the pattern the error must name
	}{
		{name: "parameter beside static segment", patterns: []string{"/a/{x}", "/a/b"}, culprit: "/a/b"},
		{name: "static segment beside parameter", patterns: []string{"/a/b", "/a/{x}"}, culprit: "/a/{x}"},
		{name: "two parameter names in one place", patterns: []string{"/c/{x}", "/c/{y}"}, culprit: "/c/{y}"},
		{name: "same pattern twice", patterns: []string{"/echo", "/echo"}, culprit: "/echo"},
		{name: "same parameter pattern twice", patterns: []string{"/chat/{room}", "/chat/{room}"}, culprit: "/chat/{room}"},
		{name: "conflict after compatible ones", patterns: []string{"/echo", "/chat/{room}", "/chat/lobby"}, culprit: "/chat/lobby"},
		{name: "root parameter beside static path", patterns: []string{"/{x}", "/echo"}, culprit: "/echo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pats := parsePatterns(t, tt.patterns)
			var err error
			func() {
				defer func() {
					if v := recover(); v != nil {
						t.Fatalf("CheckRoutes(%q) panicked: %v", tt.patterns, v)
					}
				}()
				err = scripts.CheckRoutes(pats)
			}()
			if err == nil {
				t.Fatalf("CheckRoutes(%q) = nil, want a conflict", tt.patterns)
			}
			if !errors.Is(err, scripts.ErrInvalidPath) {
				t.Errorf("CheckRoutes(%q) error %v does not wrap ErrInvalidPath", tt.patterns, err)
			}
			if !strings.Contains(err.Error(), strconv.Quote(tt.culprit)) || !strings.Contains(err.Error(), "conflicts") {
				t.Errorf("CheckRoutes(%q) error %q does not name the conflicting pattern %q", tt.patterns, err, tt.culprit)
			}
		})
	}
}

func TestCheckRoutesAcceptsCompatiblePatterns(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
	}{
		{name: "none"},
		{name: "one", patterns: []string{"/echo"}},
		{name: "root and others", patterns: []string{"/", "/echo", "/chat/{room}"}},
		{name: "shared prefix", patterns: []string{"/chat", "/chat/{room}", "/chatter"}},
		{name: "same parameter name under one prefix", patterns: []string{"/c/{x}", "/c/{x}/history", "/c/{x}/members/{m}"}},
		{name: "trailing slash beside no trailing slash", patterns: []string{"/a", "/a/"}},
		{name: "different static children", patterns: []string{"/a/b", "/a/c", "/a/b/d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pats := parsePatterns(t, tt.patterns)
			if err := scripts.CheckRoutes(pats); err != nil {
				t.Errorf("CheckRoutes(%q) = %v, want nil", tt.patterns, err)
			}
		})
	}
}

// routeFor registers p alone in a router and looks up the request path made
// by putting a value for each parameter into p.Router. It reports whether the
// route matched and the parameters it bound.
func routeFor(t testing.TB, p scripts.Pattern) (matched bool, got, want httprouter.Params) {
	t.Helper()
	segs := strings.Split(p.Router, "/")
	for i, seg := range segs {
		if name, ok := strings.CutPrefix(seg, ":"); ok {
			segs[i] = "v" + strconv.Itoa(len(want))
			want = append(want, httprouter.Param{Key: name, Value: segs[i]})
		}
	}
	r := httprouter.New()
	r.GET(p.Router, func(http.ResponseWriter, *http.Request, httprouter.Params) {})
	h, got, _ := r.Lookup(http.MethodGet, strings.Join(segs, "/"))
	return h != nil, got, want
}

func TestParsePatternRouterMatchesRequestsAndBindsParamsInOrder(t *testing.T) {
	many := make([]string, 255)
	for i := range many {
		many[i] = "{p" + strconv.Itoa(i) + "}"
	}
	for _, raw := range []string{
		"/", "/echo", "/chat/{room}", "/a/{x}/b/{y}", "/a/", "/{id}/", "/x/" + strings.Join(many, "/"),
	} {
		p, err := scripts.ParsePattern(raw)
		if err != nil {
			t.Fatalf("ParsePattern(%q): %v", raw, err)
		}
		matched, got, want := routeFor(t, p)
		if !matched {
			t.Errorf("route %q of %q matches no request", p.Router, raw)
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("route %q bound %v, want %v", p.Router, got, want)
		}
	}
}

func TestParsePatternRejectsMoreParametersThanTheRouterCanMatch(t *testing.T) {
	params := make([]string, 256)
	for i := range params {
		params[i] = "{p" + strconv.Itoa(i) + "}"
	}
	raw := "/" + strings.Join(params, "/")
	_, err := scripts.ParsePattern(raw)
	if !errors.Is(err, scripts.ErrInvalidPath) || !strings.Contains(err.Error(), "more than 255 parameters") {
		t.Errorf("ParsePattern with 256 parameters = %v, want ErrInvalidPath naming the limit", err)
	}
}

// FuzzParsePattern checks that ParsePattern never panics, that every error
// wraps ErrInvalidPath, and that an accepted pattern is one the router can
// hold and match.
func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{
		"/", "/echo", "/chat/{room}", "/a/{x}/b/{y}", "/a/", "", "echo", "/api", "/api/x",
		"/a/{}", "/a/{id}/{id}", "/a/x{id}", "/{a}{b}", "/a//b", "/..", "/*", "/:x", "/?", "/a b",
		"/{", "/}", "/{{x}}", "/é/{ü}", "/\xff", "/%2F/{x}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := scripts.ParsePattern(raw)
		if err != nil {
			if !errors.Is(err, scripts.ErrInvalidPath) {
				t.Fatalf("error %v does not wrap ErrInvalidPath", err)
			}
			return
		}
		if p.Raw != raw {
			t.Errorf("Raw = %q, want %q", p.Raw, raw)
		}
		if !strings.HasPrefix(p.Router, "/") {
			t.Errorf("Router %q does not start with /", p.Router)
		}
		wildcards := 0
		for _, seg := range strings.Split(p.Router, "/") {
			if strings.HasPrefix(seg, ":") {
				wildcards++
			}
		}
		if len(p.Params) != wildcards || strings.Count(p.Router, ":") != wildcards {
			t.Errorf("Router %q has %d parameter segments, Params %q", p.Router, wildcards, p.Params)
		}
		if err := scripts.CheckRoutes([]scripts.Pattern{p}); err != nil {
			t.Fatalf("CheckRoutes(%q) alone: %v", raw, err)
		}
		matched, got, want := routeFor(t, p)
		if !matched {
			t.Fatalf("route %q of %q matches no request", p.Router, raw)
		}
		if !slices.Equal(got, want) {
			t.Errorf("route %q bound %v, want %v", p.Router, got, want)
		}
	})
}

func parsePatterns(t *testing.T, raws []string) []scripts.Pattern {
	t.Helper()
	var pats []scripts.Pattern
	for _, raw := range raws {
		p, err := scripts.ParsePattern(raw)
		if err != nil {
			t.Fatalf("ParsePattern(%q): %v", raw, err)
		}
		pats = append(pats, p)
	}
	return pats
}

func TestParsePatternRefusesAPathOverTheLimitWithoutRepeatingIt(t *testing.T) {
	t.Parallel()
	if _, err := scripts.ParsePattern("/" + strings.Repeat("a", scripts.MaxNameBytes-1)); err != nil {
		t.Errorf("path of MaxNameBytes: %v", err)
	}
	_, err := scripts.ParsePattern("/" + strings.Repeat("a", 500_000))
	if !errors.Is(err, scripts.ErrInvalidPath) || !strings.Contains(err.Error(), "longer than 2048 bytes") || len(err.Error()) > 300 {
		t.Errorf("path of 500 KB: %.300v", err)
	}
}

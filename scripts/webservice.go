package scripts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// WebserviceFile is where a project keeps the solution's Webservice, as the
// platform's REST API Gateway service configuration does.
const WebserviceFile = ServicesDir + "/webservice.yaml"

// Webservice is the solution's HTTP service configuration. luagate reads
// its cors section; the platform's other keys (domain, documented
// endpoints, ...) are ignored with a warning when a project is read.
type Webservice struct {
	CORS CORS `json:"cors,omitzero" yaml:"cors,omitempty"`
}

// CORS says which browser origins may call the HTTP endpoints, with the
// platform's keys: each becomes the Access-Control-Allow-* header of its
// name.
type CORS struct {
	// Origin lists the allowed origins: "*", "https://app.example.com",
	// "https://*.example.com", "http://localhost:*". Empty allows none.
	Origin Origins `json:"origin,omitempty" yaml:"origin,omitempty"`
	// Headers are the request headers a preflight allows; empty allows
	// those it asks for.
	Headers []string `json:"headers,omitempty" yaml:"headers,omitempty"`
	// Methods are the methods a preflight allows; empty allows those the
	// path declares.
	Methods []string `json:"methods,omitempty" yaml:"methods,omitempty"`
	// Credentials lets a browser send cookies and credentials.
	Credentials bool `json:"credentials,omitempty" yaml:"credentials,omitempty"`
	// ExposeHeaders are the response headers a page may read.
	ExposeHeaders []string `json:"expose_headers,omitempty" yaml:"expose_headers,omitempty"`
}

// Origins is cors.origin: a list, or, as the platform's older form, true
// for every origin and false for none.
type Origins []string

// UnmarshalJSON reads a list, a single origin or a boolean.
func (o *Origins) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	return o.set(v)
}

// UnmarshalYAML reads a list, a single origin or a boolean.
func (o *Origins) UnmarshalYAML(n *yaml.Node) error {
	var v any
	if err := n.Decode(&v); err != nil {
		return err
	}
	return o.set(v)
}

func (o *Origins) set(v any) error {
	switch v := v.(type) {
	case nil:
		*o = nil
	case bool:
		*o = nil
		if v {
			*o = Origins{"*"}
		}
	case string:
		*o = Origins{v}
	case []any:
		out := make(Origins, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("cors.origin: each origin is a string, got %v", e)
			}
			out = append(out, s)
		}
		*o = out
	default:
		return fmt.Errorf("cors.origin: a list of origins, or true or false, got %v", v)
	}
	return nil
}

// IsZero reports whether w configures nothing: a project then needs no
// WebserviceFile.
func (w Webservice) IsZero() bool {
	c := w.CORS
	return len(c.Origin) == 0 && len(c.Headers) == 0 && len(c.Methods) == 0 && !c.Credentials && len(c.ExposeHeaders) == 0
}

// clone copies w's slices, so a derived solution cannot change the live one.
func (w Webservice) clone() Webservice {
	w.CORS.Origin = slices.Clone(w.CORS.Origin)
	w.CORS.Headers = slices.Clone(w.CORS.Headers)
	w.CORS.Methods = slices.Clone(w.CORS.Methods)
	w.CORS.ExposeHeaders = slices.Clone(w.CORS.ExposeHeaders)
	return w
}

// OriginPattern is one checked entry of cors.origin.
type OriginPattern struct {
	any                bool
	scheme, host, port string // host "*" or "*.suffix"; port "*" for any
}

// originRE is the platform's form of a cors.origin entry.
var originRE = regexp.MustCompile(`^(\*|[a-z]+://(\*|[a-zA-Z0-9-]+)(\.[a-zA-Z0-9-]+)*(:(\*|[0-9]+))?)$`)

// ParseOrigin checks one cors.origin entry.
func ParseOrigin(s string) (OriginPattern, error) {
	if !originRE.MatchString(s) {
		return OriginPattern{}, fmt.Errorf("%q is not an origin: write *, or scheme://host[:port], where the host may start with *. and the port may be *", Elide(s))
	}
	if s == "*" {
		return OriginPattern{any: true}, nil
	}
	scheme, rest, _ := strings.Cut(s, "://")
	host, port := rest, ""
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		host, port = rest[:i], rest[i+1:]
	}
	return OriginPattern{scheme: scheme, host: strings.ToLower(host), port: port}, nil
}

// Match reports whether the Origin header origin is one p allows.
func (p OriginPattern) Match(origin string) bool {
	if p.any {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Scheme != p.scheme || u.Host == "" {
		return false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	switch {
	case p.host == "*":
	case strings.HasPrefix(p.host, "*."):
		if !strings.HasSuffix(host, p.host[1:]) || len(host) <= len(p.host)-1 {
			return false
		}
	case host != p.host:
		return false
	}
	return p.port == "*" || port == p.port
}

// CORSPolicy is a checked CORS.
type CORSPolicy struct {
	CORS
	// Origins are CORS.Origin, parsed.
	Origins []OriginPattern
}

// Allows reports whether origin is one of the allowed.
func (c *CORSPolicy) Allows(origin string) bool {
	for _, p := range c.Origins {
		if p.Match(origin) {
			return true
		}
	}
	return false
}

// headerNameRE is an HTTP header name.
var headerNameRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// resolve checks w. Each problem is in WebserviceFile, its message starting
// with the key at fault, as Config's are. A Webservice that allows no
// origin gives nil: no CORS header is ever sent.
func (w Webservice) resolve() (*CORSPolicy, Problems) {
	var problems Problems
	add := func(key string, err error) {
		problems = append(problems, Problem{File: WebserviceFile, Message: key + ": " + err.Error()})
	}
	c := &CORSPolicy{CORS: w.CORS}
	for _, o := range w.CORS.Origin {
		p, err := ParseOrigin(o)
		if err != nil {
			add("cors.origin", err)
			continue
		}
		c.Origins = append(c.Origins, p)
	}
	for _, m := range w.CORS.Methods {
		if !slices.Contains(HTTPMethods, m) {
			add("cors.methods", fmt.Errorf("%q: the methods are %s", Elide(m), strings.Join(HTTPMethods, ", ")))
		}
	}
	for _, h := range []struct {
		key  string
		list []string
	}{{"cors.headers", w.CORS.Headers}, {"cors.expose_headers", w.CORS.ExposeHeaders}} {
		for _, name := range h.list {
			if !headerNameRE.MatchString(name) {
				add(h.key, fmt.Errorf("%q is not a header name", Elide(name)))
			}
		}
	}
	if len(c.Origins) == 0 {
		return nil, problems
	}
	return c, problems
}

// webserviceFile is WebserviceFile's top level as read: cors, and the
// platform's other keys, which luagate does not use.
type webserviceFile struct {
	CORS CORS `yaml:"cors"`
}

// readWebserviceFile decodes WebserviceFile's content, with the line of each
// key (as readConfigFile). The platform's keys luagate does not read come
// back as warnings, one each.
func readWebserviceFile(src []byte) (Webservice, map[string]int, Problems, Problems) {
	var f webserviceFile
	var problems, warnings Problems
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	err := dec.Decode(&f)
	var te *yaml.TypeError
	switch {
	case err == nil, errors.Is(err, io.EOF):
	case errors.As(err, &te):
		for _, e := range te.Errors {
			p := yamlProblem(e)
			p.File = WebserviceFile
			if strings.HasSuffix(e, "in type scripts.webserviceFile") {
				p.Message = "ignored: luagate reads only cors from " + WebserviceFile
				warnings = append(warnings, p)
				continue
			}
			problems = append(problems, p)
		}
	default:
		p := yamlProblem(strings.TrimPrefix(err.Error(), "yaml: "))
		p.File = WebserviceFile
		problems = append(problems, p)
	}
	var root yaml.Node
	lines := map[string]int{}
	if yaml.Unmarshal(src, &root) == nil {
		nodeLines(&root, "", lines)
	}
	return Webservice(f), lines, problems, warnings
}

// webserviceFileContent is what WriteProject puts in WebserviceFile, whose
// content was old (nil for none): old's keys other than cors, which the
// platform reads and luagate does not, are kept; cors is w's. It reports
// false when nothing is left to write.
func webserviceFileContent(old []byte, w Webservice) ([]byte, bool, error) {
	keys := map[string]any{}
	if err := yaml.Unmarshal(old, &keys); err != nil || keys == nil {
		keys = map[string]any{}
	}
	delete(keys, "cors")
	if !w.IsZero() {
		keys["cors"] = w.CORS
	}
	if len(keys) == 0 {
		return nil, false, nil
	}
	b, err := yaml.Marshal(keys)
	if err != nil {
		return nil, false, fmt.Errorf("encode %s: %w", WebserviceFile, err)
	}
	return append([]byte("# luagate reads cors (see README, \"HTTP endpoints\"); the other keys are the platform's.\n"), b...), true, nil
}

package scripts

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// WebserviceFile is where a project keeps the solution's Webservice, as the
// platform's REST API Gateway service configuration does.
const WebserviceFile = ServicesDir + "/webservice.yaml"

// Webservice is the solution's web service configuration: the CORS policy
// of its HTTP endpoints, the security schemes endpoints may name in
// --#SECURITY, and the one that applies to endpoints without a line of
// their own. The platform's documentation keys are read only to be named
// in a warning (readWebserviceFile); any other key is refused, as luagate
// would not enforce it.
type Webservice struct {
	CORS            CORS                      `json:"cors,omitzero" yaml:"cors,omitempty"`
	SecuritySchemes map[string]SecurityScheme `json:"security_schemes,omitempty" yaml:"security_schemes,omitempty"`
	// Security names the default scheme, declared or built in; several
	// are any of them, as a --#SECURITY line of several is.
	Security []SecurityRequirement `json:"security,omitempty" yaml:"security,omitempty"`
	// RateLimit is the requests a minute each HTTP endpoint without a
	// --#RATELIMIT line of its own takes from one client (a credential,
	// or an address), as the platform's solution-wide limit; nil for
	// none, and 0 is none too.
	RateLimit *int `json:"rate_limit,omitempty" yaml:"rate_limit,omitempty"`
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

// SecurityScheme is a declared scheme, in the platform's (OpenAPI's) terms:
// type apiKey with where the key is (in: header, query or cookie, and its
// name); type http with scheme bearer; type oauth2, openIdConnect or jwt,
// which luagate verifies as a JWT.
type SecurityScheme struct {
	Type        string `json:"type" yaml:"type"`
	In          string `json:"in,omitempty" yaml:"in,omitempty"`
	Name        string `json:"name,omitempty" yaml:"name,omitempty"`
	Scheme      string `json:"scheme,omitempty" yaml:"scheme,omitempty"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
}

// SecurityRequirement is the name of a declared scheme. In YAML it may be
// written as a name or, as OpenAPI writes it, as a map from the name to
// its (unused) scopes: "- token: []".
type SecurityRequirement string

// UnmarshalYAML reads either form.
func (r *SecurityRequirement) UnmarshalYAML(n *yaml.Node) error {
	switch {
	case n.Kind == yaml.ScalarNode:
		*r = SecurityRequirement(n.Value)
		return nil
	case n.Kind == yaml.MappingNode && len(n.Content) == 2:
		*r = SecurityRequirement(n.Content[0].Value)
		return nil
	}
	return fmt.Errorf("line %d: a security requirement is a scheme name", n.Line)
}

// Empty reports whether w configures nothing: a project then needs no
// WebserviceFile.
func (w Webservice) Empty() bool {
	return w.CORS.empty() && len(w.SecuritySchemes) == 0 && len(w.Security) == 0 && w.RateLimit == nil
}

func (c CORS) empty() bool {
	return len(c.Origin) == 0 && len(c.Headers) == 0 && len(c.Methods) == 0 && !c.Credentials && len(c.ExposeHeaders) == 0
}

// clone copies w's slices and maps, so a derived solution cannot change
// the live one.
func (w Webservice) clone() Webservice {
	w.CORS.Origin = slices.Clone(w.CORS.Origin)
	w.CORS.Headers = slices.Clone(w.CORS.Headers)
	w.CORS.Methods = slices.Clone(w.CORS.Methods)
	w.CORS.ExposeHeaders = slices.Clone(w.CORS.ExposeHeaders)
	w.SecuritySchemes = maps.Clone(w.SecuritySchemes)
	w.Security = slices.Clone(w.Security)
	if w.RateLimit != nil {
		n := *w.RateLimit
		w.RateLimit = &n
	}
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

// resolveCORS checks w's cors. Each problem is in WebserviceFile, its
// message starting with the key at fault, as Config's are. A Webservice
// that allows no origin gives nil: no CORS header is ever sent.
func (w Webservice) resolveCORS() (*CORSPolicy, Problems) {
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
			if !tokenRE.MatchString(name) {
				add(h.key, fmt.Errorf("%q is not a header name", Elide(name)))
			}
		}
	}
	if len(c.Origins) == 0 {
		return nil, problems
	}
	return c, problems
}

// resolveSecurity checks w's schemes and returns them as --#SECURITY
// lines resolve them, and the default with what it warns of. Each problem
// is in WebserviceFile and starts with the key at fault, which a project
// reader turns into the line.
func (w Webservice) resolveSecurity() (map[string]Security, *Security, Problems, Problems) {
	schemes := make(map[string]Security, len(w.SecuritySchemes))
	var problems Problems
	add := func(key string, format string, args ...any) {
		problems = append(problems, Problem{File: WebserviceFile, Message: key + ": " + fmt.Sprintf(format, args...)})
	}
	for _, name := range slices.Sorted(maps.Keys(w.SecuritySchemes)) {
		key := "security_schemes." + name
		if !policyNameRE.MatchString(name) {
			add(key, "a scheme name is letters, digits, _ and -, starting with a letter or _")
			continue
		}
		sec, err := w.SecuritySchemes[name].security()
		if err != nil {
			add(key, "%v", err)
			continue
		}
		sec.Name = name
		schemes[name] = sec
	}
	if len(w.Security) == 0 {
		return schemes, nil, problems, nil
	}
	names := make([]string, len(w.Security))
	for i, r := range w.Security {
		names[i] = string(r)
		if _, declared := w.SecuritySchemes[names[i]]; declared && schemes[names[i]].Scheme == "" {
			// Its problem is reported at its declaration.
			return schemes, nil, problems, nil
		}
	}
	// The platform's list is any of its schemes, as a --#SECURITY line
	// of several is; a name may be declared or built in.
	sec, warning, err := parseSecurityLine(strings.Join(names, " "), schemes)
	if err != nil {
		add("security", "%v", err)
		return schemes, nil, problems, nil
	}
	var warnings Problems
	if warning != "" {
		warnings = Problems{{File: WebserviceFile, Message: "security: " + warning}}
	}
	return schemes, &sec, problems, warnings
}

// resolveRateLimit checks w's rate_limit and returns it as a bare
// --#RATELIMIT line would be, nil for none.
func (w Webservice) resolveRateLimit() (*RateLimit, Problems) {
	if w.RateLimit == nil {
		return nil, nil
	}
	if *w.RateLimit < 0 {
		return nil, Problems{{File: WebserviceFile, Message: fmt.Sprintf("rate_limit: %d: requests a minute, 0 or more", *w.RateLimit)}}
	}
	rl, _ := parseRateLimit(strconv.Itoa(*w.RateLimit), nil)
	return &rl, nil
}

// security is the scheme s declares, as luagate enforces it.
func (s SecurityScheme) security() (Security, error) {
	if s.Type != "apiKey" && (s.In != "" || s.Name != "") {
		return Security{}, fmt.Errorf("in and name apply to type apiKey only")
	}
	switch s.Type {
	case "apiKey":
		switch s.In {
		case KeyInHeader, KeyInQuery, KeyInCookie:
		default:
			return Security{}, fmt.Errorf("in: %q: the key is in header, query or cookie", Elide(s.In))
		}
		if s.Name == "" {
			return Security{}, fmt.Errorf("name: the %s that holds the key is missing", s.In)
		}
		return Security{Scheme: SecurityAPIKey, KeyIn: s.In, KeyName: s.Name}, nil
	case "http":
		if !strings.EqualFold(s.Scheme, "bearer") {
			return Security{}, fmt.Errorf("scheme: %q: luagate enforces http scheme bearer only (a JWT or an API key as a bearer token)", Elide(s.Scheme))
		}
		return Security{Scheme: SecurityBearer}, nil
	case "oauth2", "openIdConnect", "jwt":
		return Security{Scheme: SecurityJWT}, nil
	}
	return Security{}, fmt.Errorf("type: %q: the types luagate enforces are apiKey, http (scheme bearer), oauth2, openIdConnect and jwt", Elide(s.Type))
}

// webserviceFile is WebserviceFile's top level as read: what Webservice
// holds, and the platform's documentation keys, taken only to be named in
// a warning.
type webserviceFile struct {
	Webservice          `yaml:",inline"`
	DocumentedEndpoints *ignoredKey `yaml:"documented_endpoints"`
	APIInfo             *ignoredKey `yaml:"api_info"`
	Domain              *ignoredKey `yaml:"domain"`
}

// ignoredKey takes whatever value a key luagate ignores holds.
type ignoredKey struct{}

// UnmarshalYAML accepts any value.
func (*ignoredKey) UnmarshalYAML(*yaml.Node) error { return nil }

// readWebserviceFile decodes WebserviceFile's content, as readConfigFile
// does ConfigFile's. The keys luagate reads only to ignore come back as
// warnings.
func readWebserviceFile(src []byte) (w Webservice, lines map[string]int, problems, warnings Problems) {
	var f webserviceFile
	lines, problems = readYAML(WebserviceFile, src, &f)
	for _, k := range []struct {
		key  string
		node *ignoredKey
	}{{"documented_endpoints", f.DocumentedEndpoints}, {"api_info", f.APIInfo}, {"domain", f.Domain}} {
		if k.node != nil {
			warnings = append(warnings, Problem{File: WebserviceFile, Line: lines[k.key],
				Message: "ignored: " + k.key + " configures the platform's API documentation and domain, which luagate does not serve"})
		}
	}
	return f.Webservice, lines, problems, warnings
}

// webserviceFileContent is what WriteProject puts in WebserviceFile, whose
// content was old (nil for none): old's documentation keys, which the
// platform reads and luagate does not, are kept; the rest is w's. It
// reports false when nothing is left to write.
func webserviceFileContent(old []byte, w Webservice) ([]byte, bool, error) {
	keys := map[string]any{}
	if err := yaml.Unmarshal(old, &keys); err != nil || keys == nil {
		keys = map[string]any{}
	}
	for _, k := range []string{"cors", "security_schemes", "security", "rate_limit"} {
		delete(keys, k)
	}
	if !w.Empty() {
		var own map[string]any
		b, err := yaml.Marshal(w)
		if err == nil {
			err = yaml.Unmarshal(b, &own)
		}
		if err != nil {
			return nil, false, fmt.Errorf("encode %s: %w", WebserviceFile, err)
		}
		maps.Copy(keys, own)
	}
	if len(keys) == 0 {
		return nil, false, nil
	}
	b, err := yaml.Marshal(keys)
	if err != nil {
		return nil, false, fmt.Errorf("encode %s: %w", WebserviceFile, err)
	}
	return append([]byte("# luagate reads cors (see README, \"HTTP endpoints\") and the security schemes (\"Authentication\").\n"), b...), true, nil
}

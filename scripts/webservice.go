package scripts

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// WebserviceFile is where a project keeps the solution's Webservice
// configuration, as on the platform luagate reproduces.
const WebserviceFile = ServicesDir + "/webservice.yaml"

// Webservice is the solution's web service configuration: the security
// schemes endpoints may name in --#SECURITY, and the one that applies to
// endpoints without a line of their own.
type Webservice struct {
	SecuritySchemes map[string]SecurityScheme `json:"security_schemes,omitempty" yaml:"security_schemes,omitempty"`
	// Security names the default scheme. It is a list, as on the
	// platform, but luagate enforces one scheme per endpoint, so it holds
	// at most one name.
	Security []SecurityRequirement `json:"security,omitempty" yaml:"security,omitempty"`

	// The platform's keys about its API documentation and domain, which
	// luagate does not serve: read so that a platform project deploys,
	// each named in a warning, and never stored.
	DocumentedEndpoints *ignoredKey `json:"-" yaml:"documented_endpoints,omitempty"`
	APIInfo             *ignoredKey `json:"-" yaml:"api_info,omitempty"`
	Domain              *ignoredKey `json:"-" yaml:"domain,omitempty"`
}

// ignoredKey takes whatever value a key luagate ignores holds.
type ignoredKey struct{}

// UnmarshalYAML accepts any value.
func (*ignoredKey) UnmarshalYAML(*yaml.Node) error { return nil }

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
func (w Webservice) Empty() bool { return len(w.SecuritySchemes) == 0 && len(w.Security) == 0 }

func (w Webservice) clone() Webservice {
	w.SecuritySchemes = maps.Clone(w.SecuritySchemes)
	w.Security = slices.Clone(w.Security)
	return w
}

// resolve checks w and returns its schemes as --#SECURITY lines resolve
// them, and the default. Each problem is in WebserviceFile and starts with
// the key at fault, which a project reader turns into the line.
func (w Webservice) resolve() (map[string]Security, *Security, Problems) {
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
	var def *Security
	switch len(w.Security) {
	case 0:
	case 1:
		name := string(w.Security[0])
		if sec, ok := schemes[name]; ok {
			def = &sec
		} else if _, declared := w.SecuritySchemes[name]; !declared {
			add("security", "no scheme %s in security_schemes", Elide(name))
		}
	default:
		add("security", "%d schemes listed: luagate enforces one scheme per endpoint, so list one", len(w.Security))
	}
	return schemes, def, problems
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

// readWebserviceFile decodes WebserviceFile's content, as readConfigFile
// does ConfigFile's. The keys luagate reads only to ignore come back as
// warnings.
func readWebserviceFile(src []byte) (w Webservice, lines map[string]int, problems, warnings Problems) {
	lines, problems = readYAML(WebserviceFile, src, &w)
	for _, k := range []struct {
		key  string
		node *ignoredKey
	}{{"documented_endpoints", w.DocumentedEndpoints}, {"api_info", w.APIInfo}, {"domain", w.Domain}} {
		if k.node != nil {
			warnings = append(warnings, Problem{File: WebserviceFile, Line: lines[k.key],
				Message: "ignored: " + k.key + " configures the platform's API documentation and domain, which luagate does not serve"})
		}
	}
	w.DocumentedEndpoints, w.APIInfo, w.Domain = nil, nil, nil
	return w, lines, problems, warnings
}

// webserviceFileContent is what WriteProject puts in WebserviceFile.
func webserviceFileContent(w Webservice) ([]byte, error) {
	b, err := yaml.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", WebserviceFile, err)
	}
	return append([]byte("# Security schemes: see README, \"Authentication\".\n"), b...), nil
}

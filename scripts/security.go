package scripts

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Security schemes, as --#SECURITY and --default-security name them.
const (
	SecurityNone   = "none"
	SecurityAPIKey = "apikey"
	SecurityJWT    = "jwt"
	SecurityBearer = "bearer"
	SecurityScript = "script"
	// SecurityToken takes the push connection tokens (?token=).
	SecurityToken = "token"
)

// Security is an endpoint's --#SECURITY line: how its upgrades
// authenticate.
type Security struct {
	// Scheme is one of the Security constants.
	Scheme string
	// Module and Function are the script check's, for SecurityScript.
	Module, Function string
	// Line is the header's line in the endpoint's script; zero for the
	// server's or the solution's default.
	Line int
	// Name is the scheme's name in WebserviceFile when it was declared
	// there, "" for a built-in one.
	Name string
	// KeyIn and KeyName say where an apikey scheme declared in
	// WebserviceFile reads the key: KeyIn is KeyInHeader, KeyInQuery or
	// KeyInCookie. Empty for the usual places.
	KeyIn, KeyName string
}

// errUnknownScheme starts the error about a scheme --#SECURITY does not
// know.
var errUnknownScheme = errors.New("unknown scheme")

// Where a declared apiKey scheme's key is.
const (
	KeyInHeader = "header"
	KeyInQuery  = "query"
	KeyInCookie = "cookie"
)

// ParseSecurity reads what follows --#SECURITY: none, apikey (or the
// platform's apiKey), jwt, bearer, token, or script <module>.<function>.
func ParseSecurity(args string) (Security, error) {
	f := strings.Fields(args)
	if len(f) == 0 {
		return Security{}, fmt.Errorf("write none, apikey, jwt, bearer, token or script <module>.<function>")
	}
	scheme := f[0]
	if scheme == "apiKey" {
		scheme = SecurityAPIKey
	}
	switch scheme {
	case SecurityNone, SecurityAPIKey, SecurityJWT, SecurityBearer, SecurityToken:
		if len(f) != 1 {
			return Security{}, fmt.Errorf("%s takes nothing after it, got %q", scheme, Elide(args))
		}
		return Security{Scheme: scheme}, nil
	case SecurityScript:
		if len(f) != 2 {
			return Security{}, fmt.Errorf("write script <module>.<function>, got %q", Elide(args))
		}
		module, fn, err := parseTarget(f[1])
		if err != nil {
			return Security{}, fmt.Errorf("script: %w", err)
		}
		return Security{Scheme: SecurityScript, Module: module, Function: fn}, nil
	}
	return Security{}, fmt.Errorf("%w %q: the schemes are none, apikey, jwt, bearer, token and script <module>.<function>", errUnknownScheme, Elide(f[0]))
}

// parseSecurityLine reads a --#SECURITY line, which may also name a scheme
// the solution's WebserviceFile declares; a declared name wins over a
// built-in one, as the project chose it. A line of several schemes is the
// platform's "any of them" (multipleSchemes).
func parseSecurityLine(args string, declared map[string]Security) (sec Security, warning string, err error) {
	f := strings.Fields(args)
	if len(f) == 1 {
		if sec, ok := declared[f[0]]; ok {
			return sec, "", nil
		}
	}
	if len(f) > 1 && f[0] != SecurityScript {
		return multipleSchemes(f, declared)
	}
	if len(f) == 1 && unprovided[strings.ToLower(f[0])] != "" {
		return Security{}, "", fmt.Errorf("%s: %s; name a scheme luagate enforces: apikey, jwt or bearer", f[0], unprovided[strings.ToLower(f[0])])
	}
	sec, err = ParseSecurity(args)
	if errors.Is(err, errUnknownScheme) {
		names := slices.Sorted(maps.Keys(declared))
		if len(names) == 0 {
			return sec, "", fmt.Errorf("%w, or one declared in %s's security_schemes", err, WebserviceFile)
		}
		return sec, "", fmt.Errorf("%w, or one of %s's security_schemes: %s", err, WebserviceFile, strings.Join(names, ", "))
	}
	return sec, "", err
}

// unprovided are the schemes the platform's --#SECURITY may name that
// luagate does not provide, and why.
var unprovided = map[string]string{
	"basic": "luagate does not provide basic authentication (it keeps no passwords)",
}

// multipleSchemes reads a line of several schemes, which the platform
// takes as any of them (--#SECURITY basic bearer). luagate enforces those
// of them it provides, so a request must bring one of those; a credential
// of the others (Authorization: Basic) is refused with 401 like no
// credential. The ones it leaves out come back as a warning, and a line
// of nothing but those is refused: it would otherwise be open. Only the
// built-in apikey, jwt and bearer combine, into the one scheme that takes
// each of them, bearer (an API key or a JWT, from every place either is
// read), and so do declared schemes that are one of them; none, script,
// token and a declared apiKey read from a place of its own stand alone.
func multipleSchemes(names []string, declared map[string]Security) (Security, string, error) {
	var (
		take = map[string]bool{}
		left []string
	)
	for _, n := range names {
		s := n
		if d, ok := declared[n]; ok {
			if d.KeyIn != "" {
				return Security{}, "", fmt.Errorf("%s reads its key from the %s %s only, so it cannot be one of several schemes", Elide(n), d.KeyIn, d.KeyName)
			}
			s = d.Scheme
		}
		if s == "apiKey" {
			s = SecurityAPIKey
		}
		switch {
		case s == SecurityAPIKey || s == SecurityJWT || s == SecurityBearer:
			take[s] = true
		case unprovided[strings.ToLower(s)] != "":
			if !slices.Contains(left, n) {
				left = append(left, n)
			}
		default:
			return Security{}, "", fmt.Errorf("%q cannot be one of several schemes: only apikey, jwt and bearer combine (any of them), and basic, which luagate does not provide", Elide(n))
		}
	}
	if len(take) == 0 {
		return Security{}, "", fmt.Errorf("%s: %s; name a scheme luagate enforces among them: apikey, jwt or bearer", strings.Join(left, " "), unprovided["basic"])
	}
	sec := Security{Scheme: SecurityBearer}
	if len(take) == 1 {
		for s := range take {
			sec.Scheme = s
		}
	}
	if len(left) == 0 {
		return sec, "", nil
	}
	return sec, fmt.Sprintf("%s: luagate does not provide it, so only %s is enforced and a request with %s credentials is refused with 401",
		strings.Join(left, ", "), sec.Scheme, strings.Join(left, " or ")), nil
}

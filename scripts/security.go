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
// built-in one, as the project chose it.
func parseSecurityLine(args string, declared map[string]Security) (Security, error) {
	if f := strings.Fields(args); len(f) == 1 {
		if sec, ok := declared[f[0]]; ok {
			return sec, nil
		}
	}
	sec, err := ParseSecurity(args)
	if errors.Is(err, errUnknownScheme) {
		names := slices.Sorted(maps.Keys(declared))
		if len(names) == 0 {
			return sec, fmt.Errorf("%w, or one declared in %s's security_schemes", err, WebserviceFile)
		}
		return sec, fmt.Errorf("%w, or one of %s's security_schemes: %s", err, WebserviceFile, strings.Join(names, ", "))
	}
	return sec, err
}

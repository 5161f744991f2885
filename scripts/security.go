package scripts

import (
	"fmt"
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
	// server's default.
	Line int
}

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
	return Security{}, fmt.Errorf("unknown scheme %q: the schemes are none, apikey, jwt, bearer, token and script <module>.<function>", Elide(f[0]))
}

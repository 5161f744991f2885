package auth

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Scheme is how an endpoint authenticates its upgrades, as its --#SECURITY
// line names it.
type Scheme string

// The schemes auth checks. A script check ("script") needs Lua and is run
// by the runtime.
const (
	SchemeNone   Scheme = "none"
	SchemeAPIKey Scheme = "apikey"
	SchemeJWT    Scheme = "jwt"
	// SchemeBearer takes a JWT or an API key as a bearer token.
	SchemeBearer Scheme = "bearer"
)

// Where a client may put its credential. Browsers cannot set headers on a
// WebSocket, hence the query parameters.
const (
	HeaderAPIKey     = "X-API-Key"
	QueryAPIKey      = "api_key"
	QueryAccessToken = "access_token"
	// QueryAuthType is the seed platform's auth_type: apikey, oauth or
	// jwt. When present it must match the endpoint's scheme.
	QueryAuthType = "auth_type"
)

// Request is what a credential is checked against.
type Request struct {
	Header http.Header
	Query  url.Values
	// Route is the endpoint's declared pattern and Path the path asked
	// for.
	Route, Path string
	// RemoteAddr is the client's address, through trusted proxies.
	RemoteAddr netip.Addr
	// KeyIn and KeyName, when set, are the one place an API key is read
	// from: a header, query parameter or cookie (KeyIn "header", "query"
	// or "cookie") of that name, as a solution's declared scheme says.
	KeyIn, KeyName string
}

// Identity is who a request proved to be.
type Identity struct {
	Scheme Scheme
	UserID string
	// KeyID and KeyName are the API key's, when one was used.
	KeyID, KeyName string
	// Claims are the token's claims.
	Claims map[string]any
	// ExpiresAt is when the credential stops being valid while a socket
	// holds it; zero for never.
	ExpiresAt time.Time
	// TokenHash is the push token's SHA-256, for SchemeToken.
	TokenHash []byte
}

// Config configures an Authenticator.
type Config struct {
	// Keys holds the API keys. Nil refuses every key.
	Keys KeyStore
	// JWT verifies tokens. Nil refuses every token.
	JWT *JWTVerifier
	// Tokens holds the push connection tokens. Nil refuses every one.
	Tokens TokenStore
}

// Authenticator checks the credentials of requests.
type Authenticator struct {
	cfg Config
}

// New returns an authenticator.
func New(cfg Config) *Authenticator { return &Authenticator{cfg: cfg} }

// HasJWT reports whether tokens can be verified.
func (a *Authenticator) HasJWT() bool { return a.cfg.JWT != nil }

// Connect checks the credential of an upgrade on an endpoint with scheme
// and returns who made it. A refusal is a *Refusal.
func (a *Authenticator) Connect(scheme Scheme, req *Request) (Identity, error) {
	if scheme == SchemeNone {
		return Identity{}, nil
	}
	if err := checkAuthType(scheme, req.Query.Get(QueryAuthType)); err != nil {
		return Identity{}, err
	}
	now := time.Now()
	switch scheme {
	case SchemeToken:
		return a.connectToken(req, now)
	case SchemeAPIKey:
		secret := keySecret(req)
		switch {
		case secret == "" && req.KeyIn != "":
			return Identity{}, unauthorized("this endpoint needs an API key in the %s %s", req.KeyIn, req.KeyName)
		case secret == "":
			return Identity{}, unauthorized("this endpoint needs an API key: send %s, Authorization: Bearer or ?%s=", HeaderAPIKey, QueryAPIKey)
		}
		return a.connectKey(secret, req, now)
	case SchemeJWT:
		token := bearer(req)
		if token == "" {
			return Identity{}, unauthorized("this endpoint needs a token: send Authorization: Bearer or ?%s=", QueryAccessToken)
		}
		return a.verifyJWT(token)
	case SchemeBearer:
		token := bearer(req)
		if token == "" {
			token = keySecret(req)
		}
		switch {
		case token == "":
			return Identity{}, unauthorized("this endpoint needs a token or an API key: send Authorization: Bearer or ?%s=", QueryAccessToken)
		case strings.HasPrefix(token, SecretPrefix):
			return a.connectKey(token, req, now)
		}
		return a.verifyJWT(token)
	}
	return Identity{}, fmt.Errorf("auth: scheme %q is not checked here", scheme)
}

func (a *Authenticator) connectKey(secret string, req *Request, now time.Time) (Identity, error) {
	k, err := lookup(a.cfg.Keys, secret, req, now)
	if err != nil {
		return Identity{}, err
	}
	if err := checkConnect(k, req); err != nil {
		return Identity{}, err
	}
	return Identity{Scheme: SchemeAPIKey, UserID: k.UserID, KeyID: k.ID, KeyName: k.Name}, nil
}

func (a *Authenticator) verifyJWT(token string) (Identity, error) {
	if a.cfg.JWT == nil {
		return Identity{}, unauthorized("tokens are not accepted: the server has no JWT keys")
	}
	return a.cfg.JWT.Verify(token)
}

// Key checks an API key used on the management API, which must have scope
// (admin has all; "" asks for none). A refusal is a *Refusal.
func (a *Authenticator) Key(secret string, scope Scope, req *Request) (Key, error) {
	k, err := lookup(a.cfg.Keys, secret, req, time.Now())
	if err != nil {
		return Key{}, err
	}
	if scope != "" && !k.Has(scope) {
		return Key{}, forbidden("API key %s does not have the %s scope", k.ID, scope)
	}
	return k, nil
}

// checkAuthType refuses an auth_type that names another kind of
// credential than the endpoint takes.
func checkAuthType(scheme Scheme, authType string) error {
	if authType == "" {
		return nil
	}
	var kind Scheme
	switch strings.ToLower(authType) {
	case "apikey":
		kind = SchemeAPIKey
	case "oauth", "jwt":
		kind = SchemeJWT
	default:
		return unauthorized("unknown auth_type %q: apikey, oauth or jwt", authType)
	}
	if scheme == kind || scheme == SchemeBearer {
		return nil
	}
	return unauthorized("auth_type %s does not match this endpoint, which takes %s", authType, scheme)
}

// bearer returns the token of Authorization: Bearer or ?access_token=.
func bearer(req *Request) string {
	if t, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	return req.Query.Get(QueryAccessToken)
}

// keySecret returns the API key of the request's declared place, or else
// of X-API-Key, Authorization: Bearer or ?api_key=.
func keySecret(req *Request) string {
	switch req.KeyIn {
	case "header":
		return req.Header.Get(req.KeyName)
	case "query":
		return req.Query.Get(req.KeyName)
	case "cookie":
		c, err := (&http.Request{Header: req.Header}).Cookie(req.KeyName)
		if err != nil {
			return ""
		}
		return c.Value
	}
	if k := req.Header.Get(HeaderAPIKey); k != "" {
		return k
	}
	if t, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	return req.Query.Get(QueryAPIKey)
}

// ManagementSecret returns the credential of a management request:
// Authorization: Bearer or X-API-Key.
func ManagementSecret(h http.Header) string {
	if t, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer "); ok {
		return t
	}
	return h.Get(HeaderAPIKey)
}

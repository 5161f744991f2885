package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
)

// ErrUnknownKey is what a KeyStore answers for a key it does not hold.
var ErrUnknownKey = errors.New("no such API key")

// SecretPrefix starts every API key secret, so that a bearer token can be
// told from a JWT and a leaked secret is easy to search for.
const SecretPrefix = "lg_"

// secretBytes is how many random bytes a secret holds.
const secretBytes = 32

// Limits of a key's fields, so that a key's record stays small.
const (
	maxKeyName    = 256
	maxKeyEntries = 100
)

// Scope is what an API key may do.
type Scope string

// The scopes of an API key.
const (
	// ScopeConnect opens sockets on endpoints that take API keys.
	ScopeConnect Scope = "connect"
	// ScopeRead lists sockets.
	ScopeRead Scope = "read"
	// ScopePush sends to sockets through the management API.
	ScopePush Scope = "push"
	// ScopeAdmin does everything the admin token does.
	ScopeAdmin Scope = "admin"
)

var scopes = []Scope{ScopeConnect, ScopeRead, ScopePush, ScopeAdmin}

// Key is an API key as a KeyStore keeps it: everything but the secret,
// whose SHA-256 is Hash.
type Key struct {
	ID     string  `json:"id"`
	Name   string  `json:"name"`
	UserID string  `json:"user_id,omitempty"`
	Scopes []Scope `json:"scopes"`
	// Routes, when not empty, are the endpoint patterns (path.Match
	// globs, against the declared route or the requested path) the key
	// may connect to.
	Routes []string `json:"routes,omitempty"`
	// AllowedOrigins, when not empty, are the only browser origins the
	// key may be used from; a request without an Origin is refused.
	AllowedOrigins []string `json:"allowed_origins,omitempty"`
	// AllowedCIDRs, when not empty, are the only networks the key may be
	// used from.
	AllowedCIDRs []string `json:"allowed_cidrs,omitempty"`
	// ExpiresAt is when the key stops working; zero for never.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	Hash      []byte    `json:"hash"`
}

// KeyStore keeps API keys. storage implements it in bbolt.
type KeyStore interface {
	// PutKey adds k, whose ID and Hash are new.
	PutKey(k Key) error
	// KeyByHash returns the key whose secret hashes to hash, or
	// ErrUnknownKey.
	KeyByHash(hash []byte) (Key, error)
	// Keys returns every key, oldest first.
	Keys() ([]Key, error)
	// DeleteKey removes the key id and returns it, or ErrUnknownKey.
	DeleteKey(id string) (Key, error)
}

// KeySpec is what a new key is made of.
type KeySpec struct {
	Name           string
	UserID         string
	Scopes         []Scope
	Routes         []string
	AllowedOrigins []string
	AllowedCIDRs   []string
	ExpiresAt      time.Time
}

// NewKey checks spec and returns the key it describes and its secret,
// which nothing keeps: show it to the caller once.
func NewKey(spec KeySpec, now time.Time) (Key, string, error) {
	switch {
	case spec.Name == "" || len(spec.Name) > maxKeyName:
		return Key{}, "", fmt.Errorf("name: 1 to %d bytes, got %d", maxKeyName, len(spec.Name))
	case len(spec.UserID) > maxKeyName:
		return Key{}, "", fmt.Errorf("user_id: at most %d bytes, got %d", maxKeyName, len(spec.UserID))
	case len(spec.Scopes) == 0:
		return Key{}, "", fmt.Errorf("scopes: give at least one of %s", scopeList())
	case !spec.ExpiresAt.IsZero() && !spec.ExpiresAt.After(now):
		return Key{}, "", fmt.Errorf("expires_at %s is not in the future", spec.ExpiresAt.Format(time.RFC3339))
	}
	for _, list := range [][]string{spec.Routes, spec.AllowedOrigins, spec.AllowedCIDRs} {
		if len(list) > maxKeyEntries {
			return Key{}, "", fmt.Errorf("at most %d routes, origins or CIDRs, got %d", maxKeyEntries, len(list))
		}
	}
	for _, s := range spec.Scopes {
		if !slices.Contains(scopes, s) {
			return Key{}, "", fmt.Errorf("unknown scope %q: the scopes are %s", s, scopeList())
		}
	}
	for _, r := range spec.Routes {
		if _, err := path.Match(r, ""); err != nil || !strings.HasPrefix(r, "/") {
			return Key{}, "", fmt.Errorf("route %q: a path pattern starting with / (path.Match syntax)", r)
		}
	}
	origins := make([]string, len(spec.AllowedOrigins))
	for i, o := range spec.AllowedOrigins {
		u, err := url.Parse(o)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return Key{}, "", fmt.Errorf("allowed origin %q: write scheme://host[:port]", o)
		}
		origins[i] = NormalizeOrigin(o)
	}
	for _, c := range spec.AllowedCIDRs {
		if _, err := netip.ParsePrefix(c); err != nil {
			return Key{}, "", fmt.Errorf("allowed CIDR %q: %w", c, err)
		}
	}
	var raw [secretBytes]byte
	_, _ = rand.Read(raw[:])
	secret := SecretPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	var id [8]byte
	_, _ = rand.Read(id[:])
	k := Key{
		ID: "key_" + hex.EncodeToString(id[:]), Name: spec.Name, UserID: spec.UserID,
		Scopes: slices.Compact(slices.Sorted(slices.Values(spec.Scopes))), Routes: spec.Routes,
		AllowedOrigins: origins, AllowedCIDRs: spec.AllowedCIDRs,
		ExpiresAt: spec.ExpiresAt.UTC(), CreatedAt: now.UTC(), Hash: HashSecret(secret),
	}
	return k, secret, nil
}

func scopeList() string {
	s := make([]string, len(scopes))
	for i, sc := range scopes {
		s[i] = string(sc)
	}
	return strings.Join(s, ", ")
}

// HashSecret is what a KeyStore keeps of a secret.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// Has reports whether the key has scope s; admin has every scope.
func (k *Key) Has(s Scope) bool {
	return slices.Contains(k.Scopes, s) || slices.Contains(k.Scopes, ScopeAdmin)
}

// lookup finds the key of secret and checks that it is in force and may be
// used from the request's address.
func lookup(store KeyStore, secret string, req *Request, now time.Time) (Key, error) {
	if store == nil {
		return Key{}, unauthorized("API keys are not available on this server")
	}
	if !strings.HasPrefix(secret, SecretPrefix) {
		return Key{}, unauthorized("not an API key: a key starts with %s", SecretPrefix)
	}
	hash := HashSecret(secret)
	k, err := store.KeyByHash(hash)
	switch {
	case errors.Is(err, ErrUnknownKey):
		return Key{}, unauthorized("unknown or revoked API key")
	case err != nil:
		return Key{}, fmt.Errorf("look up API key: %w", err)
	}
	// The store found the key by its hash; comparing the whole hash in
	// constant time as well makes the answer independent of how it did.
	if subtle.ConstantTimeCompare(hash, k.Hash) != 1 {
		return Key{}, unauthorized("unknown or revoked API key")
	}
	if !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt) {
		return Key{}, unauthorized("API key %s expired at %s", k.ID, k.ExpiresAt.Format(time.RFC3339))
	}
	if len(k.AllowedCIDRs) > 0 && !inCIDRs(req.RemoteAddr, k.AllowedCIDRs) {
		return Key{}, forbidden("API key %s may not be used from %s", k.ID, req.RemoteAddr)
	}
	return k, nil
}

func inCIDRs(addr netip.Addr, cidrs []string) bool {
	for _, c := range cidrs {
		if p, err := netip.ParsePrefix(c); err == nil && p.Contains(addr.Unmap()) {
			return true
		}
	}
	return false
}

// checkConnect checks what a key needs to open a socket on req's route.
func checkConnect(k Key, req *Request) error {
	if !k.Has(ScopeConnect) {
		return forbidden("API key %s does not have the connect scope", k.ID)
	}
	if len(k.AllowedOrigins) > 0 {
		origin := req.Header.Get("Origin")
		if origin == "" || !slices.Contains(k.AllowedOrigins, NormalizeOrigin(origin)) {
			return forbidden("API key %s may not be used from origin %q", k.ID, origin)
		}
	}
	if len(k.Routes) > 0 && !slices.ContainsFunc(k.Routes, func(p string) bool {
		a, _ := path.Match(p, req.Route)
		b, _ := path.Match(p, req.Path)
		return a || b
	}) {
		return forbidden("API key %s may not connect to %s", k.ID, req.Route)
	}
	return nil
}

// NormalizeOrigin lower-cases an origin's scheme and host and drops
// anything after them.
func NormalizeOrigin(o string) string {
	if o == "*" {
		return o
	}
	u, err := url.Parse(strings.TrimSpace(o))
	if err != nil || u.Host == "" {
		return strings.ToLower(strings.TrimSpace(o))
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

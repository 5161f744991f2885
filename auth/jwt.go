package auth

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultJWTLeeway is how far exp, nbf and iat may be off by default.
const DefaultJWTLeeway = 30 * time.Second

// minSecretBytes is the shortest HS256 secret accepted: less is guessable.
const minSecretBytes = 32

// JWTConfig says which tokens a JWTVerifier accepts.
type JWTConfig struct {
	// KeyFiles are PEM public keys (RSA, ECDSA, Ed25519; PKIX, PKCS#1 or a
	// certificate) or JWKS files, whose keys a token picks by kid.
	KeyFiles []string
	// SecretFile holds the HS256 secret, at least 32 bytes; a trailing
	// newline is not part of it.
	SecretFile string
	// Leeway is how far exp, nbf and iat may be off. Zero means
	// DefaultJWTLeeway; negative means none.
	Leeway time.Duration
	// Issuer and Audience, when set, must be the token's iss and one of
	// its aud.
	Issuer, Audience string
	// UserClaim names the claim that is the user id; empty means sub.
	UserClaim string
	// KeepOnExpiry leaves a socket open when its token expires; by
	// default it is closed then.
	KeepOnExpiry bool
}

// Configured reports whether c names any key.
func (c JWTConfig) Configured() bool { return len(c.KeyFiles) > 0 || c.SecretFile != "" }

// JWTVerifier checks tokens against the keys of a JWTConfig. The algorithms
// it accepts follow from the keys: RS* and PS* for RSA keys, ES256/384/512
// for ECDSA keys of their curve, EdDSA for Ed25519 keys, HS256 for the
// secret. A token's alg picks only keys of its kind, so an HS256 token
// signed with a public key's bytes finds no key to be checked with.
type JWTVerifier struct {
	cfg    JWTConfig
	keys   []verificationKey
	algs   []string
	parser *jwt.Parser
}

// verificationKey is one key and the algorithms it verifies.
type verificationKey struct {
	kid  string
	algs []string
	key  any
}

// NewJWTVerifier loads the keys cfg names.
func NewJWTVerifier(cfg JWTConfig) (*JWTVerifier, error) {
	if !cfg.Configured() {
		return nil, errors.New("JWT: no keys: give a key file or a secret file")
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = DefaultJWTLeeway
	}
	if cfg.Leeway < 0 {
		cfg.Leeway = 0
	}
	if cfg.UserClaim == "" {
		cfg.UserClaim = "sub"
	}
	v := &JWTVerifier{cfg: cfg}
	for _, f := range cfg.KeyFiles {
		keys, err := loadKeyFile(f)
		if err != nil {
			return nil, fmt.Errorf("JWT key file %s: %w", f, err)
		}
		v.keys = append(v.keys, keys...)
	}
	if cfg.SecretFile != "" {
		b, err := os.ReadFile(cfg.SecretFile)
		if err != nil {
			return nil, fmt.Errorf("JWT secret file: %w", err)
		}
		b = bytes.TrimRight(b, "\r\n")
		if len(b) < minSecretBytes {
			return nil, fmt.Errorf("JWT secret file %s: %d bytes, at least %d needed", cfg.SecretFile, len(b), minSecretBytes)
		}
		v.keys = append(v.keys, verificationKey{algs: []string{"HS256"}, key: b})
	}
	for _, k := range v.keys {
		for _, a := range k.algs {
			if !slices.Contains(v.algs, a) {
				v.algs = append(v.algs, a)
			}
		}
	}
	v.parser = jwt.NewParser(v.options()...)
	return v, nil
}

// Algorithms are the algorithms tokens may be signed with.
func (v *JWTVerifier) Algorithms() []string { return slices.Clone(v.algs) }

// Verify checks token and returns its identity. A refusal is a *Refusal.
func (v *JWTVerifier) Verify(token string) (Identity, error) {
	claims := jwt.MapClaims{}
	if _, err := v.parser.ParseWithClaims(token, claims, v.keyFor); err != nil {
		return Identity{}, unauthorized("invalid token: %v", err)
	}
	user, err := claimString(claims, v.cfg.UserClaim)
	if err != nil {
		return Identity{}, unauthorized("invalid token: %v", err)
	}
	id := Identity{Scheme: SchemeJWT, UserID: user, Claims: claims}
	if exp, err := claims.GetExpirationTime(); err == nil && exp != nil && !v.cfg.KeepOnExpiry {
		id.ExpiresAt = exp.Add(v.cfg.Leeway)
	}
	return id, nil
}

// options are the checks every token passes.
func (v *JWTVerifier) options() []jwt.ParserOption {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(v.algs), jwt.WithLeeway(v.cfg.Leeway),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
	}
	if v.cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(v.cfg.Issuer))
	}
	if v.cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(v.cfg.Audience))
	}
	return opts
}

// keyFor returns the keys that may have signed t: those of its alg, and of
// its kid when it has one.
func (v *JWTVerifier) keyFor(t *jwt.Token) (any, error) {
	alg := t.Method.Alg()
	kid, _ := t.Header["kid"].(string)
	var set jwt.VerificationKeySet
	for _, k := range v.keys {
		if slices.Contains(k.algs, alg) && (kid == "" || k.kid == "" || k.kid == kid) {
			set.Keys = append(set.Keys, k.key)
		}
	}
	if len(set.Keys) == 0 {
		if kid != "" {
			return nil, fmt.Errorf("no %s key with kid %q", alg, kid)
		}
		return nil, fmt.Errorf("no %s key", alg)
	}
	return set, nil
}

// claimString reads the user id claim: a string, or a number written as
// JSON writes it.
func claimString(c jwt.MapClaims, name string) (string, error) {
	switch v := c[name].(type) {
	case string:
		if v != "" {
			return v, nil
		}
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	}
	return "", fmt.Errorf("claim %s, the user id, is missing or not a string", name)
}

// algorithmsOf returns the algorithms that verify with pub.
func algorithmsOf(pub crypto.PublicKey) ([]string, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}, nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return []string{"ES256"}, nil
		case elliptic.P384():
			return []string{"ES384"}, nil
		case elliptic.P521():
			return []string{"ES512"}, nil
		}
		return nil, fmt.Errorf("ECDSA curve %s is not supported", k.Curve.Params().Name)
	case ed25519.PublicKey:
		return []string{"EdDSA"}, nil
	}
	return nil, fmt.Errorf("a %T is not a public key JWTs are signed for", pub)
}

package auth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func secretVerifier(t *testing.T, cfg JWTConfig) (*JWTVerifier, []byte) {
	t.Helper()
	secret := []byte(strings.Repeat("k", 32))
	cfg.SecretFile = filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(cfg.SecretFile, secret, 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := NewJWTVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v, secret
}

func hs256(t *testing.T, secret []byte, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestJWTLeewayAndExpiry(t *testing.T) {
	t.Parallel()
	v, secret := secretVerifier(t, JWTConfig{UserClaim: "uid"})
	exp := time.Now().Add(-10 * time.Second).Truncate(time.Second)
	id, err := v.Verify(hs256(t, secret, jwt.MapClaims{"uid": 42.0, "exp": exp.Unix()}))
	if err != nil {
		t.Fatalf("a token 10s past exp within the default leeway of 30s: %v", err)
	}
	if id.UserID != "42" || !id.ExpiresAt.Equal(exp.Add(DefaultJWTLeeway)) {
		t.Errorf("identity %+v: want user 42, expiring at exp plus the leeway", id)
	}
	if _, err := v.Verify(hs256(t, secret, jwt.MapClaims{"uid": "u", "exp": time.Now().Add(-time.Minute).Unix()})); err == nil {
		t.Error("a token a minute past exp was accepted")
	}
	if _, err := v.Verify(hs256(t, secret, jwt.MapClaims{"sub": "u", "exp": time.Now().Add(time.Minute).Unix()})); err == nil {
		t.Error("a token without the user claim was accepted")
	}

	keep, secret := secretVerifier(t, JWTConfig{KeepOnExpiry: true})
	id, err = keep.Verify(hs256(t, secret, jwt.MapClaims{"sub": "u", "exp": time.Now().Add(time.Minute).Unix()}))
	if err != nil || !id.ExpiresAt.IsZero() {
		t.Errorf("with KeepOnExpiry: %+v, %v: want no expiry for the socket", id, err)
	}
	if got := keep.Algorithms(); len(got) != 1 || got[0] != "HS256" {
		t.Errorf("a secret alone accepts %v, want HS256 only", got)
	}
}

func TestJWTKeyFilesAreChecked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"short secret":  "tooshort",
		"private key":   "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		"symmetric jwk": `{"keys":[{"kty":"oct","k":"AAAA"}]}`,
		"nothing":       "hello",
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := JWTConfig{KeyFiles: []string{p}}
		if name == "short secret" {
			cfg = JWTConfig{SecretFile: p}
		}
		if _, err := NewJWTVerifier(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestNewKeyChecksItsSpec(t *testing.T) {
	t.Parallel()
	now := time.Now()
	for name, spec := range map[string]KeySpec{
		"no name":       {Scopes: []Scope{ScopeConnect}},
		"no scope":      {Name: "k"},
		"unknown scope": {Name: "k", Scopes: []Scope{"root"}},
		"bad route":     {Name: "k", Scopes: []Scope{ScopeConnect}, Routes: []string{"/a/["}},
		"bad origin":    {Name: "k", Scopes: []Scope{ScopeConnect}, AllowedOrigins: []string{"app.example.com"}},
		"bad CIDR":      {Name: "k", Scopes: []Scope{ScopeConnect}, AllowedCIDRs: []string{"10.0.0.0/33"}},
		"expired":       {Name: "k", Scopes: []Scope{ScopeConnect}, ExpiresAt: now.Add(-time.Second)},
	} {
		if _, _, err := NewKey(spec, now); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	k, secret, err := NewKey(KeySpec{Name: "k", Scopes: []Scope{ScopeRead, ScopeConnect, ScopeRead}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if string(k.Hash) != string(HashSecret(secret)) || strings.Contains(string(k.Hash), secret) || len(k.Scopes) != 2 {
		t.Errorf("key %+v of secret %q", k, secret)
	}
	if !k.Has(ScopeRead) || k.Has(ScopePush) {
		t.Errorf("scopes %v", k.Scopes)
	}
}

package endpoints_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/internal/lgtesting"
)

// jwtKeys are the keys of the JWT tests: an RSA key given as PEM, an
// ECDSA and an Ed25519 key in a JWKS file, the HS256 secret, and an RSA
// key the server does not know.
type jwtKeys struct {
	rsa, stranger *rsa.PrivateKey
	ec            *ecdsa.PrivateKey
	ed            ed25519.PrivateKey
	secret        []byte
	rsaPEM        []byte
}

func newJWTKeys(t *testing.T) *jwtKeys {
	t.Helper()
	k := &jwtKeys{secret: []byte(strings.Repeat("s3cret-", 6))}
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if k.stranger, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	if _, k.ed, err = ed25519.GenerateKey(rand.Reader); err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	k.rsaPEM = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	return k
}

// files writes the server's key files and returns the gateway option
// that uses them.
func (k *jwtKeys) files(t *testing.T, leeway time.Duration) lgtesting.Option {
	t.Helper()
	dir := t.TempDir()
	b64 := base64.RawURLEncoding.EncodeToString
	ecPub, err := k.ec.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{
		{"kty": "EC", "kid": "ec1", "crv": "P-256", "x": b64(ecPub[1:33]), "y": b64(ecPub[33:])},
		{"kty": "OKP", "kid": "ed1", "crv": "Ed25519", "x": b64(k.ed.Public().(ed25519.PublicKey))},
	}})
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pemFile, jwksFile, secretFile := write("rsa.pem", k.rsaPEM), write("keys.jwks", jwks), write("secret", append(k.secret, '\n'))
	return func(c *gateway.Config) {
		c.Server.JWT.KeyFiles = []string{pemFile, jwksFile}
		c.Server.JWT.SecretFile = secretFile
		c.Server.JWT.Issuer = "https://issuer.test"
		c.Server.JWT.Audience = "luagate"
		c.Server.JWT.Leeway = leeway
	}
}

// sign makes a token of claims with method and key, and kid when given.
func sign(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// goodClaims are what the test server accepts, changed by edit.
func goodClaims(edit func(jwt.MapClaims)) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{"sub": "ann", "role": "editor", "iss": "https://issuer.test", "aud": "luagate",
		"exp": now.Add(time.Hour).Unix(), "iat": now.Add(-time.Second).Unix()}
	if edit != nil {
		edit(c)
	}
	return c
}

func bearerHeader(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

func TestJWTAuthenticatesUpgrades(t *testing.T) {
	t.Parallel()
	k := newJWTKeys(t)
	g := lgtesting.NewGateway(t, k.files(t, -1))
	g.Deploy("/jwt", "--#ENDPOINT WEBSOCKET /jwt\n--#SECURITY jwt\n"+whoAmI)
	g.Deploy("/either", "--#ENDPOINT WEBSOCKET /either\n--#SECURITY bearer\n"+whoAmI)

	accepted := map[string]string{
		"RS256 from PEM":         sign(t, jwt.SigningMethodRS256, k.rsa, "", goodClaims(nil)),
		"ES256 from JWKS by kid": sign(t, jwt.SigningMethodES256, k.ec, "ec1", goodClaims(nil)),
		"EdDSA from JWKS by kid": sign(t, jwt.SigningMethodEdDSA, k.ed, "ed1", goodClaims(nil)),
		"HS256 secret":           sign(t, jwt.SigningMethodHS256, k.secret, "", goodClaims(nil)),
	}
	for name, tok := range accepted {
		c := lgtesting.DialHeader(t, g.WSURL("/jwt?auth_type=oauth"), bearerHeader(tok))
		if id := whoIs(t, c); id.UserID != "ann" || id.Scheme != "jwt" || id.Role != "editor" || id.InfoUser != "ann" || id.Authorization != "" {
			t.Errorf("%s: identity %+v", name, id)
		}
		c.Conn.Close()
	}
	c := lgtesting.DialHeader(t, g.WSURL("/either?access_token="+accepted["RS256 from PEM"]), nil)
	if id := whoIs(t, c); id.UserID != "ann" || id.Scheme != "jwt" {
		t.Errorf("?access_token= on a bearer endpoint: %+v", id)
	}
	c.Conn.Close()

	none := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", goodClaims(nil))
	refused := map[string]string{
		"expired":                              sign(t, jwt.SigningMethodRS256, k.rsa, "", goodClaims(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-10 * time.Second).Unix() })),
		"not yet valid":                        sign(t, jwt.SigningMethodRS256, k.rsa, "", goodClaims(func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Minute).Unix() })),
		"issued later":                         sign(t, jwt.SigningMethodRS256, k.rsa, "", goodClaims(func(c jwt.MapClaims) { c["iat"] = time.Now().Add(time.Minute).Unix() })),
		"without exp":                          sign(t, jwt.SigningMethodRS256, k.rsa, "", goodClaims(func(c jwt.MapClaims) { delete(c, "exp") })),
		"wrong issuer":                         sign(t, jwt.SigningMethodRS256, k.rsa, "", goodClaims(func(c jwt.MapClaims) { c["iss"] = "https://evil.test" })),
		"wrong audience":                       sign(t, jwt.SigningMethodRS256, k.rsa, "", goodClaims(func(c jwt.MapClaims) { c["aud"] = "someone-else" })),
		"without sub":                          sign(t, jwt.SigningMethodRS256, k.rsa, "", goodClaims(func(c jwt.MapClaims) { delete(c, "sub") })),
		"wrong signature":                      sign(t, jwt.SigningMethodRS256, k.stranger, "", goodClaims(nil)),
		"alg none":                             none,
		"HS256 signed with the RSA public key": sign(t, jwt.SigningMethodHS256, k.rsaPEM, "", goodClaims(nil)),
		"unknown kid":                          sign(t, jwt.SigningMethodES256, k.ec, "nope", goodClaims(nil)),
		"kid of another key":                   sign(t, jwt.SigningMethodES256, k.ec, "ed1", goodClaims(nil)),
		"not a token":                          "hello",
	}
	for name, tok := range refused {
		if msg := expectRefused(t, g, "/jwt", bearerHeader(tok), http.StatusUnauthorized, "UnauthorizedError"); msg == "" {
			t.Errorf("%s: a refusal without a message", name)
		}
	}
	expectRefused(t, g, "/jwt", nil, http.StatusUnauthorized, "UnauthorizedError")
	expectRefused(t, g, "/jwt?auth_type=apikey", bearerHeader(accepted["RS256 from PEM"]), http.StatusUnauthorized, "UnauthorizedError")
	// The accepted sockets, closed by their clients above, leave the list
	// once their closes are read; a refused upgrade never entered it, and
	// ran no event.
	lgtesting.Eventually(t, "no socket listed", func() bool { return len(g.Hub().List()) == 0 })
	expectNothingRan(t, g, len(accepted)+1)
}

func TestJWTExpiryClosesTheSocket(t *testing.T) {
	t.Parallel()
	k := newJWTKeys(t)
	g := lgtesting.NewGateway(t, k.files(t, -1))
	g.Deploy("/jwt", "--#ENDPOINT WEBSOCKET /jwt\n--#SECURITY jwt\n"+whoAmI)
	short := sign(t, jwt.SigningMethodRS256, k.rsa, "", goodClaims(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(1500 * time.Millisecond).Unix() }))
	c := lgtesting.DialHeader(t, g.WSURL("/jwt"), bearerHeader(short))
	c.Next()
	if code, reason := c.ExpectClose(); code != 1008 || reason != "token expired" {
		t.Errorf("closed with %d %q, want 1008 token expired", code, reason)
	}

	kept := lgtesting.NewGateway(t, k.files(t, -1), func(c *gateway.Config) { c.Server.JWT.KeepOnExpiry = true })
	kept.Deploy("/jwt", "--#ENDPOINT WEBSOCKET /jwt\n--#SECURITY jwt\n"+whoAmI+`if websocketInfo.type == "data" then return "still " .. websocketInfo.user_id end`)
	exp := time.Now().Add(time.Second).Unix()
	short = sign(t, jwt.SigningMethodRS256, k.rsa, "", goodClaims(func(c jwt.MapClaims) { c["exp"] = exp }))
	c = lgtesting.DialHeader(t, kept.WSURL("/jwt"), bearerHeader(short))
	c.Next()
	lgtesting.Eventually(t, "the token to expire", func() bool { return time.Now().Unix() > exp })
	c.Send("x")
	c.Expect("still ann")
}

func TestJWTEndpointLoadsOnAServerWithoutKeys(t *testing.T) {
	t.Parallel()
	k := newJWTKeys(t)
	dir := t.TempDir()
	g := lgtesting.StartGateway(t, dir, k.files(t, 0))
	g.Deploy("/jwt", "--#ENDPOINT WEBSOCKET /jwt\n--#SECURITY jwt\n"+whoAmI)
	g.Stop()

	g = lgtesting.StartGateway(t, dir)
	tok := sign(t, jwt.SigningMethodRS256, k.rsa, "", goodClaims(nil))
	if msg := expectRefused(t, g, "/jwt", bearerHeader(tok), http.StatusUnauthorized, "UnauthorizedError"); !strings.Contains(msg, "no JWT keys") {
		t.Errorf("refusal %q does not say the server has no keys", msg)
	}
}

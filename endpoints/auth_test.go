package endpoints_test

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/wire"
)

// whoAmI answers the open event with the socket's identity, as scripts
// see it, and logs that an event ran.
const whoAmI = `if websocketInfo.type == "open" then
  print("opened " .. tostring(websocketInfo.user_id))
  local a = websocketInfo.auth or {}
  local info = Websocket.info({socket_id = websocketInfo.socket_id})
  local claims = a.claims or {}
  return to_json({user_id = websocketInfo.user_id, session_name = websocketInfo.session_name,
    scheme = a.scheme, key_id = a.key_id, key_name = a.key_name, role = claims.role,
    info_user = info.user_id, info_scheme = info.auth and info.auth.scheme,
    api_key = websocketInfo.parameters.api_key, authorization = websocketInfo.headers.authorization})
end
`

// identity is what whoAmI answers.
type identity struct {
	UserID, SessionName, Scheme, KeyID, KeyName, Role string
	InfoUser, InfoScheme, APIKey, Authorization       string
}

func (id *identity) UnmarshalJSON(b []byte) error {
	if string(b) == "[]" { // to_json of an empty table: no identity at all
		*id = identity{}
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*id = identity{m["user_id"], m["session_name"], m["scheme"], m["key_id"], m["key_name"], m["role"],
		m["info_user"], m["info_scheme"], m["api_key"], m["authorization"]}
	return nil
}

func whoIs(t *testing.T, c *lgtesting.Client) identity {
	t.Helper()
	var id identity
	if err := json.Unmarshal([]byte(c.Next()), &id); err != nil {
		t.Fatal(err)
	}
	return id
}

// createKey creates an API key with the admin token and returns it with
// its secret.
func createKey(t *testing.T, g *lgtesting.Gateway, req wire.KeyRequest) wire.Key {
	t.Helper()
	return g.CreateKey(req)
}

func keyHeader(secret string) http.Header { return http.Header{"X-Api-Key": {secret}} }

// expectRefused dials path and checks the refusal's status and error type.
func expectRefused(t *testing.T, g *lgtesting.Gateway, path string, h http.Header, status int, typ string) string {
	t.Helper()
	got, body := lgtesting.DialRefused(t, g.WSURL(path), h)
	var e wire.Error
	if err := json.Unmarshal([]byte(body), &e); err != nil || got != status || e.Type != typ || e.Status != status {
		t.Fatalf("dial %s: %d %s, want %d %s", path, got, body, status, typ)
	}
	return e.Message
}

// expectNothingRan checks that no refused upgrade ran an event or was
// listed: only the want sockets accepted ever opened.
func expectNothingRan(t *testing.T, g *lgtesting.Gateway, opened int) {
	t.Helper()
	if n := strings.Count(g.Logs.String(), "opened "); n != opened {
		t.Errorf("%d open events ran, want %d: a refused upgrade ran one\n%s", n, opened, g.Logs.String())
	}
}

func TestAPIKeysAuthenticateUpgrades(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	g.Deploy("/keyed", "--#ENDPOINT WEBSOCKET /keyed\n--#SECURITY apiKey\n"+whoAmI)
	g.Deploy("/other", "--#ENDPOINT WEBSOCKET /other\n--#SECURITY apikey\n"+whoAmI)
	ann := createKey(t, g, wire.KeyRequest{Name: "ann's app", UserID: "ann", Scopes: []string{"connect"}})
	if !strings.HasPrefix(ann.Secret, "lg_") || len(ann.Secret) != 3+43 {
		t.Fatalf("secret %q: want lg_ and 32 bytes of base64url", ann.Secret)
	}

	expectRefused(t, g, "/keyed", nil, http.StatusUnauthorized, "UnauthorizedError")
	expectRefused(t, g, "/keyed", keyHeader("lg_"+strings.Repeat("A", 43)), http.StatusUnauthorized, "UnauthorizedError")
	expectRefused(t, g, "/keyed?auth_type=oauth", keyHeader(ann.Secret), http.StatusUnauthorized, "UnauthorizedError")
	if got := g.Hub().List(); len(got) != 0 {
		t.Fatalf("refused upgrades are listed: %v", got)
	}
	expectNothingRan(t, g, 0)

	for name, dial := range map[string]func() *lgtesting.Client{
		"X-API-Key": func() *lgtesting.Client { return lgtesting.DialHeader(t, g.WSURL("/keyed"), keyHeader(ann.Secret)) },
		"Bearer": func() *lgtesting.Client {
			return lgtesting.DialHeader(t, g.WSURL("/keyed"), http.Header{"Authorization": {"Bearer " + ann.Secret}})
		},
		"query": func() *lgtesting.Client {
			return lgtesting.DialHeader(t, g.WSURL("/keyed?auth_type=apikey&session_name=tab-1&api_key="+ann.Secret), nil)
		},
	} {
		c := dial()
		id := whoIs(t, c)
		if id.UserID != "ann" || id.Scheme != "apikey" || id.KeyID != ann.ID || id.KeyName != "ann's app" ||
			id.InfoUser != "ann" || id.InfoScheme != "apikey" {
			t.Errorf("%s: the socket's identity is %+v", name, id)
		}
		if id.APIKey != "" || id.Authorization != "" {
			t.Errorf("%s: the script sees the credential: %+v", name, id)
		}
		if name == "query" && id.SessionName != "tab-1" {
			t.Errorf("session_name is %q, want tab-1", id.SessionName)
		}
		c.Conn.Close()
	}

	status, body := g.API(http.MethodGet, wire.Prefix+"/keys", "")
	if status != http.StatusOK || strings.Contains(body, ann.Secret) || strings.Contains(body, `"hash"`) || !strings.Contains(body, ann.ID) {
		t.Errorf("GET keys: %d %s: want the key without its secret or hash", status, body)
	}
}

func TestAPIKeyRestrictions(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	g.Deploy("/keyed", "--#ENDPOINT WEBSOCKET /keyed\n--#SECURITY apikey\n"+whoAmI)
	g.Deploy("/rooms/{room}", "--#ENDPOINT WEBSOCKET /rooms/{room}\n--#SECURITY apikey\n"+whoAmI)
	for _, tc := range []struct {
		name string
		req  wire.KeyRequest
		path string
		h    http.Header
		ok   bool
	}{
		{"other routes", wire.KeyRequest{Routes: []string{"/rooms/*"}}, "/keyed", nil, false},
		{"its route pattern", wire.KeyRequest{Routes: []string{"/rooms/*"}}, "/rooms/lobby", nil, true},
		{"its declared route", wire.KeyRequest{Routes: []string{"/rooms/{room}"}}, "/rooms/lobby", nil, true},
		{"other origin", wire.KeyRequest{AllowedOrigins: []string{"https://app.example.com"}}, "/keyed",
			http.Header{"Origin": {"https://evil.example.com"}}, false},
		{"no origin", wire.KeyRequest{AllowedOrigins: []string{"https://app.example.com"}}, "/keyed", nil, false},
		{"its origin", wire.KeyRequest{AllowedOrigins: []string{"https://APP.example.com/"}}, "/keyed",
			http.Header{"Origin": {"https://app.example.com"}}, true},
		{"other network", wire.KeyRequest{AllowedCIDRs: []string{"10.0.0.0/8"}}, "/keyed", nil, false},
		{"its network", wire.KeyRequest{AllowedCIDRs: []string{"127.0.0.0/8", "::1/128"}}, "/keyed", nil, true},
		{"no connect scope", wire.KeyRequest{Scopes: []string{"read", "push"}}, "/keyed", nil, false},
		{"admin scope", wire.KeyRequest{Scopes: []string{"admin"}}, "/keyed", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Name = tc.name
			if tc.req.Scopes == nil {
				tc.req.Scopes = []string{"connect"}
			}
			k := createKey(t, g, tc.req)
			h := keyHeader(k.Secret)
			for name, v := range tc.h {
				h[name] = v
			}
			if tc.ok {
				c := lgtesting.DialHeader(t, g.WSURL(tc.path), h)
				if id := whoIs(t, c); id.KeyID != k.ID {
					t.Errorf("identity %+v", id)
				}
				c.Conn.Close()
				return
			}
			expectRefused(t, g, tc.path, h, http.StatusForbidden, "ForbiddenError")
		})
	}
}

func TestExpiredKeyIsRefused(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	g.Deploy("/keyed", "--#ENDPOINT WEBSOCKET /keyed\n--#SECURITY apikey\n"+whoAmI)
	at := time.Now().Add(300 * time.Millisecond)
	k := createKey(t, g, wire.KeyRequest{Name: "short", Scopes: []string{"connect"}, ExpiresAt: &at})
	lgtesting.DialHeader(t, g.WSURL("/keyed"), keyHeader(k.Secret)).Next()
	lgtesting.Eventually(t, "the key to expire", func() bool { return time.Now().After(at) })
	msg := expectRefused(t, g, "/keyed", keyHeader(k.Secret), http.StatusUnauthorized, "UnauthorizedError")
	if !strings.Contains(msg, "expired") {
		t.Errorf("refusal %q does not say the key expired", msg)
	}
	past := time.Now().Add(-time.Hour)
	body, _ := json.Marshal(wire.KeyRequest{Name: "old", Scopes: []string{"connect"}, ExpiresAt: &past})
	if status, resp := g.API(http.MethodPost, wire.Prefix+"/keys", string(body)); status != http.StatusBadRequest {
		t.Errorf("a key that expired already: %d %s, want 400", status, resp)
	}
}

func TestRevokingAKeyClosesItsSockets(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	g.Deploy("/keyed", "--#ENDPOINT WEBSOCKET /keyed\n--#SECURITY apikey\n"+whoAmI+
		`if websocketInfo.type == "close" then print("closed " .. websocketInfo.close_code .. " " .. websocketInfo.close_reason) end`)
	revoked := createKey(t, g, wire.KeyRequest{Name: "revoked", Scopes: []string{"connect"}})
	kept := createKey(t, g, wire.KeyRequest{Name: "kept", Scopes: []string{"connect"}})
	a := lgtesting.DialHeader(t, g.WSURL("/keyed"), keyHeader(revoked.Secret))
	b := lgtesting.DialHeader(t, g.WSURL("/keyed"), keyHeader(kept.Secret))
	a.Next()
	b.Next()

	status, body := g.API(http.MethodDelete, wire.Prefix+"/keys/"+revoked.ID, "")
	if status != http.StatusOK || !strings.Contains(body, `"closed":1`) {
		t.Fatalf("revoke: %d %s", status, body)
	}
	if code, reason := a.ExpectClose(); code != 1008 || reason != "credential revoked" {
		t.Errorf("the revoked key's socket closed with %d %q, want 1008 credential revoked", code, reason)
	}
	lgtesting.Eventually(t, "the close event", func() bool { return strings.Contains(g.Logs.String(), "closed 1008 credential revoked") })
	expectRefused(t, g, "/keyed", keyHeader(revoked.Secret), http.StatusUnauthorized, "UnauthorizedError")
	if ids := g.SocketIDs(1); len(ids) != 1 {
		t.Fatalf("sockets %v", ids)
	}
	b.Send("still here")
	if status, _ := g.API(http.MethodDelete, wire.Prefix+"/keys/"+revoked.ID, ""); status != http.StatusNotFound {
		t.Errorf("revoking again: %d, want 404", status)
	}
}

func TestManagementRoutesNeedTheirScope(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	g.Deploy("/echo", "--#ENDPOINT WEBSOCKET /echo\n"+whoAmI)
	c := g.Dial("/echo?session_name=desk")
	c.Next()
	id := g.SocketIDs(1)[0]
	read := createKey(t, g, wire.KeyRequest{Name: "reader", Scopes: []string{"read"}})
	push := createKey(t, g, wire.KeyRequest{Name: "pusher", Scopes: []string{"push"}})
	admin := createKey(t, g, wire.KeyRequest{Name: "admin", Scopes: []string{"admin"}})
	message := `{"message":"hi"}`
	for _, tc := range []struct {
		secret, method, path, body string
		want                       int
	}{
		{read.Secret, http.MethodGet, "/sockets/" + id, "", http.StatusOK},
		{read.Secret, http.MethodPost, "/sockets/" + id + "/messages", message, http.StatusForbidden},
		{read.Secret, http.MethodGet, "", "", http.StatusForbidden},
		{read.Secret, http.MethodPost, "/keys", `{"name":"x","scopes":["admin"]}`, http.StatusForbidden},
		{push.Secret, http.MethodPost, "/sockets/" + id + "/messages", message, http.StatusNoContent},
		{push.Secret, http.MethodGet, "/sockets", "", http.StatusForbidden},
		{admin.Secret, http.MethodGet, "/sockets", "", http.StatusOK},
		{admin.Secret, http.MethodGet, "/keys", "", http.StatusOK},
		{"lg_" + strings.Repeat("B", 43), http.MethodGet, "/sockets", "", http.StatusUnauthorized},
		{lgtesting.Token, http.MethodGet, "/keys", "", http.StatusOK},
	} {
		if status, body := g.APIAs(tc.secret, tc.method, wire.Prefix+tc.path, tc.body); status != tc.want {
			t.Errorf("%s %s with %.12s: %d %s, want %d", tc.method, tc.path, tc.secret, status, body, tc.want)
		}
	}
	c.Expect("hi")
	_, body := g.API(http.MethodGet, wire.Prefix+"/sockets/"+id, "")
	var sock wire.Socket
	if err := json.Unmarshal([]byte(body), &sock); err != nil || sock.SessionName != "desk" || sock.Auth != nil || sock.UserID != "" {
		t.Errorf("GET socket of an open endpoint: %s", body)
	}
}

func TestSessionNameIsBounded(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	g.Deploy("/echo", "--#ENDPOINT WEBSOCKET /echo\n"+whoAmI)
	c := g.Dial("/echo?session_name=" + strings.Repeat("é", 128))
	if id := whoIs(t, c); id.SessionName != strings.Repeat("é", 128) || id.UserID != "" || id.Scheme != "" {
		t.Errorf("identity on an open endpoint: %+v", id)
	}
	expectRefused(t, g, "/echo?session_name="+strings.Repeat("a", 129), nil, http.StatusBadRequest, "BadRequestError")
}

func TestTrustedProxiesNameTheClient(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, func(c *gateway.Config) {
		c.Server.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"),
			netip.MustParsePrefix("192.0.2.0/24")}
		c.Server.MaxConnectionsPerIP = 1
	})
	g.Deploy("/keyed", "--#ENDPOINT WEBSOCKET /keyed\n--#SECURITY apikey\n"+whoAmI)
	k := createKey(t, g, wire.KeyRequest{Name: "office", Scopes: []string{"connect"}, AllowedCIDRs: []string{"203.0.113.0/24"}})
	from := func(xff string) http.Header {
		h := keyHeader(k.Secret)
		h.Set("X-Forwarded-For", xff)
		return h
	}
	// The right-most address that is not a trusted proxy is the client.
	lgtesting.DialHeader(t, g.WSURL("/keyed"), from("198.51.100.9, 203.0.113.7, 192.0.2.1")).Next()
	expectRefused(t, g, "/keyed", from("203.0.113.8, 198.51.100.9"), http.StatusForbidden, "ForbiddenError")
	// The per-IP limit counts the client, not the proxy.
	lgtesting.DialHeader(t, g.WSURL("/keyed"), from("203.0.113.8")).Next()
	expectRefused(t, g, "/keyed", from("203.0.113.7"), http.StatusServiceUnavailable, "ConnectionLimitError")

	plain := lgtesting.NewGateway(t)
	plain.Deploy("/keyed", "--#ENDPOINT WEBSOCKET /keyed\n--#SECURITY apikey\n"+whoAmI)
	k2 := createKey(t, plain, wire.KeyRequest{Name: "office", Scopes: []string{"connect"}, AllowedCIDRs: []string{"203.0.113.0/24"}})
	h := keyHeader(k2.Secret)
	h.Set("X-Forwarded-For", "203.0.113.7")
	expectRefused(t, plain, "/keyed", h, http.StatusForbidden, "ForbiddenError")
}

func TestSecurityLinesAreCheckedAtDeploy(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	for _, tc := range []struct{ script, want string }{
		{"--#ENDPOINT WEBSOCKET /a\n\n--#SECURITY magic\n", `"line":3`},
		{"--#ENDPOINT WEBSOCKET /a\n--#SECURITY script nomodule.check\n", `no module nomodule`},
		{"--#ENDPOINT WEBSOCKET /a\n--#SECURITY jwt extra\n", `"line":2`},
		{"--#ENDPOINT WEBSOCKET /a\n--#SECURITY jwt\n", `the server has no JWT keys`},
	} {
		body, _ := json.Marshal(map[string]string{"path": "/a", "script": tc.script})
		status, resp := g.API(http.MethodPut, wire.Prefix+"/endpoints", string(body))
		if status != http.StatusBadRequest || !strings.Contains(resp, tc.want) {
			t.Errorf("deploy %q: %d %s, want 400 with %s", tc.script, status, resp, tc.want)
		}
	}
}

func TestDefaultSecurityAndBearerKeys(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, func(c *gateway.Config) { c.Server.DefaultSecurity = "apikey" })
	g.Deploy("/default", "--#ENDPOINT WEBSOCKET /default\n"+whoAmI)
	g.Deploy("/public", "--#ENDPOINT WEBSOCKET /public\n--#SECURITY none\n"+whoAmI)
	g.Deploy("/either", "--#ENDPOINT WEBSOCKET /either\n--#SECURITY bearer\n"+whoAmI)
	k := createKey(t, g, wire.KeyRequest{Name: "k", UserID: "bo", Scopes: []string{"connect"}})

	expectRefused(t, g, "/default", nil, http.StatusUnauthorized, "UnauthorizedError")
	lgtesting.DialHeader(t, g.WSURL("/default"), keyHeader(k.Secret)).Next()
	if id := whoIs(t, g.Dial("/public?auth_type=apikey")); id.Scheme != "" || id.UserID != "" {
		t.Errorf("an endpoint with --#SECURITY none: %+v", id)
	}
	for _, h := range []http.Header{{"Authorization": {"Bearer " + k.Secret}}, keyHeader(k.Secret)} {
		if id := whoIs(t, lgtesting.DialHeader(t, g.WSURL("/either?auth_type=apikey"), h)); id.Scheme != "apikey" || id.UserID != "bo" {
			t.Errorf("a key on a bearer endpoint: %+v", id)
		}
	}
	// Without JWT keys, a token is refused rather than misread.
	expectRefused(t, g, "/either", http.Header{"Authorization": {"Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"}}, http.StatusUnauthorized, "UnauthorizedError")
}

// TestAKeyRevokedDuringItsUpgradeClosesItsSocket stands in for a
// revocation that lands between an upgrade's authentication and its
// registration, which the sweep of DELETE /keys/:id cannot see: the
// runtime asks again once the socket is listed.
func TestAKeyRevokedDuringItsUpgradeClosesItsSocket(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, func(c *gateway.Config) {
		c.Runtime.Revoked = func(c hub.Conn) bool { return c.Auth.KeyName == "revoked meanwhile" }
	})
	g.Deploy("/keyed", "--#ENDPOINT WEBSOCKET /keyed\n--#SECURITY apikey\n"+whoAmI)
	k := createKey(t, g, wire.KeyRequest{Name: "revoked meanwhile", Scopes: []string{"connect"}})
	c := lgtesting.DialHeader(t, g.WSURL("/keyed"), keyHeader(k.Secret))
	if code, reason := c.ExpectClose(); code != 1008 || reason != "credential revoked" {
		t.Errorf("closed with %d %q, want 1008 credential revoked", code, reason)
	}
	ok := createKey(t, g, wire.KeyRequest{Name: "fine", Scopes: []string{"connect"}})
	lgtesting.DialHeader(t, g.WSURL("/keyed"), keyHeader(ok.Secret)).Next()
}

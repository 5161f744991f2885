package endpoints_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/wire"
)

// seesCredential answers the open event with the headers and parameters
// where a declared scheme's key could be, as the script sees them.
const seesCredential = `if websocketInfo.type == "open" then
  print("opened " .. tostring(websocketInfo.user_id))
  local h, p = websocketInfo.headers, websocketInfo.parameters
  return to_json({user_id = websocketInfo.user_id, token = h["x-token"] or p.token or h.cookie or ""})
end
`

func deployWebservice(t *testing.T, g *lgtesting.Gateway, web scripts.Webservice, eps ...scripts.Endpoint) (int, string) {
	t.Helper()
	sol := scripts.Solution{Webservice: web}
	sol.PutEndpoints(eps...)
	body, _ := json.Marshal(sol)
	return g.API(http.MethodPut, wire.Prefix, string(body))
}

func TestDeclaredSchemesReadTheKeyFromTheirPlace(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	web := scripts.Webservice{
		SecuritySchemes: map[string]scripts.SecurityScheme{
			"header_key": {Type: "apiKey", In: "header", Name: "X-Token"},
			"query_key":  {Type: "apiKey", In: "query", Name: "token"},
			"cookie_key": {Type: "apiKey", In: "cookie", Name: "session"},
		},
		Security: []scripts.SecurityRequirement{"cookie_key"},
	}
	status, body := deployWebservice(t, g, web,
		scripts.Endpoint{Path: "/h", Script: "--#SECURITY header_key\n" + seesCredential},
		scripts.Endpoint{Path: "/q", Script: "--#SECURITY query_key\n" + seesCredential},
		scripts.Endpoint{Path: "/c", Script: seesCredential},
		scripts.Endpoint{Path: "/open", Script: "--#SECURITY none\n" + seesCredential})
	if status != http.StatusOK && status != http.StatusNoContent {
		t.Fatalf("deploy: %d %s", status, body)
	}
	key := createKey(t, g, wire.KeyRequest{Name: "app", UserID: "ann", Scopes: []string{"connect"}})

	// The declared place is the only one: the usual ones do not count.
	expectRefused(t, g, "/h", keyHeader(key.Secret), http.StatusUnauthorized, "UnauthorizedError")
	expectRefused(t, g, "/q?api_key="+key.Secret, nil, http.StatusUnauthorized, "UnauthorizedError")
	msg := expectRefused(t, g, "/c", http.Header{"Authorization": {"Bearer " + key.Secret}}, http.StatusUnauthorized, "UnauthorizedError")
	if !strings.Contains(msg, "cookie session") {
		t.Errorf("refusal %q does not say where the key goes", msg)
	}
	expectRefused(t, g, "/h", http.Header{"X-Token": {"lg_" + strings.Repeat("A", 43)}}, http.StatusUnauthorized, "UnauthorizedError")
	expectNothingRan(t, g, 0)

	for path, h := range map[string]http.Header{
		"/h":                     {"X-Token": {key.Secret}},
		"/q?token=" + key.Secret: nil,
		"/c":                     {"Cookie": {"theme=dark; session=" + key.Secret}},
	} {
		c := lgtesting.DialHeader(t, g.WSURL(path), h)
		var got struct {
			UserID string `json:"user_id"`
			Token  string `json:"token"`
		}
		if err := json.Unmarshal([]byte(c.Next()), &got); err != nil {
			t.Fatal(err)
		}
		if got.UserID != "ann" || got.Token != "" {
			t.Errorf("%s: user %q, the script sees the key as %q", path, got.UserID, got.Token)
		}
		c.Conn.Close()
	}
	c := lgtesting.DialHeader(t, g.WSURL("/open"), nil)
	c.Next()
	c.Conn.Close()
}

func TestDeclaredSchemeProblemsAreDeployErrors(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	for _, tc := range []struct {
		name string
		web  scripts.Webservice
		line string
		want string
	}{
		{"unknown name", scripts.Webservice{}, "--#SECURITY partner_key", `unknown scheme \"partner_key\"`},
		{"basic auth", scripts.Webservice{SecuritySchemes: map[string]scripts.SecurityScheme{"b": {Type: "http", Scheme: "basic"}}}, "", "http scheme bearer only"},
		{"no name", scripts.Webservice{SecuritySchemes: map[string]scripts.SecurityScheme{"k": {Type: "apiKey", In: "header"}}}, "", "security_schemes.k: name"},
		{"bad place", scripts.Webservice{SecuritySchemes: map[string]scripts.SecurityScheme{"k": {Type: "apiKey", In: "body", Name: "k"}}}, "", "header, query or cookie"},
		{"a default of its own place among others", scripts.Webservice{SecuritySchemes: map[string]scripts.SecurityScheme{"a": {Type: "apiKey", In: "header", Name: "X-K"}, "b": {Type: "oauth2"}},
			Security: []scripts.SecurityRequirement{"a", "b"}}, "", "reads its key from the header X-K only, so it cannot be one of several schemes"},
		{"undeclared default", scripts.Webservice{Security: []scripts.SecurityRequirement{"ghost"}}, "", `unknown scheme \"ghost\"`},
		{"a default of basic alone", scripts.Webservice{Security: []scripts.SecurityRequirement{"basic"}}, "", "luagate does not provide basic authentication"},
	} {
		status, body := deployWebservice(t, g, tc.web, scripts.Endpoint{Path: "/x", Script: tc.line + "\nreturn 1\n"})
		if status != http.StatusBadRequest || !strings.Contains(body, tc.want) {
			t.Errorf("%s: deploy answered %d %s, want 400 with %q", tc.name, status, body, tc.want)
		}
	}
	if got := g.Hub().List(); len(got) != 0 {
		t.Fatal("sockets after refused deploys")
	}
}

package scripts

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// The platform's getting-started template writes its project in forms a
// luagate project did not use: these tests hold each of them.

func TestDocumentationLinesAreKeptAndNotEnforced(t *testing.T) {
	script := `--#ENDPOINT GET /users/{id}
--#TAGS user public
--#SUMMARY get a user
--#DESCRIPTION the user of an id,
--#DESCRIPTION or a 404
--#TAGS  more
return {}
`
	c, err := Compile(Solution{Endpoints: []*Endpoint{{Method: "GET", Path: "/users/{id}", Script: script}}})
	if err != nil {
		t.Fatal(err)
	}
	want := EndpointDoc{Tags: []string{"user", "public", "more"}, Summary: "get a user", Description: "the user of an id,\nor a 404"}
	if got := DocOf(script); !reflect.DeepEqual(got, want) {
		t.Errorf("DocOf = %+v, want %+v", got, want)
	}
	if ep, _ := c.HTTPEndpoint("GET /users/{id}"); ep == nil || ep.Policy.Security != nil || ep.Policy.RateLimit != nil {
		t.Errorf("documentation lines changed the policy: %+v", ep)
	}
	if got := DocOf("--#ENDPOINT WEBSOCKET /ws\nreturn 1\n--#TAGS late\n"); !reflect.DeepEqual(got, EndpointDoc{}) {
		t.Errorf("a line after the code is documentation: %+v", got)
	}
}

func TestABareRateLimitIsRequestsPerMinute(t *testing.T) {
	for _, tc := range []struct {
		line string
		want *RateLimit
	}{
		{"1", &RateLimit{Requests: 1, Window: time.Minute, Code: DefaultRateLimitCode, Message: DefaultRateLimitMessage}},
		{"600", &RateLimit{Requests: 600, Window: time.Minute, Code: DefaultRateLimitCode, Message: DefaultRateLimitMessage}},
		{"0", &RateLimit{Off: true}},
	} {
		for _, method := range []string{"", "GET"} {
			c, err := Compile(Solution{Endpoints: []*Endpoint{{Method: method, Path: "/p", Script: "--#RATELIMIT " + tc.line + "\nreturn 1\n"}}})
			if err != nil {
				t.Fatalf("%q %s: %v", tc.line, method, err)
			}
			ep, _ := c.Endpoint("/p")
			if method != "" {
				ep, _ = c.HTTPEndpoint("GET /p")
			}
			if !reflect.DeepEqual(ep.Policy.RateLimit, tc.want) {
				t.Errorf("--#RATELIMIT %s on %q: %+v, want %+v", tc.line, method, ep.Policy.RateLimit, tc.want)
			}
		}
	}
	_, err := Compile(Solution{Endpoints: []*Endpoint{{Path: "/p", Script: "--#RATELIMIT 99999999999999999999\n"}}})
	if err == nil || !strings.Contains(err.Error(), "too many") {
		t.Errorf("an overflowing rate: %v", err)
	}
}

func TestSeveralSecuritySchemesAreAnyOfThoseLuagateProvides(t *testing.T) {
	for _, tc := range []struct {
		line, scheme, warning, problem string
	}{
		{line: "basic bearer", scheme: SecurityBearer, warning: "/p:1: --#SECURITY: basic: luagate does not provide it, so only bearer is enforced and a request with basic credentials is refused with 401"},
		{line: "apiKey basic", scheme: SecurityAPIKey, warning: "only apikey is enforced"},
		{line: "apikey jwt", scheme: SecurityBearer},
		{line: "bearer apiKey", scheme: SecurityBearer},
		{line: "jwt jwt", scheme: SecurityJWT},
		{line: "basic", problem: "/p:1: --#SECURITY: basic: luagate does not provide basic authentication"},
		{line: "basic Basic", problem: "name a scheme luagate enforces among them"},
		{line: "none bearer", problem: `"none" cannot be one of several schemes`},
		{line: "bearer script auth.check", problem: `"script" cannot be one of several schemes`},
	} {
		c, warnings, err := compileFresh(Solution{Endpoints: []*Endpoint{{Path: "/p", Script: "--#SECURITY " + tc.line + "\nreturn 1\n"}}})
		if tc.problem != "" {
			if err == nil || !strings.Contains(err.Error(), tc.problem) {
				t.Errorf("--#SECURITY %s: %v, want the problem %q", tc.line, err, tc.problem)
			}
			continue
		}
		if err != nil {
			t.Fatalf("--#SECURITY %s: %v", tc.line, err)
		}
		if ep, _ := c.Endpoint("/p"); ep.Policy.Security.Scheme != tc.scheme {
			t.Errorf("--#SECURITY %s is %q, want %q", tc.line, ep.Policy.Security.Scheme, tc.scheme)
		}
		if tc.warning == "" && len(warnings) > 0 || !strings.Contains(warnings.Error(), tc.warning) {
			t.Errorf("--#SECURITY %s warns %v, want %q", tc.line, warnings, tc.warning)
		}
	}
}

func TestReadProjectTakesTheTemplatesMuranoYAML(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		MuranoFile: `formatversion: 1.0.0
info: {name: template}
options:
  merge: true
env_schema:
  description: shown on the settings page
  loglevel:
    description: how much to log
assets:
  location: assets
  include: "**/*"
  default_page: index.html
endpoints:
  location: endpoints
  include: "**/*.lua"
  exclude: ["*_test.lua"]
  cors: {"origin": ["http://localhost:*"]}
services:
  location: services
  include: "**/*.lua"
init_script: setup/init.lua
`,
		".env":                      "loglevel=debug\n",
		"endpoints/api.lua":         "--#ENDPOINT GET /api/user/{id}\n--#TAGS user\n--#SECURITY basic bearer\n--#RATELIMIT 1\nreturn {}\n",
		"endpoints/api_test.lua":    "--#ENDPOINT GET /excluded\nreturn 1\n",
		"services/webservice.yaml":  "documented_endpoints: [public]\n",
		"services/websocket.yaml":   "defaults:\n  idle_timeout: 90s\n",
		"services/device2.yaml":     "protocol: {name: onep}\n",
		"services/config_other.lua": "print(1)\n",
		"setup/init.lua":            "print('set up')\n",
		"assets/index.html":         "<html>",
		"endpoints/schema.yaml":     "paths: {}\n",
	})
	sol, warnings, err := ReadProject(dir)
	if err != nil {
		t.Fatal(err)
	}
	if paths := endpointPaths(sol); !slices.Equal(paths, []string{"/api/user/{id}"}) {
		t.Errorf("endpoints %v", paths)
	}
	if !slices.Equal(sol.Webservice.CORS.Origin, []string{"http://localhost:*"}) {
		t.Errorf("endpoints.cors is not the CORS: %+v", sol.Webservice.CORS)
	}
	if sol.Init != "print('set up')\n" {
		t.Errorf("init_script not read: %q", sol.Init)
	}
	if sol.Config.Defaults.IdleTimeout != "90s" {
		t.Errorf("services/websocket.yaml not read under a .lua include: %+v", sol.Config)
	}
	if sol.EnvSchema == nil || sol.EnvSchema.Properties["loglevel"].Description != "how much to log" || len(sol.EnvSchema.Properties) != 1 {
		t.Errorf("env_schema %+v", sol.EnvSchema)
	}
	containsAll(t, "warnings", warnings.Error(),
		"murano.yaml:3: ignored: luagate does not use options",
		"services/webservice.yaml:1: ignored: documented_endpoints",
		"services/device2.yaml: ignored: configures the platform service device2, which luagate does not provide",
		"services/config_other.lua: ignored",
		"assets/: ignored: 1 file",
		"endpoints/schema.yaml: ignored: the endpoints' OpenAPI schema",
		"endpoints/api.lua:3: --#SECURITY: basic: luagate does not provide it")
}

func TestCORSInBothPlacesIsAProblem(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		MuranoFile:                 "endpoints:\n  cors: {origin: ['*']}\nmodules:\n  cors: {origin: ['*']}\n",
		"endpoints/a.lua":          "--#ENDPOINT GET /a\nreturn 1\n",
		"services/webservice.yaml": "cors: {origin: ['https://a.example']}\n",
	})
	_, _, err := ReadProject(dir)
	if err == nil {
		t.Fatal("no problem")
	}
	containsAll(t, "problems", err.Error(),
		"endpoints.cors: services/webservice.yaml has another cors",
		"modules.cors: cors belongs to the endpoints section")
	dir = writeFiles(t, map[string]string{
		MuranoFile:        "init_script: missing.lua\n",
		"endpoints/a.lua": "--#ENDPOINT GET /a\nreturn 1\n",
	})
	if _, _, err = ReadProject(dir); err == nil || !strings.Contains(err.Error(), "missing.lua") {
		t.Errorf("a missing init_script: %v", err)
	}
	dir = writeFiles(t, map[string]string{
		MuranoFile:        "env_schema:\n  loglevel: debug\n",
		"endpoints/a.lua": "--#ENDPOINT GET /a\nreturn 1\n",
	})
	if _, _, err = ReadProject(dir); err == nil || !strings.Contains(err.Error(), "env_schema.loglevel: a variable is declared by a map") {
		t.Errorf("a variable that is not a map: %v", err)
	}
}

func TestWebservicesRateLimitIsTheHTTPEndpointsDefault(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"endpoints/api.lua":        "--#ENDPOINT GET /a\nreturn 1\n--#ENDPOINT GET /own\n--#RATELIMIT 0\nreturn 1\n--#ENDPOINT WEBSOCKET /ws\nreturn 1\n",
		"services/webservice.yaml": "rate_limit: 30\n",
	})
	sol, _, err := ReadProject(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(sol)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := c.HTTPEndpoint("GET /a")
	own, _ := c.HTTPEndpoint("GET /own")
	ws, _ := c.Endpoint("/ws")
	if rl := a.Policy.RateLimit; rl == nil || rl.Requests != 30 || rl.Window != time.Minute {
		t.Errorf("GET /a: %+v", rl)
	}
	if rl := own.Policy.RateLimit; rl == nil || !rl.Off {
		t.Errorf("an endpoint's own line loses to rate_limit: %+v", rl)
	}
	if ws.Policy.RateLimit != nil {
		t.Errorf("rate_limit applies to a WebSocket endpoint: %+v", ws.Policy.RateLimit)
	}
	out := t.TempDir()
	if err := WriteProject(out, sol); err != nil {
		t.Fatal(err)
	}
	back, _, err := ReadProject(out)
	if err != nil || back.Webservice.RateLimit == nil || *back.Webservice.RateLimit != 30 {
		t.Errorf("rate_limit after write and read: %v %v", back.Webservice.RateLimit, err)
	}
	n := -1
	if _, err := Compile(Solution{Webservice: Webservice{RateLimit: &n}}); err == nil || !strings.Contains(err.Error(), "rate_limit: -1") {
		t.Errorf("a negative rate_limit: %v", err)
	}
}

func TestWebservicesSecurityIsAnyOfItsSchemes(t *testing.T) {
	for _, tc := range []struct {
		security []SecurityRequirement
		scheme   string
		warning  string
	}{
		{[]SecurityRequirement{"bearer"}, SecurityBearer, ""},
		{[]SecurityRequirement{"basic", "apiKey"}, SecurityAPIKey, "services/webservice.yaml: security: basic: luagate does not provide it, so only apikey is enforced"},
		{[]SecurityRequirement{"users", "apikey"}, SecurityBearer, ""},
		{[]SecurityRequirement{"users"}, SecurityJWT, ""},
	} {
		c, warnings, err := compileFresh(Solution{
			Endpoints:  []*Endpoint{{Path: "/p", Script: "return 1\n"}, {Path: "/own", Script: "--#SECURITY none\nreturn 1\n"}},
			Webservice: Webservice{SecuritySchemes: map[string]SecurityScheme{"users": {Type: "oauth2"}}, Security: tc.security},
		})
		if err != nil {
			t.Fatalf("security %v: %v", tc.security, err)
		}
		p, _ := c.Endpoint("/p")
		own, _ := c.Endpoint("/own")
		if p.Policy.Security == nil || p.Policy.Security.Scheme != tc.scheme || own.Policy.Security.Scheme != SecurityNone {
			t.Errorf("security %v: the default is %+v, the endpoint's own %+v", tc.security, p.Policy.Security, own.Policy.Security)
		}
		if tc.warning == "" && len(warnings) > 0 || !strings.Contains(warnings.Error(), tc.warning) {
			t.Errorf("security %v warns %v, want %q", tc.security, warnings, tc.warning)
		}
	}
}

// compileFresh compiles sol with no running revision to reuse.
func compileFresh(sol Solution) (*Compiled, Problems, error) { return compile(sol, nil) }

package scripts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAProjectMixesHTTPAndWebSocketEndpoints(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"endpoints/api.lua": "--#ENDPOINT POST /items/{id} application/json\nreturn request.body\n\n" +
			"--#ENDPOINT GET /items/{id}\nreturn 1\n--#ENDPOINT WEBSOCKET /items/{id}\nreturn 2\n",
		"services/webservice.yaml": "domain: example.apps.exosite.io\ncors:\n  origin: [\"https://app.example.com\"]\n  credentials: true\n",
	})
	sol, warnings, err := ReadProject(dir)
	if err != nil {
		t.Fatal(err)
	}
	if warnings.Error() != "services/webservice.yaml:1: ignored: domain configures the platform's API documentation and domain, which luagate does not serve" {
		t.Errorf("warnings: %v", warnings)
	}
	var keys []string
	for _, e := range sol.Endpoints {
		keys = append(keys, e.Key()+" "+e.ContentType)
	}
	if got := strings.Join(keys, "|"); got != "/items/{id} |GET /items/{id} |POST /items/{id} application/json" {
		t.Errorf("endpoints %s", got)
	}
	if c := sol.Webservice.CORS; len(c.Origin) != 1 || !c.Credentials {
		t.Errorf("cors %+v", c)
	}
	c, err := Compile(sol)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Endpoints) != 1 || len(c.HTTP) != 2 || c.CORS == nil {
		t.Fatalf("compiled %d WebSocket, %d HTTP, cors %v", len(c.Endpoints), len(c.HTTP), c.CORS)
	}
	out := t.TempDir()
	if err := WriteProject(out, sol); err != nil {
		t.Fatal(err)
	}
	again, _, err := ReadProject(out)
	if err != nil {
		t.Fatal(err)
	}
	if d := DiffSolutions(sol, again); !d.Empty() {
		t.Fatalf("round trip changed:\n%s", d)
	}
	for _, name := range []string{"endpoints/post_items_id.lua", "endpoints/get_items_id.lua", "endpoints/items_id.lua", WebserviceFile} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("expected %s: %v", name, err)
		}
	}
}

func TestHTTPEndpointProblemsPointIntoTheProject(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"endpoints/api.lua": "--#ENDPOINT GET /a\n--#ROUTE x m.f\n--#RATELIMIT 2/s code 4001\nreturn 1\n" +
			"--#ENDPOINT GET /a\nreturn 2\n--#ENDPOINT PUT /b/{x}\nreturn 3\n--#ENDPOINT PUT /b/{y}\nreturn 4\n",
		"services/webservice.yaml": "cors:\n  origin: [\"ftp//bad\"]\n  methods: [GET, FETCH]\n  colour: red\n",
	})
	_, _, err := ReadProject(dir)
	got := ""
	if err != nil {
		got = err.Error()
	}
	for _, want := range []string{
		"endpoints/api.lua:2: --#ROUTE means nothing on an HTTP endpoint",
		"endpoints/api.lua:3: --#RATELIMIT: code 4001: an HTTP endpoint answers with a status from 400 to 599",
		"endpoints/api.lua:5: endpoint GET /a is declared twice: also at endpoints/api.lua:1",
		`conflicts with another endpoint`,
		`services/webservice.yaml:2: cors.origin: "ftp//bad" is not an origin`,
		`services/webservice.yaml:3: cors.methods: "FETCH": the methods are GET`,
		"services/webservice.yaml:4: unknown key colour: the keys here are origin, headers, methods, credentials, expose_headers",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
}

func TestOriginPatterns(t *testing.T) {
	for _, c := range []struct {
		pattern, origin string
		want            bool
	}{
		{"*", "https://anything.test", true},
		{"https://app.example.com", "https://app.example.com", true},
		{"https://app.example.com", "http://app.example.com", false},
		{"https://app.example.com", "https://app.example.com:8443", false},
		{"https://*.example.com", "https://a.b.example.com", true},
		{"https://*.example.com", "https://example.com", false},
		{"https://*.example.com", "https://evilexample.com", false},
		{"http://localhost:*", "http://localhost:3000", true},
		{"http://localhost:3000", "http://localhost:3001", false},
		{"https://*", "https://x.test", true},
	} {
		p, err := ParseOrigin(c.pattern)
		if err != nil {
			t.Fatalf("%s: %v", c.pattern, err)
		}
		if got := p.Match(c.origin); got != c.want {
			t.Errorf("%s matches %s: %t, want %t", c.pattern, c.origin, got, c.want)
		}
	}
	for _, bad := range []string{"", "example.com", "https://", "https://a b", "https://a.com/path"} {
		if _, err := ParseOrigin(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestWriteProjectKeepsThePlatformsKeysOfWebserviceYAML(t *testing.T) {
	dir := writeFiles(t, map[string]string{WebserviceFile: "domain: x.apps.exosite.io\ncors:\n  origin: [\"*\"]\n"})
	if err := WriteProject(dir, Solution{Webservice: Webservice{CORS: CORS{Origin: Origins{"https://a.test"}}}}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, WebserviceFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); !strings.Contains(got, "domain: x.apps.exosite.io") || !strings.Contains(got, "https://a.test") || strings.Contains(got, `"*"`) {
		t.Errorf("webservice.yaml:\n%s", got)
	}
	if err := WriteProject(dir, Solution{}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, WebserviceFile)); strings.Contains(string(b), "cors:") || !strings.Contains(string(b), "domain") {
		t.Errorf("without cors:\n%s", b)
	}
}

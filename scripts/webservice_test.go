package scripts

import (
	"reflect"
	"strings"
	"testing"
)

const webserviceYAML = `security_schemes:
  token:
    type: apiKey
    in: header
    name: X-Token
  users:
    type: oauth2
security:
  - token: []
`

func TestDeclaredSchemesResolveOnEndpoints(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"endpoints/a.lua":          "--#ENDPOINT WEBSOCKET /a\n",
		"endpoints/b.lua":          "--#ENDPOINT WEBSOCKET /b\n--#SECURITY users\n",
		"endpoints/c.lua":          "--#ENDPOINT WEBSOCKET /c\n--#SECURITY none\n",
		"services/webservice.yaml": webserviceYAML,
	})
	sol, warnings, err := ReadProject(dir)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("ReadProject: %v, warnings %v", err, warnings)
	}
	c, err := Compile(sol)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Security{
		"/a": {Scheme: SecurityAPIKey, Name: "token", KeyIn: KeyInHeader, KeyName: "X-Token"},
		"/b": {Scheme: SecurityJWT, Name: "users", Line: 2},
		"/c": {Scheme: SecurityNone, Line: 2},
	}
	for path, sec := range want {
		ep, _ := c.Endpoint(path)
		if ep.Policy.Security == nil || !reflect.DeepEqual(*ep.Policy.Security, sec) {
			t.Errorf("%s: security %+v, want %+v", path, ep.Policy.Security, sec)
		}
	}
}

func TestWebserviceProblemsHaveTheirLines(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"endpoints/a.lua": "--#ENDPOINT WEBSOCKET /a\n--#SECURITY partner\n",
		"services/webservice.yaml": `security_schemes:
  token:
    type: apiKey
    in: body
    name: k
  pass:
    type: http
    scheme: basic
  odd:
    type: apiKey
    where: header
`,
	})
	_, _, err := ReadProject(dir)
	if err == nil {
		t.Fatal("ReadProject accepted a bad webservice.yaml")
	}
	for _, want := range []string{
		"services/webservice.yaml:11: unknown key where: the keys here are type, in, name",
		"services/webservice.yaml:2: security_schemes.token: in: \"body\"",
		"services/webservice.yaml:6: security_schemes.pass: scheme: \"basic\"",
		"endpoints/a.lua:2: --#SECURITY: unknown scheme \"partner\"",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems lack %q:\n%v", want, err)
		}
	}
}

func TestWebserviceSurvivesWriteAndRead(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"endpoints/a.lua":          "--#ENDPOINT WEBSOCKET /a\n",
		"services/webservice.yaml": webserviceYAML,
	})
	sol, _, err := ReadProject(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := WriteProject(out, sol); err != nil {
		t.Fatal(err)
	}
	again, _, err := ReadProject(out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Webservice, sol.Webservice) || len(sol.Webservice.SecuritySchemes) != 2 {
		t.Errorf("after write and read: %+v, want %+v", again.Webservice, sol.Webservice)
	}
}

func TestDiffSolutionsNamesTheWebservice(t *testing.T) {
	with := Solution{Webservice: Webservice{SecuritySchemes: map[string]SecurityScheme{"k": {Type: "jwt"}}}}
	changed := Solution{Webservice: Webservice{SecuritySchemes: map[string]SecurityScheme{"k": {Type: "oauth2"}}}}
	for _, tt := range []struct {
		from, to Solution
		want     string
	}{
		{Solution{}, with, "+ config services/webservice.yaml\n"},
		{with, changed, "~ config services/webservice.yaml\n"},
		{with, Solution{}, "- config services/webservice.yaml\n"},
		{with, with.Clone(), "no changes\n"},
	} {
		if got := DiffSolutions(tt.from, tt.to).String(); got != tt.want {
			t.Errorf("diff = %q, want %q", got, tt.want)
		}
	}
}

func TestPlatformDocumentationKeysAreWarnings(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"endpoints/a.lua":          "--#ENDPOINT WEBSOCKET /a\n",
		"services/webservice.yaml": "documented_endpoints:\n  - public\napi_info:\n  title: Hello\n" + webserviceYAML,
	})
	sol, warnings, err := ReadProject(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 2 || warnings[0].String() != "services/webservice.yaml:1: ignored: documented_endpoints configures the platform's API documentation and domain, which luagate does not serve" ||
		warnings[1].Line != 3 {
		t.Errorf("warnings: %v", warnings)
	}
	if len(sol.Webservice.SecuritySchemes) != 2 {
		t.Errorf("webservice kept %+v", sol.Webservice)
	}
}

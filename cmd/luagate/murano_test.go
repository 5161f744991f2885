package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/luagate/luagate/internal/lgtesting"
)

// TestAMuranoProjectServesUnchanged serves testdata/murano, a project
// written as platform projects are, and drives it as its clients would.
func TestAMuranoProjectServesUnchanged(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir(), nil, "--project", "../../testdata/murano", "--rate-limit", "0")
	ann := s.dial("/api/subscribe")
	if got := ann.next(); got != "welcome" {
		t.Fatalf("greeting %q", got)
	}
	bob := s.dial("/api/subscribe")
	bob.next()
	for _, step := range []struct{ say, want string }{
		{`{"subscribe":"news"}`, `{"subscribed":"news"}`},
		{`{"subscribe":"news"}`, `{"already":"news"}`},
		{`{"subscribe":"sport"}`, `{"subscribed":"sport"}`},
		{`{"subscribe":"tv"}`, `{"subscribed":"tv"}`},
		{`{"subscribe":"radio"}`, `{"error":"too many topics"}`},
	} {
		ann.say(step.say)
		if got := ann.next(); got != step.want {
			t.Fatalf("%s: got %s, want %s", step.say, got, step.want)
		}
	}
	bob.say(`{"publish":"news","text":"hello"}`)
	if got := ann.next(); got != `{"text":"hello","topic":"news"}` {
		t.Fatalf("published: %s", got)
	}
	lgtesting.Eventually(t, "the init script's output and the assets warning", func() bool {
		log := s.log.String()
		return strings.Contains(log, "subscriptions ready: at most 3 topics per socket") && strings.Contains(log, "static assets: luagate serves none")
	})
	if status, _ := s.request("", http.MethodGet, "/excluded", ""); status != http.StatusNotFound {
		t.Errorf("an endpoint murano.yaml excludes answers %d", status)
	}
	out, errOut, code := runLuagate(t, nil, "check", "../../testdata/murano")
	if code != 0 || !strings.Contains(out, "1 endpoint, 2 modules, 1 event handler: no problems") || !strings.Contains(errOut, "warning: assets/: ignored: 1 file") {
		t.Errorf("check: exit %d %q %q", code, out, errOut)
	}
}

func TestDeployOfAMuranoProjectSendsItsEnvironmentOnce(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir(), nil)
	out := s.mustLuagate("deploy", "../../testdata/murano")
	for _, want := range []string{"+ endpoint /api/subscribe", "+ environment .env", "+ env_schema murano.yaml", "+ init.lua", "deployed\nran init.lua\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("first deploy printed %q, without %q", out, want)
		}
	}
	if out := s.mustLuagate("deploy", "../../testdata/murano"); out != "no changes\n" {
		t.Errorf("second deploy printed %q", out)
	}
	if _, sol := s.request(s.token(), http.MethodGet, "/api/v1/solution", ""); strings.Contains(sol, "welcome") {
		t.Errorf("the solution shows the environment's values: %s", sol)
	}
	ann := s.dial("/api/subscribe")
	if got := ann.next(); got != "welcome" {
		t.Errorf("greeting %q", got)
	}
}

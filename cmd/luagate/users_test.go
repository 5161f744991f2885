package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// userProject is a project whose sockets belong to the user named by their
// ?user= parameter, through a script check.
func userProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"endpoints/who.lua": "--#ENDPOINT WEBSOCKET /who\n--#SECURITY script auth.check\n" +
			"if websocketInfo.type == \"open\" then return \"hello \" .. websocketInfo.user_id end\n",
		"modules/auth.lua": "local M = {}\nfunction M.check(request) return {user_id = request.parameters.user} end\nreturn M\n",
	}
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestUserCommandsReachEveryOpenSocketOfTheUser(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir(), nil)
	s.mustLuagate("deploy", userProject(t))
	ann1, ann2, bob := s.dial("/who?user=ann"), s.dial("/who?user=ann"), s.dial("/who?user=bob")
	for _, c := range []*wsClient{ann1, ann2, bob} {
		c.next()
	}

	out := s.mustLuagate("sockets", "--user", "ann")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 || strings.Fields(lines[1])[2] != "ann" || strings.Fields(lines[2])[2] != "ann" {
		t.Fatalf("sockets --user ann printed:\n%s", out)
	}
	if out := s.mustLuagate("send", "--user", "ann", "for ann"); out != "sent to 2 sockets on ann\n" {
		t.Fatalf("send --user printed %q", out)
	}
	for _, c := range []*wsClient{ann1, ann2} {
		if got := c.next(); got != "for ann" {
			t.Fatalf("ann's socket got %q", got)
		}
	}
	if out := s.mustLuagate("send", "--user", "nobody", "x"); out != "sent to 0 sockets on nobody\n" {
		t.Fatalf("send to a user with no socket printed %q", out)
	}
	if out := s.mustLuagate("close", "--user", "ann"); out != "closed 2 sockets of ann\n" {
		t.Fatalf("close --user printed %q", out)
	}
	for _, c := range []*wsClient{ann1, ann2} {
		if code := c.closed(); code != 1000 {
			t.Fatalf("ann's socket closed with %d", code)
		}
	}
	bob.say("still here")
	if out := s.mustLuagate("sockets", "--user", "bob"); strings.Count(out, "\n") != 2 {
		t.Fatalf("bob's sockets after ann's close:\n%s", out)
	}
	if _, _, code := s.luagate("close", "--user", "ann", "--all"); code != 2 {
		t.Errorf("close with two targets: exit %d, want 2", code)
	}
	if _, _, code := s.luagate("send", "--user", "ann", "id", "msg"); code != 2 {
		t.Errorf("send --user with a socket id too: exit %d, want 2", code)
	}
}

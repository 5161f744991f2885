package main

import (
	"regexp"
	"strings"
	"testing"
)

func TestKeysCreateListAndRevoke(t *testing.T) {
	s := startServer(t, t.TempDir(), nil)
	s.deploy("/keyed", "--#ENDPOINT WEBSOCKET /keyed\n--#SECURITY apikey\nif websocketInfo.type == \"open\" then return \"hi \" .. websocketInfo.user_id end\n")
	out := s.mustLuagate("keys", "create", "--name", "phone app", "--user", "ann", "--expires", "24h")
	m := regexp.MustCompile(`created (key_[0-9a-f]+) \(phone app\)\nsecret: (lg_[A-Za-z0-9_-]{43})\n`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("keys create printed:\n%s", out)
	}
	id, secret := m[1], m[2]
	c := s.dial("/keyed?api_key=" + secret)
	if got := c.next(); got != "hi ann" {
		t.Fatalf("the key's socket got %q", got)
	}
	list := s.mustLuagate("keys", "list")
	if lines := strings.Split(strings.TrimSpace(list), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[1], id+" ") ||
		!strings.Contains(lines[1], "connect") || strings.Contains(list, secret) {
		t.Errorf("keys list printed:\n%s", list)
	}
	if out := s.mustLuagate("keys", "revoke", id); out != "revoked "+id+", closed 1 socket\n" {
		t.Errorf("keys revoke printed %q", out)
	}
	if code := c.closed(); code != 1008 {
		t.Errorf("the revoked key's socket closed with %d, want 1008", code)
	}
	if _, errOut, code := s.luagate("keys", "revoke", id); code != 1 || !strings.Contains(errOut, "no API key") {
		t.Errorf("revoking again: exit %d %q", code, errOut)
	}
	if _, _, code := s.luagate("keys", "rotate"); code != 2 {
		t.Errorf("an unknown keys command: exit %d, want 2", code)
	}
}

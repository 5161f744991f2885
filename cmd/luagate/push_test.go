package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"

	"github.com/luagate/luagate/internal/lgtesting"
)

// registerRecipient registers recipient and returns its token.
func registerRecipient(s *server, recipient string) string {
	s.t.Helper()
	status, body := s.request(s.token(), http.MethodPost, "/api/v1/solution/push/recipients", `{"recipient":"`+recipient+`"}`)
	if status != http.StatusCreated {
		s.t.Fatalf("register: %d %s", status, body)
	}
	var reg struct{ Token string }
	_ = json.Unmarshal([]byte(body), &reg)
	return reg.Token
}

// TestPushSurvivesKillRightAfterItsAnswer pushes to an offline recipient,
// kills the server with SIGKILL as soon as the push command has its 2xx,
// restarts it, and the recipient receives the message on connect.
func TestPushSurvivesKillRightAfterItsAnswer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir, nil)
	token := registerRecipient(s, "ola")
	out := s.mustLuagate("push", "ola", "survives", "--expires-in", "1h")
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.done
	id, _, _ := strings.Cut(out, "\t")
	if !strings.Contains(out, "PENDING") {
		t.Fatalf("push answered %q, want PENDING", out)
	}
	s = startServer(t, dir, nil)
	c := s.dial("/push?token=" + url.QueryEscape(token))
	f := c.nextJSON()
	if f["id"] != id || f["message"] != "survives" {
		t.Fatalf("after the restart the recipient got %v, want message %s", f, id)
	}
	lgtesting.Eventually(t, "the message listed DELIVERED", func() bool {
		out, _, _ := s.luagate("messages", "--recipient", "ola", "--status", "DELIVERED")
		return strings.Contains(out, id) && strings.Contains(out, `"survives"`)
	})
}

func TestPushCommandRefusesBadArguments(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir(), nil)
	if _, errOut, code := s.luagate("push", "only-recipient"); code != 2 || !strings.Contains(errOut, "missing arguments") {
		t.Fatalf("push without a message: exit %d %s", code, errOut)
	}
	if _, errOut, code := s.luagate("messages", "--status", "LOST"); code != 1 || !strings.Contains(errOut, "PENDING, DELIVERED") {
		t.Fatalf("messages --status LOST: exit %d %s", code, errOut)
	}
	if out := s.mustLuagate("push", "nobody", "gone"); !strings.Contains(out, "EXPIRED") {
		t.Fatalf("push without expiry to nobody: %q, want EXPIRED", out)
	}
	s2 := startServer(t, t.TempDir(), nil, "--push-max-pending", "1")
	s2.mustLuagate("push", "pat", "one", "--expires-in", "1h")
	if _, errOut, code := s2.luagate("push", "pat", "two", "--expires-in", "1h"); code != 1 || !strings.Contains(errOut, "recipient pat has 1 pending messages") {
		t.Fatalf("push past the cap: exit %d %s", code, errOut)
	}
}

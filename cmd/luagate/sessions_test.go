package main

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/luagate/luagate/internal/lgtesting"
)

// keyFor creates an API key of user and returns its secret.
func keyFor(s *server, user string) string {
	s.t.Helper()
	out := s.mustLuagate("keys", "create", "--name", user, "--user", user)
	_, rest, ok := strings.Cut(out, "secret: ")
	if !ok {
		s.t.Fatalf("keys create printed %q", out)
	}
	return strings.Fields(rest)[0]
}

// sessionRows runs "luagate sessions" with args and returns its rows
// without the header, each split into fields.
func sessionRows(s *server, args ...string) [][]string {
	s.t.Helper()
	lines := strings.Split(strings.TrimSpace(s.mustLuagate(append([]string{"sessions"}, args...)...)), "\n")
	if !strings.HasPrefix(lines[0], "ID ") {
		s.t.Fatalf("sessions printed %q", lines)
	}
	var rows [][]string
	for _, l := range lines[1:] {
		rows = append(rows, strings.Fields(l))
	}
	return rows
}

// TestKillKeepsClosedSessionsOlderThanASecond closes three of five
// sockets, waits a second, kills the server with SIGKILL and restarts it:
// the three closed sessions are there, with their users.
func TestKillKeepsClosedSessionsOlderThanASecond(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir, nil, "--default-security", "apikey")
	s.mustLuagate("deploy", example("echo"))
	ann, bob := keyFor(s, "ann"), keyFor(s, "bob")
	var closed []string
	for i, key := range []string{ann, ann, ann, bob, bob} {
		c, id := connectEcho(s, "?api_key="+key)
		if i == 0 || i == 1 || i == 3 {
			s.mustLuagate("close", id)
			if code := c.closed(); code != 1000 {
				t.Fatalf("closed with %d", code)
			}
			closed = append(closed, id)
		}
	}
	lgtesting.Eventually(t, "three closed sessions", func() bool { return len(sessionRows(s, "--closed")) == 3 })
	if rows := sessionRows(s, "--active", "--user", "bob"); len(rows) != 1 || rows[0][2] != "bob" || rows[0][3] != "active" {
		t.Fatalf("bob's open sessions: %q", rows)
	}
	// What the README promises: a kill loses at most the last second.
	time.Sleep(1100 * time.Millisecond)
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.done

	s = startServer(t, dir, nil, "--default-security", "apikey")
	rows := sessionRows(s, "--closed")
	if len(rows) != 3 {
		t.Fatalf("after the kill %d closed sessions, want 3: %q", len(rows), rows)
	}
	for _, r := range rows {
		if !strings.Contains(strings.Join(closed, " "), r[0]) || r[3] != "closed" || r[8] != "1000" {
			t.Errorf("row %q is not one of the closed sessions %v", r, closed)
		}
	}
	if rows := sessionRows(s, "--closed", "--user", "ann"); len(rows) != 2 || rows[0][2] != "ann" {
		t.Errorf("ann's closed sessions: %q", rows)
	}
	if rows := sessionRows(s, "--active"); len(rows) != 0 {
		t.Errorf("open sessions after a restart: %q", rows)
	}
	if rows := sessionRows(s, "--limit", "2"); len(rows) != 2 {
		t.Errorf("--limit 2 printed %d rows", len(rows))
	}
	if _, _, code := s.luagate("sessions", "--active", "--closed"); code != 2 {
		t.Errorf("--active with --closed: exit %d, want 2", code)
	}
}

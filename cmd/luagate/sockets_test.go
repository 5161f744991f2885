package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/luagate/luagate/internal/lgtesting"
)

// connectEcho opens a socket on the echo example and returns it with its id.
func connectEcho(s *server, query string) (*wsClient, string) {
	c := s.dial("/echo" + query)
	id, ok := strings.CutPrefix(c.next(), "connected to /echo as ")
	if !ok {
		s.t.Fatal("no greeting from /echo")
	}
	return c, id
}

func TestSocketsSendAndCloseOperateLiveSockets(t *testing.T) {
	s := startServer(t, t.TempDir(), nil)
	s.mustLuagate("deploy", example("echo"))
	ann, annID := connectEcho(s, "?user=ann")
	bob, bobID := connectEcho(s, "")
	ann.say("hi")
	ann.next()

	out := s.mustLuagate("sockets")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID ") || !strings.Contains(lines[0], " USER ") {
		t.Fatalf("sockets printed:\n%s", out)
	}
	// ID ROUTE USER PARAMETERS date time zone IN OUT
	zone, _ := time.Now().Zone()
	if f := strings.Fields(lines[1]); len(f) != 9 || f[0] != annID || f[1] != "/echo" || f[2] != "-" || f[3] != "user=ann" || f[6] != zone || f[7] != "1" || f[8] != "2" {
		t.Errorf("ann's row: %q", lines[1])
	}
	if f := strings.Fields(lines[2]); f[0] != bobID || f[3] != "-" {
		t.Errorf("bob's row: %q", lines[2])
	}
	var listed []map[string]any
	if err := json.Unmarshal([]byte(s.mustLuagate("sockets", "--json")), &listed); err != nil || len(listed) != 2 || listed[0]["socket_id"] != annID {
		t.Errorf("sockets --json: %v %v", err, listed)
	}

	s.mustLuagate("send", annID, "--", "-from the terminal")
	if got := ann.next(); got != "-from the terminal" {
		t.Fatalf("ann got %q", got)
	}
	s.mustLuagate("close", annID)
	if code := ann.closed(); code != 1000 {
		t.Fatalf("ann closed with %d", code)
	}
	if out := s.mustLuagate("close", "--all"); out != "closed 1 socket\n" {
		t.Fatalf("close --all printed %q", out)
	}
	if code := bob.closed(); code != 1000 {
		t.Fatalf("bob closed with %d", code)
	}
	lgtesting.Eventually(t, "no socket listed", func() bool {
		return s.mustLuagate("sockets") == "no open sockets\n"
	})
	if out := s.mustLuagate("sockets", "--json"); out != "[]\n" {
		t.Errorf("sockets --json with none printed %q", out)
	}

	if _, errOut, code := s.luagate("send", annID, "too late"); code != 1 || strings.Count(errOut, "\n") != 1 {
		t.Errorf("send to a closed socket: exit %d %q", code, errOut)
	}
	if _, _, code := s.luagate("close"); code != 2 {
		t.Errorf("close without an id: exit %d, want 2", code)
	}
}

func TestClientCommandFailuresAreOneClearLine(t *testing.T) {
	s := startServer(t, t.TempDir(), nil)
	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"unreachable server", []string{"LUAGATE_SERVER=http://127.0.0.1:1", "LUAGATE_ADMIN_TOKEN=x"},
			"luagate sockets: cannot reach luagate at http://127.0.0.1:1: connection refused\n"},
		{"rejected token", []string{"LUAGATE_SERVER=" + s.url(), "LUAGATE_ADMIN_TOKEN=wrong"},
			"luagate sockets: the server rejected the admin token: pass the right one with --admin-token or LUAGATE_ADMIN_TOKEN\n"},
		{"no token at all", []string{"LUAGATE_SERVER=" + s.url(), "LUAGATE_DATA_DIR=" + t.TempDir()},
			"luagate sockets: no admin token: pass --admin-token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runLuagate(t, tc.env, "sockets")
			if code != 1 || out != "" || !strings.HasPrefix(errOut, tc.want) || strings.Count(errOut, "\n") != 1 {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
		})
	}
}

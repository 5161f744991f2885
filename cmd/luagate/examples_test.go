package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDeployEchoExampleThenEchoes(t *testing.T) {
	s := startServer(t, t.TempDir(), nil)
	out := s.mustLuagate("deploy", example("echo"))
	if out != "+ endpoint /echo\ndeployed\n" {
		t.Fatalf("deploy printed %q", out)
	}
	c := s.dial("/echo")
	if got := c.next(); !strings.HasPrefix(got, "connected to /echo as ") {
		t.Fatalf("greeting %q", got)
	}
	c.say("hello")
	if got := c.next(); got != "hello" {
		t.Fatalf("echo %q", got)
	}
}

func TestDeployChatExampleBroadcastsToTheRoomOnly(t *testing.T) {
	s := startServer(t, t.TempDir(), nil)
	s.mustLuagate("deploy", example("chat"))

	ann := s.dial("/chat/lobby?user=ann")
	expectEvent(t, ann.nextJSON(), "join", "ann", "")
	bob := s.dial("/chat/lobby?user=bob")
	join := ann.nextJSON()
	expectEvent(t, join, "join", "bob", "")
	if join["online"] != 2.0 {
		t.Fatalf("online after bob joined: %v", join["online"])
	}
	expectEvent(t, bob.nextJSON(), "join", "bob", "")
	carl := s.dial("/chat/kitchen?user=carl")
	expectEvent(t, carl.nextJSON(), "join", "carl", "")

	bob.say("hi all")
	expectEvent(t, ann.nextJSON(), "message", "bob", "hi all")
	expectEvent(t, bob.nextJSON(), "message", "bob", "hi all")
	// Carl's next message is his own: nothing from the lobby reached him.
	carl.say("anyone?")
	expectEvent(t, carl.nextJSON(), "message", "carl", "anyone?")

	bob.conn.Close()
	leave := ann.nextJSON()
	expectEvent(t, leave, "leave", "bob", "")
	// Bob has left the room's group before his close event announces it.
	if leave["online"] != 1.0 {
		t.Fatalf("online after bob left: %v", leave["online"])
	}
}

// expectEvent checks a chat message.
func expectEvent(t *testing.T, got map[string]any, event, user, text string) {
	t.Helper()
	if got["event"] != event || got["user"] != user || (text != "" && got["text"] != text) {
		t.Fatalf("got %v, want event %q from %q with text %q", got, event, user, text)
	}
}

func TestDeployRouterExampleRoutesByAction(t *testing.T) {
	s := startServer(t, t.TempDir(), nil)
	s.mustLuagate("deploy", example("router"))
	c := s.dial("/router")
	if got := c.nextJSON(); got["event"] != "connected" || got["socket_id"] == "" {
		t.Fatalf("connect route answered %v", got)
	}
	for _, tc := range []struct{ send, want string }{
		{`{"action":"echo","data":"ping"}`, `{"action":"echo","data":"ping"}`},
		{`{"action":"sum","numbers":[1,2,3.5]}`, `{"action":"sum","result":6.5}`},
		{`{"action":"launch"}`, `{"action":"launch","error":"no route for this message"}`},
		{`not json`, `{"error":"no route for this message"}`},
	} {
		c.say(tc.send)
		if got := c.next(); got != tc.want {
			t.Errorf("sent %s: got %s, want %s", tc.send, got, tc.want)
		}
	}
}

func TestDeployTasksExampleRoutesByModuleAndPullKeepsItsConfig(t *testing.T) {
	s := startServer(t, t.TempDir(), nil)
	out := s.mustLuagate("deploy", example("tasks"))
	if !strings.Contains(out, "+ config services/websocket.yaml\n") {
		t.Fatalf("deploy printed %q", out)
	}
	c := s.dial("/tasks")
	if got := c.nextJSON(); got["type"] != "welcome" || got["rate_limit"] != 100.0 {
		t.Fatalf("connect route answered %v", got)
	}
	for _, tc := range []struct{ send, want string }{
		{`{"module":"task_engine","task":"build"}`, `{"module":"task_engine","task":"build","type":"started"}`},
		{`{"module":"db_engine","query":"count"}`, `{"module":"db_engine","query":"count","rows":0,"type":"result"}`},
		{`{"module":"mail"}`, `{"error":"no module mail","modules":["task_engine","db_engine"],"type":"error"}`},
		{`not json`, `{"error":"no module nil","modules":["task_engine","db_engine"],"type":"error"}`},
	} {
		c.say(tc.send)
		if got := c.next(); got != tc.want {
			t.Errorf("sent %s: got %s, want %s", tc.send, got, tc.want)
		}
	}

	dir := t.TempDir()
	s.mustLuagate("pull", dir)
	b, err := os.ReadFile(filepath.Join(dir, "services", "websocket.yaml"))
	if err != nil || !strings.Contains(string(b), "rate_limit: standard") || !strings.Contains(string(b), "error_code: 4429") {
		t.Fatalf("pulled services/websocket.yaml: %v\n%s", err, b)
	}
	if out := s.mustLuagate("deploy", dir); out != "no changes\n" {
		t.Fatalf("deploy after pull printed %q", out)
	}
}

// TestExamplesAreFilesIdenticalToTheScaffold keeps the echo and chat
// examples, which the README runs, the same as what "luagate init" writes.
// They are copies, not symlinks: a Windows checkout or an editor that saves
// by rename breaks a symlink.
func TestExamplesAreFilesIdenticalToTheScaffold(t *testing.T) {
	t.Parallel()
	for _, f := range []struct{ example, scaffold string }{
		{"echo/endpoints/echo.lua", "endpoints/echo.lua"},
		{"chat/endpoints/chat.lua", "endpoints/chat.lua"},
		{"chat/modules/chat/rooms.lua", "modules/chat/rooms.lua"},
	} {
		path := filepath.Join("..", "..", "testdata", "examples", filepath.FromSlash(f.example))
		info, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		if !info.Mode().IsRegular() {
			t.Errorf("%s is not a regular file (%s)", path, info.Mode())
			continue
		}
		got, _ := os.ReadFile(path)
		want, err := scaffold.ReadFile("scaffold/" + f.scaffold)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from the init scaffold's %s: copy cmd/luagate/scaffold/%s over it", path, f.scaffold, f.scaffold)
		}
	}
}

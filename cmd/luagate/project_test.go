package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/luagate/luagate/internal/lgtesting"
)

func TestPullThenDeployChangesNothing(t *testing.T) {
	s := startServer(t, t.TempDir(), nil)
	// The router holds every kind of script: endpoint, module, handler.
	s.mustLuagate("deploy", example("router"))
	deploys := s.waitDeploys(1)

	dir := t.TempDir()
	if out := s.mustLuagate("pull", dir); !strings.Contains(out, "pulled 1 endpoint, 1 module and 1 event handler") {
		t.Fatalf("pull printed %q", out)
	}
	if out := s.mustLuagate("deploy", dir); out != "no changes\n" {
		t.Fatalf("deploy after pull printed %q", out)
	}
	if s.deployCount() != deploys {
		t.Fatal("deploy after pull stored a new revision")
	}
}

func TestDeployDryRunPrintsTheChangesAndDeploysNothing(t *testing.T) {
	s := startServer(t, t.TempDir(), nil)
	s.mustLuagate("deploy", example("echo"))
	out := s.mustLuagate("deploy", example("chat"), "--dry-run")
	want := "+ endpoint /chat/{room}\n+ module chat.rooms\n- endpoint /echo\ndry run: nothing deployed\n"
	if out != want {
		t.Fatalf("dry run printed:\n%s\nwant:\n%s", out, want)
	}
	if _, sol := s.request(s.token(), http.MethodGet, "/api/v1/solution", ""); strings.Contains(sol, "/chat") || !strings.Contains(sol, "/echo") {
		t.Fatalf("dry run deployed: %s", sol)
	}
	s.dial("/echo").next()
}

func TestDeployOfAProjectWithErrorsListsThemAllAndDeploysNothing(t *testing.T) {
	s := startServer(t, t.TempDir(), nil)
	s.mustLuagate("deploy", example("echo"))
	deploys := s.waitDeploys(1)
	dir := copyProject(t, "echo")
	broken := "--#ENDPOINT WEBSOCKET /a\nreturn 1\n--#ENDPOINT TRACE /b\nreturn 2\n--#ENDPOINT WEBSOCKET /c\nlocal = 1\n"
	if err := os.WriteFile(filepath.Join(dir, "endpoints", "more.lua"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := s.luagate("deploy", dir)
	if code != 1 || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	for _, want := range []string{
		"endpoints/more.lua:3: method TRACE is not supported",
		"endpoints/more.lua:6: syntax error",
		"2 problems in " + dir + "; nothing deployed",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if s.deployCount() != deploys {
		t.Fatal("a project with errors was deployed")
	}
}

func TestInitCreatesAProjectThatDeploysAndWorks(t *testing.T) {
	s := startServer(t, t.TempDir(), nil)
	dir := filepath.Join(t.TempDir(), "app")
	out, errOut, code := runLuagate(t, nil, "init", dir)
	if code != 0 || !strings.Contains(out, "luagate serve --project "+dir+" --watch") {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	for _, f := range []string{"README.md", "endpoints/echo.lua", "endpoints/chat.lua", "modules/chat/rooms.lua"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("init did not write %s", f)
		}
	}
	s.mustLuagate("deploy", dir)
	s.dial("/echo").next()
	ann := s.dial("/chat/lobby?user=ann")
	expectEvent(t, ann.nextJSON(), "join", "ann", "")

	if _, errOut, code := runLuagate(t, nil, "init", dir); code != 1 || !strings.Contains(errOut, "already holds a project") {
		t.Fatalf("second init: exit %d %s", code, errOut)
	}
}

func TestServeWatchRedeploysOnSaveWithoutDroppingConnections(t *testing.T) {
	dir := copyProject(t, "echo")
	s := startServer(t, t.TempDir(), nil, "--project", dir, "--watch", "--rate-limit", "0")
	c := s.dial("/echo")
	c.next()
	c.say("one")
	if got := c.next(); got != "one" {
		t.Fatalf("before the edit: %q", got)
	}

	file := filepath.Join(dir, "endpoints", "echo.lua")
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(src), "websocketInfo.send(websocketInfo.message, websocketInfo.message_type)",
		`websocketInfo.send("v2 " .. websocketInfo.message)`, 1)
	if err := os.WriteFile(file, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	// The same connection sees the new script once the watcher has
	// redeployed.
	lgtesting.Eventually(t, "the edited script to answer", func() bool {
		c.say("two")
		return c.next() == "v2 two"
	})

	// A broken save is logged with its file and line, and the last good
	// revision keeps answering.
	if err := os.WriteFile(file, []byte(edited+"if then\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lgtesting.Eventually(t, "the broken save to be logged", func() bool {
		return strings.Contains(s.log.String(), "problem=\"endpoints/echo.lua:9: syntax error")
	})
	c.say("three")
	if got := c.next(); got != "v2 three" {
		t.Fatalf("after a broken save: %q", got)
	}
}

func TestServeRefusesToStartWithABrokenProject(t *testing.T) {
	dir := copyProject(t, "echo")
	if err := os.WriteFile(filepath.Join(dir, "endpoints", "bad.lua"), []byte("--#ENDPOINT TRACE /form\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runLuagate(t, nil, "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--project", dir)
	if code != 1 || !strings.Contains(errOut, "endpoints/bad.lua:1: method TRACE is not supported") {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
}

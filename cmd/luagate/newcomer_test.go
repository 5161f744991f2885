package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/luagate/luagate/internal/lgtesting"
)

func TestHelpGoesToStdoutAndVersionPrints(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, nil, "serve", "--help")
	if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "Usage: luagate serve") {
		t.Errorf("serve --help: exit %d, stdout starts %.40q, stderr %q", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, nil, "init", "--help")
	if code != 0 || strings.Contains(stdout, "Flags") {
		t.Errorf("init --help, a command without flags, printed a Flags heading:\n%s", stdout)
	}
	code, stdout, _ = runCLI(t, nil, "--version")
	if code != 0 || !strings.HasPrefix(stdout, "luagate ") || strings.Count(stdout, "\n") != 1 {
		t.Errorf("--version: exit %d, %q", code, stdout)
	}
	_, stdout, _ = runCLI(t, nil, "--help")
	if !strings.Contains(stdout, `"luagate serve --help" the`) {
		t.Errorf("luagate --help does not say where the server's flags are:\n%s", stdout)
	}
	// A bad flag is an error, and its usage goes with it to stderr.
	code, stdout, stderr = runCLI(t, nil, "serve", "--no-such-flag")
	if code != 2 || stdout != "" || !strings.Contains(stderr, "Usage: luagate serve") {
		t.Errorf("serve --no-such-flag: exit %d, stdout %q", code, stdout)
	}
}

func TestServeWithADirectoryHintsAtProject(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, _, stderr := runCLI(t, nil, "serve", dir)
	if code != 2 || !strings.Contains(stderr, "luagate serve: unexpected argument") || !strings.Contains(stderr, "luagate serve --project "+dir) {
		t.Errorf("serve DIR: exit %d, %q", code, stderr)
	}
}

func TestServeProjectListensOnLoopbackByDefault(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ given, project, want string }{
		{"", "app", "127.0.0.1:8080"},
		{"", "", ":8080"},
		{":9000", "app", ":9000"},
	} {
		if got := listenAddr(tc.given, tc.project); got != tc.want {
			t.Errorf("listenAddr(%q, %q) = %q, want %q", tc.given, tc.project, got, tc.want)
		}
	}
}

func TestActionFlagsAreNotReadFromTheEnvironment(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir(), nil)
	s.mustLuagate("deploy", example("echo"))
	c, _ := connectEcho(s, "")
	env := []string{"LUAGATE_SERVER=" + s.url(), "LUAGATE_ADMIN_TOKEN=" + s.token(), "LUAGATE_ALL=1"}
	out, errOut, code := runLuagate(t, env, "close")
	if code != 2 || !strings.HasPrefix(errOut, "luagate close: give one of") {
		t.Fatalf("LUAGATE_ALL=1 luagate close: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	c.say("still here")
	if got := c.next(); got != "still here" {
		t.Fatalf("the socket answered %q", got)
	}
	help, _, _ := runLuagate(t, nil, "close", "--help")
	if !strings.Contains(help, "--all (command line only)") {
		t.Errorf("close --help does not say --all is for the command line only:\n%s", help)
	}
	if help, _, _ := runLuagate(t, nil, "deploy", "--help"); !strings.Contains(help, "--yes (command line only)") || !strings.Contains(help, "--dry-run (command line only)") {
		t.Errorf("deploy --help:\n%s", help)
	}
}

func TestDeployAndPullRefuseADirectoryThatIsNotAProject(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir(), nil)
	s.mustLuagate("deploy", example("echo"))
	deploys := s.waitDeploys(1)
	goRepo := t.TempDir()
	_ = os.MkdirAll(filepath.Join(goRepo, "endpoints"), 0o755)
	_ = os.WriteFile(filepath.Join(goRepo, "endpoints", "server.go"), []byte("package endpoints\n"), 0o644)
	_ = os.WriteFile(filepath.Join(goRepo, "go.mod"), []byte("module x\n"), 0o644)

	out, errOut, code := s.luagate("deploy", goRepo)
	if code != 1 || out != "" || !strings.Contains(errOut, "is not a luagate project") {
		t.Fatalf("deploy of a Go repository: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	_, errOut, code = s.luagate("pull", goRepo)
	if code != 1 || !strings.Contains(errOut, "not a luagate project") {
		t.Fatalf("pull into a Go repository: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(goRepo, "endpoints", "echo.lua")); err == nil {
		t.Fatal("pull wrote into the Go repository")
	}
	if s.deployCount() != deploys {
		t.Fatal("a refused deploy stored a revision")
	}
	s.dial("/echo").next()
	if out := s.mustLuagate("pull", filepath.Join(t.TempDir(), "new")); !strings.Contains(out, "pulled 1 endpoint, 0 modules and 0 event handlers") {
		t.Errorf("pull into a new directory printed %q", out)
	}
}

func TestDeployThatRemovesMostEndpointsNeedsYes(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir(), nil)
	s.mustLuagate("deploy", example("echo"))
	deploys := s.waitDeploys(1)
	out, errOut, code := s.luagate("deploy", example("router"))
	if code != 1 || !strings.Contains(errOut, "removes every endpoint (1)") || !strings.Contains(errOut, "--yes") || strings.Contains(out, "deployed") {
		t.Fatalf("deploy removing every endpoint: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if s.deployCount() != deploys {
		t.Fatal("the refused deploy stored a revision")
	}
	if out := s.mustLuagate("deploy", example("chat"), "--yes"); !strings.HasSuffix(out, "deployed\n") {
		t.Fatalf("deploy --yes printed %q", out)
	}
	// Adding to what is there, or removing less than half, needs nothing.
	dir := copyProject(t, "chat")
	for _, name := range []string{"a", "b"} {
		src := "--#ENDPOINT WEBSOCKET /" + name + "\nreturn nil\n"
		_ = os.WriteFile(filepath.Join(dir, "endpoints", name+".lua"), []byte(src), 0o644)
	}
	s.mustLuagate("deploy", dir)
	_ = os.Remove(filepath.Join(dir, "endpoints", "a.lua"))
	if out := s.mustLuagate("deploy", dir); !strings.Contains(out, "- endpoint /a\ndeployed\n") {
		t.Fatalf("removing 1 of 3 endpoints printed %q", out)
	}
	if _, sol := s.request(s.token(), http.MethodGet, "/api/v1/solution", ""); !strings.Contains(sol, `"/b"`) {
		t.Fatalf("solution after the deploys: %s", sol)
	}
}

func TestClientErrorsAndCountsReadRight(t *testing.T) {
	t.Parallel()
	_, errOut, code := runLuagate(t, nil, "send", "only-an-id")
	if code != 2 || !strings.HasPrefix(errOut, "luagate send: missing arguments") {
		t.Errorf("send without a message: exit %d, %q", code, errOut)
	}
	_, errOut, code = runLuagate(t, nil, "send", "a", "b", "c")
	if code != 2 || !strings.HasPrefix(errOut, `luagate send: unexpected argument "c"`) {
		t.Errorf("send with an extra argument: exit %d, %q", code, errOut)
	}
	s := startServer(t, t.TempDir(), nil)
	dir := copyProject(t, "echo")
	_ = os.WriteFile(filepath.Join(dir, "endpoints", "bad.lua"), []byte("--#ENDPOINT WEBSOCKET /bad\nlocal = 1\n"), 0o644)
	if _, errOut, _ := s.luagate("deploy", dir); !strings.Contains(errOut, "1 problem in ") {
		t.Errorf("one problem is not counted as %q:\n%s", "1 problem", errOut)
	}
}

func TestStartLogNamesEndpointsAndRevisionAndWatchNamesChangedFiles(t *testing.T) {
	t.Parallel()
	dir := copyProject(t, "chat")
	s := startServer(t, t.TempDir(), nil, "--project", dir, "--watch", "--log-level", "debug")
	for _, want := range []string{
		`msg="solution loaded" revision=1 endpoints=1`,
		`msg=endpoint path=/chat/{room} try=ws://` + s.addr + `/chat/room`,
	} {
		// Logged right after the listening line startServer waits for.
		lgtesting.Eventually(t, "the start log line "+want, func() bool { return strings.Contains(s.log.String(), want) })
	}
	c := s.dial("/chat/lobby?user=ann")
	c.next()
	lgtesting.Eventually(t, "a debug line for the connect", func() bool {
		return strings.Contains(s.log.String(), `level=DEBUG msg="socket connected"`)
	})
	c.conn.Close()
	lgtesting.Eventually(t, "a debug line for the disconnect", func() bool {
		return strings.Contains(s.log.String(), `level=DEBUG msg="socket disconnected"`)
	})
	f := filepath.Join(dir, "modules", "chat", "rooms.lua")
	b, _ := os.ReadFile(f)
	_ = os.WriteFile(f, append(b, "\n-- edited\n"...), 0o644)
	lgtesting.Eventually(t, "the redeploy naming the file", func() bool {
		return strings.Contains(s.log.String(), `msg="project changed; redeploying" files=modules/chat/rooms.lua`)
	})
}

// TestREADMEAndInitUseOneCommandForm: the README says how to get a luagate
// command and then runs it as "luagate", as init's hints do.
func TestREADMEAndInitUseOneCommandForm(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	if !strings.Contains(readme, "go install ./cmd/luagate") || !strings.Contains(readme, "go build -o bin/luagate ./cmd/luagate") {
		t.Error("README does not say how to get the luagate command")
	}
	if strings.Contains(readme, "go run ./cmd/luagate ") {
		t.Error("README runs luagate as go run ./cmd/luagate as well as luagate")
	}
	dir := filepath.Join(t.TempDir(), "app")
	code, out, _ := runCLI(t, nil, "init", dir)
	if code != 0 || !strings.Contains(out, "\n  luagate serve --project "+dir+" --watch\n") {
		t.Errorf("init's hints: %q", out)
	}
	scaffoldReadme, _ := scaffold.ReadFile("scaffold/README.md")
	if strings.Contains(string(scaffoldReadme), "go run") {
		t.Error("the scaffold's README uses go run")
	}
}

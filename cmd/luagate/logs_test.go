package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/luagate/luagate/internal/lgtesting"
)

// TestLogsFollowsTheScriptLog follows "luagate logs -f" while a script
// prints, on a server whose own log leaves print lines out.
func TestLogsFollowsTheScriptLog(t *testing.T) {
	t.Parallel()
	project := t.TempDir()
	if err := os.MkdirAll(filepath.Join(project, "endpoints"), 0o755); err != nil {
		t.Fatal(err)
	}
	script := "--#ENDPOINT WEBSOCKET /hello\nif websocketInfo.type == \"open\" then print(\"hello from the script\") end\n"
	if err := os.WriteFile(filepath.Join(project, "endpoints", "hello.lua"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, t.TempDir(), nil, "--log-scripts-to-stderr=false", "--log-level", "debug")
	s.mustLuagate("deploy", project)

	follow := exec.Command(binary, "logs", "-f")
	follow.Env = environ("LUAGATE_SERVER="+s.url(), "LUAGATE_DATA_DIR="+s.dataDir)
	out, err := follow.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = follow.Process.Kill(); _ = follow.Wait() })
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	expect := func(want string) string {
		t.Helper()
		timeout := time.After(lgtesting.WaitLimit)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("logs -f ended before a line with %q", want)
				}
				if strings.Contains(l, want) {
					return l
				}
			case <-timeout:
				t.Fatalf("no line with %q", want)
			}
		}
	}
	if l := expect(" deploy ok "); !strings.Contains(l, "revision 1: 1 endpoints") {
		t.Errorf("deploy line: %s", l)
	}
	s.dial("/hello")
	l := expect("hello from the script")
	if _, err := time.Parse(time.RFC3339, strings.Fields(l)[0]); err != nil || !strings.Contains(l, " /hello ") || !strings.Contains(l, " open ok ") {
		t.Errorf("line %q: want the time first, the route, the event and its status", l)
	}
	if err := follow.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := follow.Wait(); err != nil {
		t.Errorf("logs -f after SIGINT: %v", err)
	}

	if got := s.mustLuagate("logs", "--errors"); got != "" {
		t.Errorf("logs --errors printed %q with no failure", got)
	}
	if got := s.mustLuagate("logs", "--route", "/hello"); strings.Count(got, "\n") != 1 || !strings.Contains(got, "hello from the script") {
		t.Errorf("logs --route /hello printed %q", got)
	}
	if log := s.log.String(); strings.Contains(log, "hello from the script") {
		t.Errorf("print lines in the server log with --log-scripts-to-stderr=false: %s", log)
	}
}

func TestServeRefusesAnUnknownLogFormat(t *testing.T) {
	t.Parallel()
	_, stderr, code := runLuagate(t, nil, "serve", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0", "--log-format", "yaml")
	if code != 1 || !strings.Contains(stderr, `log format "yaml": text or json`) {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

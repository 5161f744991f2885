package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/luagate/luagate/internal/lgtesting"
)

func TestCheckValidatesAProjectWithoutAServer(t *testing.T) {
	t.Parallel()
	dir := copyProject(t, "chat")
	out, errOut, code := runLuagate(t, nil, "check", dir)
	if code != 0 || !strings.Contains(out, "1 endpoint, 1 module, 0 event handlers: no problems") {
		t.Fatalf("check of a good project: exit %d, %q %q", code, out, errOut)
	}
	bad := "--#ENDPOINT WEBSOCKET /b\nlocal = 1\n"
	if err := os.WriteFile(filepath.Join(dir, "endpoints", "bad.lua"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "murano.yaml"), []byte("env_schema:\n  properties:\n    PORT: {type: integer}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("PORT=eighty\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runLuagate(t, nil, "check", dir)
	if code != 1 || out != "" || !strings.Contains(errOut, "endpoints/bad.lua:2: syntax error") || !strings.Contains(errOut, `.env: PORT="eighty" is not an integer`) {
		t.Fatalf("check of a broken project: exit %d, %q %q", code, out, errOut)
	}
}

func TestServeProjectNamesTheProjectFileAndLineOfRunTimeErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		"endpoints/boom.lua": "--#ENDPOINT WEBSOCKET /fine\nreturn nil\n--#ENDPOINT WEBSOCKET /boom\nif websocketInfo.type == \"data\" then\n  explode(websocketInfo.message)\nend\n",
		"modules/util.lua":   "function explode(why)\n  error(\"exploded: \" .. why)\nend\n",
	}
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := startServer(t, t.TempDir(), nil, "--project", dir, "--rate-limit", "0")
	c := s.dial("/boom")
	c.say("now")
	lgtesting.Eventually(t, "the script failure to be logged", func() bool {
		return strings.Contains(s.log.String(), `error="modules/util.lua:2: exploded: now"`)
	})
	log := s.log.String()
	if strings.Contains(log, `traceback=`) || !strings.Contains(log, "\n\tmodules/util.lua:2: in ") || !strings.Contains(log, "\n\tendpoints/boom.lua:5: in ") {
		t.Errorf("the traceback is not on lines of its own, at the project's files:\n%s", log)
	}
}

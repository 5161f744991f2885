package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckValidatesAProjectWithoutAServer(t *testing.T) {
	t.Parallel()
	dir := copyProject(t, "chat")
	out, errOut, code := runLuagate(t, nil, "check", dir)
	if code != 0 || !strings.Contains(out, "1 endpoints, 1 modules, 0 event handlers: no problems") {
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

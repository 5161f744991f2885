package scripts

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// writeFiles creates a project from relative names and contents.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReadProjectReadsTheMuranoLayout(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"README.md":                  "not part of the solution",
		"endpoints/api/rooms.lua":    "--#ENDPOINT WEBSOCKET /a\nreturn 1\n--#ENDPOINT WEBSOCKET /b/{id}\nreturn 2\n",
		"endpoints/echo.lua":         "--#ENDPOINT WEBSOCKET /echo\nreturn websocketInfo.message\n",
		"endpoints/notes.txt":        "ignored",
		"endpoints/.draft.lua":       "hidden, so not read",
		"modules/src/utils.lua":      "return {}\n",
		"services/router.lua":        "--#EVENT websocket websocket_info\nfunction handle_websocket_websocket_info() end\n",
		"services/timer_timer.lua":   "-- another service\n",
		"services/.editor/state.lua": "hidden",
	})
	sol, warnings, err := ReadProject(dir)
	if err != nil {
		t.Fatal(err)
	}
	if paths, want := endpointPaths(sol), []string{"/a", "/b/{id}", "/echo"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("endpoints %q, want %q", paths, want)
	}
	if _, ok := sol.Modules["src.utils"]; !ok || len(sol.Modules) != 1 {
		t.Errorf("modules %v, want src.utils", sol.Modules)
	}
	if !strings.HasPrefix(sol.EventHandlers[EventHandlerWebsocketInfo], "--#EVENT websocket websocket_info") {
		t.Errorf("event handler %q", sol.EventHandlers[EventHandlerWebsocketInfo])
	}
	want := "endpoints/notes.txt: ignored: not a .lua file\n" +
		"services/timer_timer.lua: ignored: the only service luagate runs is the websocket_info event handler (services/websocket_websocket_info.lua)"
	if warnings.Error() != want {
		t.Errorf("warnings:\n%s\nwant:\n%s", warnings, want)
	}
}

func TestReadProjectReportsEveryProblemAsFileAndLine(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"endpoints/a.lua":                       "--#ENDPOINT WEBSOCKET /ok\nreturn 1\n\n--#ENDPOINT WEBSOCKET /broken\nlocal x =\nif then\n",
		"endpoints/b.lua":                       "-- b\n--#ENDPOINT TRACE /form\nreturn 1\n--#ENDPOINT WEBSOCKET /ok\nreturn 2\n",
		"modules/m.lua":                         "return {\n",
		"services/websocket_websocket_info.lua": "-- one\n",
		"services/second.lua":                   "--#EVENT websocket websocket_info\n",
	})
	_, _, err := ReadProject(dir)
	want := []string{
		"endpoints/a.lua:6: syntax error near 'if'",
		"endpoints/b.lua:2: method TRACE is not supported: the methods are WEBSOCKET, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS",
		"endpoints/b.lua:4: endpoint /ok is declared twice: also at endpoints/a.lua:1",
		"modules/m.lua:2: syntax error at end of script",
		"services/websocket_websocket_info.lua:1: a second websocket_info event handler: the first is services/second.lua",
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
}

func TestReadProjectRefusesADirectoryThatIsNoProject(t *testing.T) {
	dir := writeFiles(t, map[string]string{"notes.txt": "hello"})
	if _, _, err := ReadProject(dir); err == nil || !strings.Contains(err.Error(), "not a luagate project") {
		t.Fatalf("err = %v", err)
	}
}

func TestEveryExampleProjectReadsCleanly(t *testing.T) {
	dirs, err := filepath.Glob("../testdata/examples/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, dir := range dirs {
		if _, warnings, err := ReadProject(dir); err != nil || len(warnings) > 0 {
			t.Errorf("%s: problems %v, warnings %v", dir, err, warnings)
		}
	}
}

func TestWriteProjectThenReadProjectGivesTheSameSolution(t *testing.T) {
	src := writeFiles(t, map[string]string{
		"endpoints/all.lua":                     "-- a file of two\n--#ENDPOINT WEBSOCKET /chat/{room}\nreturn 1\n\n--#ENDPOINT WEBSOCKET /\r\nreturn 2\r\n",
		"modules/src/utils.lua":                 "return {}\r\n",
		"services/websocket_websocket_info.lua": "function handle_websocket_websocket_info() end",
	})
	sol, _, err := ReadProject(src)
	if err != nil {
		t.Fatal(err)
	}
	// A stale file of an earlier pull must not survive the next one.
	out := writeFiles(t, map[string]string{"endpoints/old.lua": "--#ENDPOINT WEBSOCKET /old\n", "README.md": "kept"})
	if err := WriteProject(out, sol); err != nil {
		t.Fatal(err)
	}
	again, warnings, err := ReadProject(out)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("problems %v, warnings %v", err, warnings)
	}
	if d := DiffSolutions(sol, again); !d.Empty() {
		t.Fatalf("round trip changed:\n%s", d)
	}
	for _, name := range []string{"endpoints/chat_room.lua", "endpoints/root.lua", "modules/src/utils.lua", HandlerFile, "README.md"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("expected %s: %v", name, err)
		}
	}
}

func TestWriteProjectGivesAHeaderToAScriptDeployedWithout(t *testing.T) {
	dir := t.TempDir()
	sol := Solution{Endpoints: []*Endpoint{{Path: "/plain", Script: "return 1\n"}}}
	if err := WriteProject(dir, sol); err != nil {
		t.Fatal(err)
	}
	got, _, err := ReadProject(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := "--#ENDPOINT WEBSOCKET /plain\nreturn 1\n"; len(got.Endpoints) != 1 || got.Endpoints[0].Script != want {
		t.Fatalf("endpoints %+v, want one with script %q", got.Endpoints, want)
	}
}

func TestDiffSolutionsNamesAddedChangedAndRemovedScripts(t *testing.T) {
	from := Solution{
		Endpoints: []*Endpoint{{Path: "/a", Script: "1"}, {Path: "/b", Script: "1"}},
		Modules:   map[string]string{"m": "1"},
	}
	to := Solution{
		Endpoints:     []*Endpoint{{Path: "/a", Script: "2"}, {Path: "/c", Script: "1"}},
		Modules:       map[string]string{"m": "1"},
		EventHandlers: map[string]string{"websocket_info": "1"},
	}
	want := "+ endpoint /c\n+ event handler websocket_info\n~ endpoint /a\n- endpoint /b\n"
	if got := DiffSolutions(from, to).String(); got != want {
		t.Fatalf("diff:\n%s\nwant:\n%s", got, want)
	}
	if got := DiffSolutions(to, to).String(); got != "no changes\n" {
		t.Fatalf("diff of equal solutions: %q", got)
	}
}

func TestWatchCallsOnChangeWhenAFileChanges(t *testing.T) {
	dir := writeFiles(t, map[string]string{"endpoints/a.lua": "--#ENDPOINT WEBSOCKET /a\n"})
	w := NewWatcher(dir)
	ctx, cancel := context.WithCancel(context.Background())
	var changes atomic.Int32
	var named atomic.Value
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx, 5*time.Millisecond, func(changed []string) {
			named.Store(strings.Join(changed, ","))
			changes.Add(1)
		})
	}()
	defer func() { cancel(); <-done }()
	// Same size and, on a coarse clock, the same modification time: only
	// the content differs.
	if err := os.WriteFile(filepath.Join(dir, "endpoints/a.lua"), []byte("--#ENDPOINT WEBSOCKET /b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for changes.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no change seen")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := named.Load(); got != "endpoints/a.lua" {
		t.Errorf("changed files %q, want endpoints/a.lua", got)
	}
}

func TestReadProjectLocatesTooDeepSyntaxInItsFile(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{
		"endpoints/chat.lua": "-- chat\n--#ENDPOINT WEBSOCKET /a\nreturn 1\n--#ENDPOINT WEBSOCKET /b\nlocal x = 1\nreturn x" + strings.Repeat(" .. x", 300) + "\n",
		"modules/deep.lua":   "local t =\n" + strings.Repeat("{", 300) + strings.Repeat("}", 300) + "\n",
	})
	_, _, err := ReadProject(dir)
	got := ""
	if err != nil {
		got = err.Error()
	}
	for _, want := range []string{
		"endpoints/chat.lua:6: more than 200 operators in one expression",
		"modules/deep.lua:2: brackets and blocks are nested more than 200 levels deep",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("ReadProject error %q does not say %q", got, want)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/luagate/luagate/internal/lgtesting"
)

// These tests run the built binary, as a user or a service manager would.

// binary is the luagate binary TestMain builds once for every test.
var binary string

// Time limits of the tests; each wait fails the test when it runs out.
const (
	startTimeout = 10 * time.Second // from exec to the "listening" line
	cliTimeout   = 10 * time.Second // a command expected to exit by itself
	ioTimeout    = 5 * time.Second  // one HTTP request or WebSocket read
)

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "luagate-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "luagate")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "build luagate: %v\n", err)
		return 1
	}
	return m.Run()
}

// environ is the test's environment without any LUAGATE_ variable, so the
// caller's shell cannot change what a test proves, plus extra.
func environ(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LUAGATE_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// syncBuffer collects a process's output and wakes waiters on each write.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{changed: make(chan struct{}, 1)} }

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	n, err := s.b.Write(p)
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
	return n, err
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runCLI runs the binary to completion and returns its exit code and output.
func runCLI(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = environ(env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("luagate %s did not exit within %s\nstderr:\n%s", strings.Join(args, " "), cliTimeout, errOut.String())
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("run luagate %s: %v", strings.Join(args, " "), err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// server is one running "luagate serve" process.
type server struct {
	t       *testing.T
	cmd     *exec.Cmd
	addr    string // host:port it listens on
	dataDir string
	log     *syncBuffer // everything it wrote to stderr
	done    chan struct{}
}

var listeningLine = regexp.MustCompile(`msg="luagate listening" addr=(127\.0\.0\.1:\d+)`)

// startServer starts "luagate serve" on 127.0.0.1:0 and dataDir with the
// extra environment and arguments, waits until it listens, and kills it
// when the test ends if it is still running.
func startServer(t *testing.T, dataDir string, env []string, args ...string) *server {
	t.Helper()
	args = append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir}, args...)
	s := &server{t: t, dataDir: dataDir, log: newSyncBuffer(), done: make(chan struct{})}
	s.cmd = exec.Command(binary, args...)
	s.cmd.Env = environ(env...)
	s.cmd.Stderr = s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start luagate: %v", err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = s.cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			t.Logf("luagate log (%s):\n%s", s.addr, s.log.String())
		}
	})

	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	for {
		if m := listeningLine.FindStringSubmatch(s.log.String()); m != nil {
			s.addr = m[1]
			return s
		}
		select {
		case <-s.log.changed:
		case <-s.done:
			t.Fatalf("luagate exited (code %d) before listening:\n%s", s.cmd.ProcessState.ExitCode(), s.log.String())
		case <-deadline.C:
			t.Fatalf("luagate did not log that it listens within %s:\n%s", startTimeout, s.log.String())
		}
	}
}

// url is the server's base URL.
func (s *server) url() string { return "http://" + s.addr }

// waitExit waits up to limit for the process to exit and returns its code.
func (s *server) waitExit(limit time.Duration) int {
	s.t.Helper()
	select {
	case <-s.done:
		return s.cmd.ProcessState.ExitCode()
	case <-time.After(limit):
		s.t.Fatalf("luagate did not exit within %s", limit)
		return 0
	}
}

// stop sends SIGTERM and requires a clean exit.
func (s *server) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatalf("SIGTERM: %v", err)
	}
	if code := s.waitExit(cliTimeout); code != 0 {
		s.t.Fatalf("luagate exited %d after SIGTERM, want 0", code)
	}
}

// token is the admin token the server generated in its data dir.
func (s *server) token() string {
	s.t.Helper()
	b, err := os.ReadFile(filepath.Join(s.dataDir, "admin-token"))
	if err != nil {
		s.t.Fatalf("read admin token: %v", err)
	}
	return strings.TrimSpace(string(b))
}

// request calls the server's HTTP API with token (none when empty) and
// returns the status and body.
func (s *server) request(token, method, path, body string) (int, string) {
	s.t.Helper()
	var header []string
	if token != "" {
		header = []string{"Authorization", "Bearer " + token}
	}
	a := s.call(method, path, body, header...)
	return a.status, a.body
}

// deploy puts one endpoint with the generated admin token.
func (s *server) deploy(path, script string) {
	s.t.Helper()
	body, _ := json.Marshal(map[string]string{"path": path, "script": script})
	if status, resp := s.request(s.token(), http.MethodPut, "/api/v1/solution/endpoints", string(body)); status != http.StatusOK {
		s.t.Fatalf("deploy %s: %d %s", path, status, resp)
	}
}

// dialConn opens a WebSocket to path and closes it when the test ends.
func (s *server) dialConn(path string) *websocket.Conn {
	s.t.Helper()
	d := websocket.Dialer{HandshakeTimeout: ioTimeout}
	ws, resp, err := d.Dial("ws://"+s.addr+path, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		s.t.Fatalf("dial %s: %v (status %d)", path, err, status)
	}
	s.t.Cleanup(func() { ws.Close() })
	return ws
}

var serveFlags = []string{
	"addr", "data-dir", "admin-token", "rate-limit", "max-message-bytes",
	"script-timeout", "send-queue", "send-queue-bytes", "send-total-bytes", "max-send-bytes",
	"shutdown-timeout", "lua-states", "endpoint-states", "close-states", "admin-addr", "addr-file",
	"keystore-max-keys", "keystore-max-value-bytes", "keystore-max-bytes",
}

func TestHelpExitsZeroAndServeHelpDescribesEveryFlagWithItsVariable(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, nil, "--help")
	if code != 0 {
		t.Fatalf("luagate --help exited %d, want 0\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"luagate serve", "LUAGATE_<FLAG>"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("luagate --help does not mention %q:\n%s", want, stdout)
		}
	}

	code, stdout, stderr = runCLI(t, nil, "serve", "--help")
	if code != 0 {
		t.Fatalf("luagate serve --help exited %d, want 0\n%s%s", code, stdout, stderr)
	}
	help := stdout + stderr
	lines := strings.Split(help, "\n")
	for _, name := range serveFlags {
		flag, env := "--"+name, envName(name)
		described := false
		for i, line := range lines {
			// The flag and its variable on one line, its description after.
			if strings.Contains(line, flag+" ") && strings.Contains(line, env) &&
				i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != "" {
				described = true
			}
		}
		if !described {
			t.Errorf("luagate serve --help does not describe %s with %s:\n%s", flag, env, help)
		}
	}
}

func TestUnknownCommandOrFlagExitsTwo(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"frobnicate"},
		{"serve", "--no-such-flag"},
	} {
		code, _, stderr := runCLI(t, nil, args...)
		if code != 2 {
			t.Errorf("luagate %s exited %d, want 2\n%s", strings.Join(args, " "), code, stderr)
		}
	}
}

func TestHealthAnswersOK(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir(), nil)
	status, body := s.request("", http.MethodGet, "/api/v1/solution/health", "")
	if status != http.StatusOK || body != "OK" {
		t.Fatalf("health: %d %q, want 200 \"OK\"", status, body)
	}
}

func TestGeneratedAdminTokenIsPrivateAuthorizesAndSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir, nil)

	info, err := os.Stat(filepath.Join(dir, "admin-token"))
	if err != nil {
		t.Fatalf("admin token file: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("admin-token mode %#o, want 0600", perm)
	}
	token := s.token()
	if token == "" {
		t.Fatal("admin-token file is empty")
	}
	if status, body := s.request(token, http.MethodGet, "/api/v1/solution", ""); status != http.StatusOK {
		t.Errorf("GET /api/v1/solution with the generated token: %d %s, want 200", status, body)
	}
	if status, _ := s.request(token+"x", http.MethodGet, "/api/v1/solution", ""); status != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/solution with a wrong token: %d, want 401", status)
	}

	s.stop()
	s = startServer(t, dir, nil)
	if got := s.token(); got != token {
		t.Errorf("token after restart %q, want the first one %q", got, token)
	}
	if status, body := s.request(token, http.MethodGet, "/api/v1/solution", ""); status != http.StatusOK {
		t.Errorf("GET /api/v1/solution after restart: %d %s, want 200", status, body)
	}
}

func TestAdminTokenFromEnvironmentAndFlagWinsOverIt(t *testing.T) {
	t.Parallel()
	t.Run("environment", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, t.TempDir(), []string{"LUAGATE_ADMIN_TOKEN=from-env"})
		if status, body := s.request("from-env", http.MethodGet, "/api/v1/solution", ""); status != http.StatusOK {
			t.Errorf("token from LUAGATE_ADMIN_TOKEN: %d %s, want 200", status, body)
		}
		if status, _ := s.request("other", http.MethodGet, "/api/v1/solution", ""); status != http.StatusUnauthorized {
			t.Errorf("another token: %d, want 401", status)
		}
	})
	t.Run("flag wins", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, t.TempDir(), []string{"LUAGATE_ADMIN_TOKEN=from-env"}, "--admin-token", "from-flag")
		if status, body := s.request("from-flag", http.MethodGet, "/api/v1/solution", ""); status != http.StatusOK {
			t.Errorf("token from --admin-token: %d %s, want 200", status, body)
		}
		if status, _ := s.request("from-env", http.MethodGet, "/api/v1/solution", ""); status != http.StatusUnauthorized {
			t.Errorf("token from the overridden variable: %d, want 401", status)
		}
	})
}

func TestSecondServerOnSameDataDirSaysDatabaseIsHeld(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	startServer(t, dir, nil)

	start := time.Now()
	code, _, stderr := runCLI(t, nil, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir)
	elapsed := time.Since(start)
	if code == 0 {
		t.Fatalf("second luagate on the same data dir exited 0\n%s", stderr)
	}
	if elapsed > 2*time.Second {
		t.Errorf("second luagate took %s to give up, want under 2s", elapsed)
	}
	dbPath := filepath.Join(dir, "luagate.db")
	if !strings.Contains(stderr, "another luagate process holds the database") || !strings.Contains(stderr, dbPath) {
		t.Errorf("stderr does not say another process holds %s:\n%s", dbPath, stderr)
	}
}

func TestSIGTERMClosesEverySocketWith1001AndRunsItsCloseEvent(t *testing.T) {
	t.Parallel()
	const (
		clients         = 1000
		shutdownTimeout = 5 * time.Second
	)
	s := startServer(t, t.TempDir(), nil, "--shutdown-timeout", shutdownTimeout.String())
	s.deploy("/s", "if websocketInfo.type == 'close' then print('close event ' .. websocketInfo.close_code) end")

	codes := make(chan int, clients)
	for range clients {
		ws := s.dialConn("/s")
		go func() {
			// Reading answers the server's close frame, as a real client does.
			_ = ws.SetReadDeadline(time.Now().Add(cliTimeout))
			for {
				_, _, err := ws.ReadMessage()
				if err == nil {
					continue
				}
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					codes <- ce.Code
				} else {
					codes <- -1
				}
				return
			}
		}()
	}
	token := s.token()
	lgtesting.Eventually(t, fmt.Sprintf("%d sockets listed", clients), func() bool {
		status, body := s.request(token, http.MethodGet, "/api/v1/solution/sockets", "")
		var list []json.RawMessage
		return status == http.StatusOK && json.Unmarshal([]byte(body), &list) == nil && len(list) == clients
	})

	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	if code := s.waitExit(shutdownTimeout); code != 0 {
		t.Errorf("luagate exited %d after SIGTERM, want 0", code)
	}
	for i := range clients {
		select {
		case code := <-codes:
			if code != websocket.CloseGoingAway {
				t.Errorf("client got close code %d, want %d", code, websocket.CloseGoingAway)
			}
		case <-time.After(ioTimeout):
			t.Fatalf("only %d of %d clients saw the connection end", i, clients)
		}
	}
	log := s.log.String()
	if n := strings.Count(log, "close event 1001"); n != clients {
		t.Errorf("log has %q %d times, want %d", "close event 1001", n, clients)
	}
}

func TestDeployedEndpointIsServedAfterRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir, nil)
	s.deploy("/hi", `return "hi"`)
	s.stop()

	s = startServer(t, dir, nil)
	ws := s.dialConn("/hi")
	_ = ws.SetReadDeadline(time.Now().Add(ioTimeout))
	_, msg, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("read the reply to open: %v", err)
	}
	if string(msg) != "hi" {
		t.Fatalf("reply %q, want %q", msg, "hi")
	}
}

func TestInvalidEnvironmentValueExitsNamingTheVariable(t *testing.T) {
	t.Parallel()
	code, _, stderr := runCLI(t, []string{"LUAGATE_RATE_LIMIT=abc"},
		"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir())
	if code == 0 {
		t.Fatalf("luagate with LUAGATE_RATE_LIMIT=abc exited 0\n%s", stderr)
	}
	if !strings.Contains(stderr, "LUAGATE_RATE_LIMIT") {
		t.Errorf("stderr does not name LUAGATE_RATE_LIMIT:\n%s", stderr)
	}
}

func TestBadLogFormatOrLevelExitsNamingIt(t *testing.T) {
	t.Parallel()
	for _, c := range [][2]string{{"--log-format", "xml"}, {"--log-level", "loud"}} {
		code, _, stderr := runCLI(t, nil, "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), c[0], c[1])
		if code != 1 || !strings.Contains(stderr, `"`+c[1]+`"`) {
			t.Errorf("luagate serve %s %s exited %d\n%s", c[0], c[1], code, stderr)
		}
	}
}

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// binary is the luagate command built once for every test, so that the
// tests run exactly what users run.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "luagate-cli")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "luagate")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build luagate: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// logLines collects a server's log, line by line, as it writes it.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

// follow appends every line read from r until it ends.
func (l *logLines) follow(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		l.mu.Lock()
		l.lines = append(l.lines, sc.Text())
		l.mu.Unlock()
	}
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// server is "luagate serve" run from the built binary on 127.0.0.1.
type server struct {
	t       *testing.T
	url     string // http://127.0.0.1:port
	dataDir string
	logs    *logLines
}

var listeningRE = regexp.MustCompile(`msg="luagate listening" addr=(\S+)`)

// startServer runs "luagate serve" with extra flags on a random port and a
// fresh data dir, and stops it with SIGINT when the test ends.
func startServer(t *testing.T, extra ...string) *server {
	t.Helper()
	s := &server{t: t, dataDir: t.TempDir(), logs: &logLines{}}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", s.dataDir, "--shutdown-timeout", "2s"}, extra...)
	cmd := exec.Command(binary, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() {
		// Wait must not run before the pipe is drained.
		s.logs.follow(stderr)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("luagate serve: %v\n%s", err, s.logs)
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("luagate serve did not stop on SIGINT\n%s", s.logs)
		}
	})
	waitFor(t, "the server to listen", func() bool {
		m := listeningRE.FindStringSubmatch(s.logs.String())
		if m != nil {
			s.url = "http://" + m[1]
		}
		return m != nil
	})
	return s
}

// luagate runs the built binary as a client of this server: the server's
// address and data dir come from the environment, as a user would set them.
func (s *server) luagate(args ...string) (stdout, stderr string, code int) {
	s.t.Helper()
	return runLuagate(s.t, []string{"LUAGATE_SERVER=" + s.url, "LUAGATE_DATA_DIR=" + s.dataDir}, args...)
}

// mustLuagate is luagate for a command that must succeed.
func (s *server) mustLuagate(args ...string) string {
	s.t.Helper()
	out, errOut, code := s.luagate(args...)
	if code != 0 {
		s.t.Fatalf("luagate %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func runLuagate(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

// deployCount is how many solutions the server has deployed.
func (s *server) deployCount() int {
	return strings.Count(s.logs.String(), `msg="solution deployed"`)
}

// wsClient is a real WebSocket client of the server.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
}

func (s *server) dial(path string) *wsClient {
	s.t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.url, "http")+path, nil)
	if err != nil {
		s.t.Fatalf("dial %s: %v", path, err)
	}
	s.t.Cleanup(func() { conn.Close() })
	return &wsClient{t: s.t, conn: conn}
}

func (c *wsClient) say(msg string) {
	c.t.Helper()
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		c.t.Fatalf("send %q: %v", msg, err)
	}
}

// next returns the next message, failing the test after five seconds.
func (c *wsClient) next() string {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := c.conn.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return string(b)
}

// nextJSON returns the next message decoded as a JSON object.
func (c *wsClient) nextJSON() map[string]any {
	c.t.Helper()
	msg := c.next()
	var v map[string]any
	if err := json.Unmarshal([]byte(msg), &v); err != nil {
		c.t.Fatalf("message %q is not a JSON object: %v", msg, err)
	}
	return v
}

// closed waits for the server to close the connection and returns the code.
func (c *wsClient) closed() int {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := c.conn.ReadMessage()
		if ce, ok := err.(*websocket.CloseError); ok {
			return ce.Code
		}
		if err != nil {
			c.t.Fatalf("expected a close frame, got %v", err)
		}
	}
}

// waitFor polls cond until it holds, failing the test after five seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// copyProject copies an example project into a temporary directory the test
// may edit. Examples link some files to the init scaffold; the copies are
// plain files.
func copyProject(t *testing.T, name string) string {
	t.Helper()
	src, dir := example(name), filepath.Join(t.TempDir(), name)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// example is the path of an example project, as deploy takes it.
func example(name string) string {
	return filepath.Join("..", "..", "testdata", "examples", name)
}

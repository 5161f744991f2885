package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/luagate/luagate/internal/lgtesting"
)

// luagate runs the built binary as a client of this server: the server's
// address and data dir come from the environment, as a user would set them.
func (s *server) luagate(args ...string) (stdout, stderr string, code int) {
	s.t.Helper()
	return runLuagate(s.t, []string{"LUAGATE_SERVER=" + s.url(), "LUAGATE_DATA_DIR=" + s.dataDir}, args...)
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

// runLuagate is runCLI with its results in the order client tests read
// them.
func runLuagate(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	code, stdout, stderr = runCLI(t, env, args...)
	return stdout, stderr, code
}

// waitDeploys waits until the server's log shows n deploys, since the log
// is read as the server writes it, and returns n.
func (s *server) waitDeploys(n int) int {
	s.t.Helper()
	lgtesting.Eventually(s.t, fmt.Sprintf("%d deploys in the log", n), func() bool { return s.deployCount() == n })
	return n
}

// deployCount is how many solutions the server has deployed.
func (s *server) deployCount() int {
	return strings.Count(s.log.String(), `msg="solution deployed"`)
}

// wsClient is a real WebSocket client of the server.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
}

func (s *server) dial(path string) *wsClient {
	s.t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+s.addr+path, nil)
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

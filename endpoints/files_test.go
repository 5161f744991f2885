package endpoints_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/wire"
)

// luaFiles is an endpoint whose data messages name an operation, run on
// the socket's own files; it answers the results as JSON.
const luaFiles = `--#ENDPOINT WEBSOCKET /f
if websocketInfo.type == "close" then
  for _, f in ipairs(Files.list{socket_id = websocketInfo.socket_id}) do print("close event saw " .. f.name) end
end
if websocketInfo.type ~= "data" then return end
local id = websocketInfo.socket_id
local op, name, arg = websocketInfo.message:match("^(%S+) ?(%S*) ?(.*)$")
local v, err
if op == "put" then v, err = Files.put{socket_id = id, name = name, content = arg}
elseif op == "link" then v, err = Files.put{socket_id = id, name = name, content = arg, ttl = 0.3}
elseif op == "list" then v, err = Files.list{socket_id = id}
elseif op == "get" then v, err = Files.get{socket_id = id, name = name}
elseif op == "delete" then err = Files.delete{socket_id = id, name = name}
end
return to_json({v = v, err = err})
`

func TestFileLinksDownloadUntilTheyExpire(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
	g.Deploy("/f", luaFiles)
	c := g.Dial("/f")
	c.Send("link report.html <script>alert(1)</script>")
	var ans struct {
		V struct {
			URL       string `json:"url"`
			ExpiresAt int64  `json:"expires_at"`
		} `json:"v"`
	}
	if err := json.Unmarshal([]byte(c.Next()), &ans); err != nil || !strings.HasPrefix(ans.V.URL, "/files/") {
		t.Fatalf("Files.put with a ttl: %+v %v", ans, err)
	}
	resp, err := http.Get(g.URL(ans.V.URL)) // no credential
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "<script>alert(1)</script>" {
		t.Fatalf("download: %d %q", resp.StatusCode, body)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, "report.html") {
		t.Errorf("Content-Disposition %q", cd)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("headers %v", resp.Header)
	}
	time.Sleep(time.Until(time.UnixMilli(ans.V.ExpiresAt + 1)))
	if status, _ := lgtesting.Request(t, "", http.MethodGet, g.URL(ans.V.URL), ""); status != http.StatusNotFound {
		t.Fatalf("after expiry: %d, want 404", status)
	}
}

func TestSessionFilesLiveUntilTheSocketCloses(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
	g.Deploy("/f", luaFiles)
	c := g.Dial("/f")
	id := g.SocketIDs(1)[0]
	c.Send("put notes.txt hello files")
	if m := c.Next(); !strings.Contains(m, `"name":"notes.txt"`) || !strings.Contains(m, `"size":11`) {
		t.Fatalf("Files.put: %s", m)
	}
	base := wire.Prefix + "/sockets/" + id + "/files"
	if status, body := g.API(http.MethodPut, base+"/from-outside.bin", "outside"); status != http.StatusOK {
		t.Fatalf("PUT file: %d %s", status, body)
	}
	c.Send("list")
	if m := c.Next(); !strings.Contains(m, `"name":"from-outside.bin"`) || !strings.Contains(m, `"name":"notes.txt"`) {
		t.Fatalf("Files.list: %s", m)
	}
	c.Send("get from-outside.bin")
	c.Expect(`{"v":"outside"}`)
	if status, body := g.API(http.MethodGet, base+"/notes.txt", ""); status != http.StatusOK || body != "hello files" {
		t.Fatalf("GET file: %d %s", status, body)
	}
	if status, body := g.API(http.MethodGet, base, ""); status != http.StatusOK || !strings.Contains(body, `"size":7`) {
		t.Fatalf("GET files: %d %s", status, body)
	}
	if status, _ := g.APIAs("", http.MethodGet, base, ""); status != http.StatusUnauthorized {
		t.Fatalf("without a credential: %d, want 401", status)
	}
	status, body := g.API(http.MethodPost, wire.Prefix+"/keys", `{"name":"reader","scopes":["read"]}`)
	var key struct{ Secret string }
	if status != http.StatusCreated || json.Unmarshal([]byte(body), &key) != nil {
		t.Fatalf("create key: %d %s", status, body)
	}
	if status, body := g.APIAs(key.Secret, http.MethodGet, base+"/notes.txt", ""); status != http.StatusOK || body != "hello files" {
		t.Fatalf("GET file with a read key: %d %s", status, body)
	}
	if status, _ := g.APIAs(key.Secret, http.MethodPut, base+"/x", "x"); status != http.StatusForbidden {
		t.Fatalf("PUT file with a read key: %d, want 403", status)
	}
	if status, _ := g.API(http.MethodDelete, base+"/notes.txt", ""); status != http.StatusNoContent {
		t.Fatalf("DELETE file: %d", status)
	}
	c.Send("get notes.txt")
	if m := c.Next(); !strings.Contains(m, `"status":404`) {
		t.Fatalf("a deleted file: %s", m)
	}
	dir := filepath.Join(g.Dir, "files", "sessions", id)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("session directory: %v", err)
	}
	c.Conn.Close()
	lgtesting.Eventually(t, "the close event", func() bool { return strings.Contains(g.Logs.String(), "close event saw from-outside.bin") })
	lgtesting.Eventually(t, "the session directory to be removed", func() bool {
		_, err := os.Stat(dir)
		return os.IsNotExist(err)
	})
	if status, _ := g.API(http.MethodGet, base, ""); status != http.StatusNotFound {
		t.Fatalf("files of a closed socket: %d, want 404", status)
	}
}

func TestFileQuotasAnswer413(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit, func(c *gateway.Config) { c.Files.MaxBytesPerSocket = 10 })
	g.Deploy("/f", luaFiles)
	c := g.Dial("/f")
	id := g.SocketIDs(1)[0]
	c.Send("put a 123456")
	c.Send("put b 123456")
	c.Next()
	if m := c.Next(); !strings.Contains(m, `"status":413`) {
		t.Fatalf("over the quota: %s", m)
	}
	if status, body := g.API(http.MethodPut, wire.Prefix+"/sockets/"+id+"/files/c", "123456"); status != http.StatusRequestEntityTooLarge {
		t.Fatalf("PUT over the quota: %d %s", status, body)
	}
}

func TestBadFileNamesAnswer400(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
	g.Deploy("/f", luaFiles)
	g.Deploy("/g", `--#ENDPOINT WEBSOCKET /g
if websocketInfo.type ~= "data" then return end
local v, err = Files.put{socket_id = websocketInfo.socket_id, name = websocketInfo.message, content = "x"}
return to_json(err)
`)
	c := g.Dial("/g")
	for _, name := range []string{"..", "a/b", `a\b`, "a\x00b", "tab\there", strings.Repeat("n", 256), ""} {
		c.Send(name)
		if m := c.Next(); !strings.Contains(m, `"status":400`) {
			t.Errorf("name %q: %s, want a 400", name, m)
		}
	}
	id := g.SocketIDs(1)[0]
	for _, name := range []string{"..", "a%5Cb", "a%00b", "%2e%2e"} {
		if status, body := g.API(http.MethodPut, wire.Prefix+"/sockets/"+id+"/files/"+name, "x"); status != http.StatusBadRequest {
			t.Errorf("PUT %s: %d %s, want 400", name, status, body)
		}
	}
}

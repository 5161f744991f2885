package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// clusterWait bounds each wait of the cluster test: a NATS cluster elects
// its JetStream leader within seconds.
const clusterWait = 20 * time.Second

// freePorts returns n ports free on 127.0.0.1 a moment ago.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
		defer ln.Close()
	}
	return ports
}

// until polls cond every 50 ms, failing the test after clusterWait.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(clusterWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", clusterWait, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestThreeBinariesWithEmbeddedNATSSurviveAKill(t *testing.T) {
	t.Parallel()
	ports := freePorts(t, 6)
	route := func(i int) string { return fmt.Sprintf("nats://127.0.0.1:%d", ports[3+i]) }
	var nodes []*server
	for i := range 3 {
		var routes []string
		for j := range 3 {
			if j != i {
				routes = append(routes, route(j))
			}
		}
		nodes = append(nodes, startServer(t, t.TempDir(), nil,
			"--admin-token", "cluster-token", "--node-id", fmt.Sprintf("bin%d", i+1), "--cluster-timeout", "1s",
			"--nats-embedded", "--nats-listen", fmt.Sprintf("127.0.0.1:%d", ports[i]),
			"--nats-cluster-listen", fmt.Sprintf("127.0.0.1:%d", ports[3+i]), "--nats-routes", strings.Join(routes, ",")))
	}
	const token = "cluster-token"
	for i, n := range nodes {
		until(t, fmt.Sprintf("node %d healthy", i+1), func() bool {
			status, body := n.request("", http.MethodGet, "/api/v1/solution/health", "")
			return status == http.StatusOK && body == "OK"
		})
	}
	script := "--#ENDPOINT WEBSOCKET /e\nif websocketInfo.type == 'data' then return 'echo ' .. websocketInfo.message end"
	body := `{"path":"/e","script":` + fmt.Sprintf("%q", script) + `}`
	until(t, "a deploy to be accepted", func() bool {
		status, _ := nodes[0].request(token, http.MethodPut, "/api/v1/solution/endpoints", body)
		return status == http.StatusOK
	})
	for i, n := range nodes {
		until(t, fmt.Sprintf("node %d to serve /e", i+1), func() bool {
			status, _ := n.request("", http.MethodGet, "/e", "")
			return status != http.StatusNotFound
		})
	}
	near := nodes[1].dialConn("/e")
	nodes[2].dialConn("/e")
	until(t, "both sockets listed on node 1", func() bool {
		_, list := nodes[0].request(token, http.MethodGet, "/api/v1/solution/sockets", "")
		return strings.Count(list, `"socket_id"`) == 2
	})

	if err := nodes[2].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-nodes[2].done
	var id string // node 2's socket, the one left
	until(t, "node 3's socket to be unlisted", func() bool {
		_, list := nodes[0].request(token, http.MethodGet, "/api/v1/solution/sockets", "")
		var sockets []struct {
			SocketID string `json:"socket_id"`
		}
		if json.Unmarshal([]byte(list), &sockets) != nil || len(sockets) != 1 || !strings.HasPrefix(sockets[0].SocketID, "bin2-") {
			return false
		}
		id = sockets[0].SocketID
		return true
	})
	if status, resp := nodes[0].request(token, http.MethodPost, "/api/v1/solution/sockets/"+id+"/messages", `{"message":"still here"}`); status != http.StatusNoContent {
		t.Fatalf("send across the survivors: %d %s", status, resp)
	}
	_ = near.SetReadDeadline(time.Now().Add(ioTimeout))
	if _, msg, err := near.ReadMessage(); err != nil || string(msg) != "still here" {
		t.Fatalf("read: %q %v", msg, err)
	}
	script2 := strings.Replace(script, "'echo '", "'v2 '", 1)
	body2 := `{"path":"/e","script":` + fmt.Sprintf("%q", script2) + `}`
	until(t, "a deploy with one node dead", func() bool {
		status, _ := nodes[1].request(token, http.MethodPut, "/api/v1/solution/endpoints", body2)
		return status == http.StatusOK
	})
	until(t, "node 1 to run the new revision", func() bool {
		ws, _, err := websocket.DefaultDialer.Dial("ws://"+nodes[0].addr+"/e", nil)
		if err != nil {
			return false
		}
		defer ws.Close()
		_ = ws.WriteMessage(websocket.TextMessage, []byte("x"))
		_ = ws.SetReadDeadline(time.Now().Add(ioTimeout))
		_, msg, err := ws.ReadMessage()
		return err == nil && string(msg) == "v2 x"
	})
}

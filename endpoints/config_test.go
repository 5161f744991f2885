package endpoints_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/luagate/luagate/internal/lgtesting"
)

func TestTheConfigIsPartOfTheSolution(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	cfg := `{"policies":{"standard":{"requests":2,"window":"1min","error_code":4429,"message":"slow down"}},"defaults":{"rate_limit":"standard"}}`
	if status, body := g.API(http.MethodPut, "/api/v1/solution/config", cfg); status != http.StatusOK {
		t.Fatalf("put config: %d %s", status, body)
	}
	if status, body := g.API(http.MethodGet, "/api/v1/solution/config", ""); status != http.StatusOK || body != cfg+"\n" && body != cfg {
		t.Errorf("get config: %d %s", status, body)
	}
	if _, body := g.API(http.MethodGet, "/api/v1/solution", ""); !strings.Contains(body, `"config":`+cfg) {
		t.Errorf("solution: %s", body)
	}
	g.Deploy("/d", `if websocketInfo.type == "data" then return "ok" end`)
	c := g.Dial("/d")
	c.Send("1")
	c.Send("2")
	c.Send("3")
	c.Expect("ok")
	c.Expect("ok")
	c.Expect(`{"type":"RateLimitError","error":"slow down","status":4429}`)
	if status, body := g.API(http.MethodPut, "/api/v1/solution/config", `{"policies":{},"defaults":{"rate_limit":"gone"}}`); status != http.StatusBadRequest || !strings.Contains(body, "unknown rate policy") {
		t.Errorf("a default naming no policy: %d %s", status, body)
	}
	if status, body := g.API(http.MethodPut, "/api/v1/solution/config", `{"policies":{},"defaults":{},"extra":1}`); status != http.StatusBadRequest {
		t.Errorf("an unknown key: %d %s", status, body)
	}
}

package scripts_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/luagate/luagate/scripts"
)

// compileOne compiles one endpoint at /p with script, beside modules and
// the config given.
func compileOne(script string, modules map[string]string, cfg scripts.Config) (*scripts.CompiledEndpoint, error) {
	c, err := scripts.Compile(scripts.Solution{
		Endpoints: []*scripts.Endpoint{{Path: "/p", Script: script}},
		Modules:   modules,
		Config:    cfg,
	})
	if err != nil {
		return nil, err
	}
	ep, _ := c.Endpoint("/p")
	return ep, nil
}

func dur(d time.Duration) *time.Duration { return &d }

func TestPolicyHeaderLinesAreParsed(t *testing.T) {
	ep, err := compileOne(`--#ENDPOINT WEBSOCKET /p
-- routes by action
--#ROUTESELECT $.action
--#ROUTE join rooms.join
--#ROUTE $default rooms.other
--#ROUTE $connect rooms.hello
--#RATELIMIT 3/2s burst 4 code 4008 message "too \"fast\"" then close
--#IDLE 1.5min
--#MAXAGE 2h
--#MAXMESSAGE 64KiB
--#SUBPROTOCOLS v2.chat, v1.chat
return "body"
--#IDLE 1s
`, map[string]string{"rooms": "return {}"}, scripts.Config{})
	if err != nil {
		t.Fatal(err)
	}
	p := ep.Policy
	if p.RouteSelect == nil || p.RouteSelect.String() != "$.action" {
		t.Errorf("RouteSelect = %v", p.RouteSelect)
	}
	wantRoutes := []scripts.Route{
		{Key: "join", Module: "rooms", Function: "join", Line: 4},
		{Key: "$default", Module: "rooms", Function: "other", Line: 5},
		{Key: "$connect", Module: "rooms", Function: "hello", Line: 6},
	}
	if !reflect.DeepEqual(p.Routes, wantRoutes) {
		t.Errorf("Routes = %+v", p.Routes)
	}
	wantRL := &scripts.RateLimit{Requests: 3, Window: 2 * time.Second, Burst: 4, Code: 4008, Message: `too "fast"`, Close: true}
	if !reflect.DeepEqual(p.RateLimit, wantRL) {
		t.Errorf("RateLimit = %+v", p.RateLimit)
	}
	if *p.IdleTimeout != 90*time.Second || *p.MaxAge != 2*time.Hour || p.MaxMessageBytes != 64<<10 {
		t.Errorf("idle %s, max age %s, max message %d", *p.IdleTimeout, *p.MaxAge, p.MaxMessageBytes)
	}
	if !reflect.DeepEqual(p.Subprotocols, []string{"v2.chat", "v1.chat"}) {
		t.Errorf("Subprotocols = %q", p.Subprotocols)
	}
}

func TestAnEndpointWithoutPolicyLinesLeavesEverythingToTheServer(t *testing.T) {
	ep, err := compileOne("--#ENDPOINT WEBSOCKET /p\nreturn 1\n", nil, scripts.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ep.Policy, scripts.Policy{}) {
		t.Errorf("Policy = %+v, want the zero Policy", ep.Policy)
	}
}

func TestPolicyProblemsAreReportedAtOnceWithTheirLines(t *testing.T) {
	_, err := compileOne(`--#ENDPOINT WEBSOCKET /p
--#ROUTE join nosuch.join
--#ROUTE $defualt m.f
--#FOO bar
--#RATELIMIT 3/2x
--#RATELIMIT off
--#IDLE soon
--#MAXMESSAGE 1TB
--#SUBPROTOCOLS a,,b
--#RATELIMIT standard
--#ROUTE join m.f
--#ROUTE x m.bad-name
return 1
`, map[string]string{"m": "return {}"}, scripts.Config{})
	var ps scripts.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("err = %v, want Problems", err)
	}
	want := map[int]string{
		2:  "no module nosuch",
		3:  "unknown reserved route $defualt",
		4:  "unknown header line --#FOO: the known ones are --#ENDPOINT, --#ROUTESELECT, --#ROUTE, --#RATELIMIT",
		5:  `"2x" is not a duration`,
		6:  "declared twice: also at line 5",
		7:  `"soon" is not a duration`,
		8:  `"1TB" is not a size`,
		9:  `"" is not a subprotocol name`,
		10: "declared twice",
		11: "route join is declared twice: also at line 2",
		12: "invalid function name",
	}
	got := map[int]string{}
	for _, p := range ps {
		if p.File != "/p" {
			t.Errorf("problem %v: file %q, want /p", p, p.File)
		}
		got[p.Line] += p.Message + "; "
	}
	for line, msg := range want {
		if !strings.Contains(got[line], msg) {
			t.Errorf("line %d: got %q, want it to contain %q", line, got[line], msg)
		}
	}
	if !strings.Contains(got[2], "no --#ROUTESELECT") {
		t.Errorf("line 2: got %q, want the missing --#ROUTESELECT named", got[2])
	}
}

func TestNamedPoliciesAndDefaultsApply(t *testing.T) {
	cfg := scripts.Config{
		Policies: map[string]scripts.RatePolicy{
			"standard": {Requests: 100, Window: "1min", Burst: 20, ErrorCode: 4429, Message: "slow down", Then: "drop"},
			"strict":   {Requests: 1, Window: "s", Then: "close"},
		},
		Defaults: scripts.Defaults{RateLimit: "standard", IdleTimeout: "90s", MaxConnectionAge: "2h"},
	}
	standard := &scripts.RateLimit{Requests: 100, Window: time.Minute, Burst: 20, Code: 4429, Message: "slow down"}
	for _, tt := range []struct {
		script string
		rl     *scripts.RateLimit
		idle   *time.Duration
	}{
		{"--#ENDPOINT WEBSOCKET /p\n", standard, dur(90 * time.Second)},
		{"--#ENDPOINT WEBSOCKET /p\n--#RATELIMIT strict\n--#IDLE off\n", &scripts.RateLimit{Requests: 1, Window: time.Second, Code: 429, Message: "message rate limit exceeded", Close: true}, dur(0)},
		{"--#ENDPOINT WEBSOCKET /p\n--#RATELIMIT off\n", &scripts.RateLimit{Off: true}, dur(90 * time.Second)},
	} {
		ep, err := compileOne(tt.script, nil, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ep.Policy.RateLimit, tt.rl) || *ep.Policy.IdleTimeout != *tt.idle || *ep.Policy.MaxAge != 2*time.Hour {
			t.Errorf("%q: rate %+v idle %s age %s", tt.script, ep.Policy.RateLimit, *ep.Policy.IdleTimeout, *ep.Policy.MaxAge)
		}
	}
}

func TestConfigProblemsNameTheKey(t *testing.T) {
	_, err := compileOne("--#ENDPOINT WEBSOCKET /p\n--#RATELIMIT nope\n", nil, scripts.Config{
		Policies: map[string]scripts.RatePolicy{"p": {Requests: 0, Window: "1x", Then: "maybe"}},
		Defaults: scripts.Defaults{IdleTimeout: "later", RateLimit: "missing"},
	})
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	for _, want := range []string{
		"services/websocket.yaml: policies.p.requests: 0",
		"services/websocket.yaml: policies.p.window: \"1x\" is not a duration",
		"services/websocket.yaml: policies.p.then: then \"maybe\"",
		"services/websocket.yaml: defaults.idle_timeout:",
		"services/websocket.yaml: defaults.rate_limit: unknown rate policy \"missing\"",
		"/p:2: --#RATELIMIT: unknown rate policy \"nope\"",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("problems\n%s\ndo not contain %q", msg, want)
		}
	}
}

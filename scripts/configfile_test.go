package scripts

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const websocketYAML = `policies:
  standard: {requests: 100, window: 1min, burst: 20, error_code: 4429, message: "slow down", then: drop}
defaults:
  rate_limit: standard
  idle_timeout: 90s
  max_connection_age: 2h
`

func TestReadProjectReadsTheServiceConfig(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"endpoints/a.lua":         "--#ENDPOINT WEBSOCKET /a\n--#RATELIMIT standard\n",
		"services/websocket.yaml": websocketYAML,
	})
	sol, warnings, err := ReadProject(dir)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("ReadProject: %v, warnings %v", err, warnings)
	}
	want := Config{
		Policies: map[string]RatePolicy{"standard": {Requests: 100, Window: "1min", Burst: 20, ErrorCode: 4429, Message: "slow down", Then: "drop"}},
		Defaults: Defaults{RateLimit: "standard", IdleTimeout: "90s", MaxConnectionAge: "2h"},
	}
	if !reflect.DeepEqual(sol.Config, want) {
		t.Errorf("Config = %+v, want %+v", sol.Config, want)
	}
}

func TestReadProjectReportsServiceConfigProblemsWithTheirLines(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"endpoints/a.lua": "--#ENDPOINT WEBSOCKET /a\n--#RATELIMIT nope\n",
		"services/websocket.yaml": `policies:
  p:
    requests: 3
    window: 2x
    colour: red
defaults:
  idle_timeout: soon
  sleepy: true
`,
	})
	_, _, err := ReadProject(dir)
	if err == nil {
		t.Fatal("ReadProject accepted a bad config")
	}
	for _, want := range []string{
		"services/websocket.yaml:4: policies.p.window:",
		"services/websocket.yaml:5: unknown key colour: the keys here are requests, window",
		"services/websocket.yaml:7: defaults.idle_timeout:",
		"services/websocket.yaml:8: unknown key sleepy",
		"endpoints/a.lua:2: --#RATELIMIT: unknown rate policy \"nope\"",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems\n%v\ndo not contain %q", err, want)
		}
	}
}

func TestServiceConfigSurvivesWriteAndRead(t *testing.T) {
	src := writeFiles(t, map[string]string{
		"endpoints/a.lua":         "--#ENDPOINT WEBSOCKET /a\n",
		"services/websocket.yaml": websocketYAML,
	})
	sol, _, err := ReadProject(src)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := WriteProject(out, sol); err != nil {
		t.Fatal(err)
	}
	back, _, err := ReadProject(out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, sol) {
		t.Errorf("read back %+v, want %+v", back.Config, sol.Config)
	}
	// A solution without config leaves no stale file behind.
	sol.Config = Config{}
	if err := WriteProject(out, sol); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "services", "websocket.yaml")); !os.IsNotExist(err) {
		t.Errorf("services/websocket.yaml still there: %v", err)
	}
}

func TestDiffSolutionsNamesTheConfig(t *testing.T) {
	with := Solution{Config: Config{Defaults: Defaults{IdleTimeout: "90s"}}}
	changed := Solution{Config: Config{Defaults: Defaults{IdleTimeout: "2min"}}}
	for _, tt := range []struct {
		from, to Solution
		want     string
	}{
		{Solution{}, with, "+ config services/websocket.yaml\n"},
		{with, changed, "~ config services/websocket.yaml\n"},
		{with, Solution{}, "- config services/websocket.yaml\n"},
		{with, with.Clone(), "no changes\n"},
	} {
		if got := DiffSolutions(tt.from, tt.to).String(); got != tt.want {
			t.Errorf("diff %+v -> %+v = %q, want %q", tt.from.Config, tt.to.Config, got, tt.want)
		}
	}
}

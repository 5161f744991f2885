package scripts

import (
	"strings"
	"testing"
)

// FuzzParsePolicy checks that the header-line parser never panics, that
// every problem is on a line of the script, and that what it accepts is
// within its bounds.
func FuzzParsePolicy(f *testing.F) {
	f.Add("--#ENDPOINT WEBSOCKET /p\n--#ROUTESELECT $.a\n--#ROUTE x m.f\n--#RATELIMIT 3/2s burst 4 code 4008 message \"m\" then close\n")
	f.Add("--#IDLE 1.5min\n--#MAXAGE h\n--#MAXMESSAGE 64KiB\n--#SUBPROTOCOLS a,b\n")
	f.Add("--#RATELIMIT off\n--#RATELIMIT std\n--#FOO\n--#ROUTE $connect m.f\nx()\n--#IDLE 1s")
	f.Add("--#RATELIMIT 1/s message \"\\\"\" message \"x\"")
	f.Add("--#RATELIMIT 60\n--#SECURITY basic bearer\n--#TAGS a b\n--#SUMMARY s\n")
	rc, _ := Config{Policies: map[string]RatePolicy{"std": {Requests: 5, Window: "s"}}}.resolve()
	f.Fuzz(func(t *testing.T, script string) {
		pol, _, problems, _ := parsePolicy(script, rc)
		lines := strings.Count(script, "\n") + 1
		for _, p := range problems {
			if p.Line < 1 || p.Line > lines || p.Message == "" {
				t.Fatalf("problem %+v is not on a line of %d", p, lines)
			}
		}
		if rl := pol.RateLimit; rl != nil && !rl.Off {
			if rl.Requests < 1 || rl.Window < 1 || rl.Window > maxDuration || len(rl.Message) > maxCloseReasonBytes {
				t.Fatalf("rate limit out of bounds: %+v", rl)
			}
		}
		for _, r := range pol.Routes {
			if r.Key == "" || CheckModuleName(r.Module) != nil || !functionNameRE.MatchString(r.Function) {
				t.Fatalf("route out of bounds: %+v", r)
			}
		}
		if pol.MaxMessageBytes < 0 {
			t.Fatalf("max message %d", pol.MaxMessageBytes)
		}
	})
}

package scripts

import (
	"fmt"
	"slices"
)

// Of an endpoint's header lines, these mean nothing for an HTTP request,
// and why; an HTTP endpoint that carries one is refused at its line rather
// than deployed with it ignored.
var notForHTTP = map[string]string{
	"ROUTESELECT":  "a request is not routed by its message: declare one endpoint per method and path",
	"ROUTE":        "a request is not routed by its message: declare one endpoint per method and path",
	"IDLE":         "a request has no idle time: the server's request timeout bounds it",
	"MAXAGE":       "a request is not a connection that ages: the server's request timeout bounds it",
	"SUBPROTOCOLS": "subprotocols are negotiated by WebSocket upgrades only",
}

// checkHTTPPolicy refuses the lines of pol (at lines, by header word) that an HTTP endpoint cannot
// honour, and the rate limit options that have no HTTP meaning. What
// remains: --#RATELIMIT (requests per client address), --#MAXMESSAGE (the
// request body), --#SECURITY. The solution's WebSocket defaults
// (services/websocket.yaml) are not applied to HTTP endpoints.
func checkHTTPPolicy(pol *Policy, lines map[string]int) Problems {
	var problems Problems
	words := make([]string, 0, len(lines))
	for w := range lines {
		words = append(words, w)
	}
	slices.Sort(words)
	for _, w := range words {
		if why, ok := notForHTTP[w]; ok {
			problems = append(problems, Problem{Line: lines[w], Message: fmt.Sprintf("--#%s means nothing on an HTTP endpoint: %s", w, why)})
		}
	}
	if rl := pol.RateLimit; rl != nil && !rl.Off {
		line := lines["RATELIMIT"]
		if rl.Close {
			problems = append(problems, Problem{Line: line, Message: "--#RATELIMIT: then close closes a socket; an HTTP endpoint answers a request over its limit with the code (then drop)"})
		}
		if rl.Code < 400 || rl.Code > 599 {
			problems = append(problems, Problem{Line: line, Message: fmt.Sprintf("--#RATELIMIT: code %d: an HTTP endpoint answers with a status from 400 to 599", rl.Code)})
		}
	}
	return problems
}

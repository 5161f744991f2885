package scripts

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Reserved route keys: the events that are not a routed message.
const (
	RouteConnect     = "$connect"
	RouteDisconnect  = "$disconnect"
	RouteDefault     = "$default"
	RouteRateLimited = "$ratelimited"
)

// Rate limit defaults: what a RateLimitError frame says when the policy
// does not, as luagate always has.
const (
	DefaultRateLimitCode    = 429
	DefaultRateLimitMessage = "message rate limit exceeded"
)

// maxCloseReasonBytes is the most a close frame's reason may hold; a rate
// limit's message is one when its policy closes.
const maxCloseReasonBytes = 123

// Policy is what an endpoint's header lines declare, resolved against the
// solution's Config. A nil or zero field means the server's default applies.
type Policy struct {
	// RouteSelect picks the route value out of text messages; nil when
	// the endpoint has no --#ROUTESELECT.
	RouteSelect *JSONPath
	// Routes are the --#ROUTE lines in the order written.
	Routes []Route
	// RateLimit is the endpoint's incoming message limit; nil means the
	// server's.
	RateLimit *RateLimit
	// IdleTimeout and MaxAge are nil for the server's; a zero duration
	// turns the limit off for this endpoint.
	IdleTimeout, MaxAge *time.Duration
	// MaxMessageBytes is the endpoint's message size limit; zero means the
	// server's.
	MaxMessageBytes int64
	// Subprotocols are offered in the handshake in preference order.
	Subprotocols []string
	// Security is how upgrades, or an HTTP endpoint's requests,
	// authenticate; nil means the server's default.
	Security *Security
	// Backend is the server the endpoint's sockets are relayed to; nil
	// for an endpoint whose script answers its sockets itself.
	Backend *Backend
}

// Routed reports whether the endpoint declares any route.
func (p *Policy) Routed() bool { return len(p.Routes) > 0 }

// Route is one --#ROUTE line: messages whose route value is Key run
// Function of the shared module Module.
type Route struct {
	Key, Module, Function string
	// Line is the header's line in the endpoint's script.
	Line int
}

// RateLimit is an incoming message limit: Requests per Window with a burst
// of Burst, or no limit at all when Off.
type RateLimit struct {
	Off      bool
	Requests int
	Window   time.Duration
	// Burst is how many messages may come at once; zero means Requests.
	Burst int
	// Code and Message are the RateLimitError frame's status and error,
	// and Message the close reason when Close.
	Code    int
	Message string
	// Close closes the socket with 1008 instead of dropping the message.
	Close bool
}

// headerWords are the header lines an endpoint may carry, in the order an
// error lists them.
var headerWords = append([]string{"ENDPOINT", "ROUTESELECT", "ROUTE", "RATELIMIT", "IDLE", "MAXAGE", "MAXMESSAGE", "SUBPROTOCOLS", "SECURITY", "BACKEND", "BACKEND_HEADERS"}, docWords...)

// functionNameRE is a Lua identifier: what a route may name in a module.
var functionNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// tokenRE is an HTTP token: a header name, or what
// Sec-WebSocket-Protocol carries.
var tokenRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// parsePolicy reads the policy header lines of an endpoint's script: the
// "--#" lines between its --#ENDPOINT header and its first line of code.
// Named rate policies and defaults come from rc. Problems carry lines of
// the script and no file.
//
// lines holds the line of each header word the script declares, and
// warnings what a line asks for that luagate leaves out.
func parsePolicy(script string, rc *resolvedConfig) (pol Policy, lines map[string]int, problems, warnings Problems) {
	var (
		seen    = map[string]int{}
		keys    = map[string]int{}
		backend Backend
		// headerLine is the last --#BACKEND_HEADERS line.
		headerLine int
	)
	for _, h := range headerLines(script) {
		word, args, n := h.word, h.args, h.line
		problem := func(format string, a ...any) {
			problems = append(problems, Problem{Line: n, Message: fmt.Sprintf("--#%s: ", word) + fmt.Sprintf(format, a...)})
		}
		if !isHeaderWord(word) {
			problems = append(problems, Problem{Line: n, Message: fmt.Sprintf("unknown header line --#%s: the known ones are --#%s",
				Elide(word), strings.Join(headerWords, ", --#"))})
			continue
		}
		if word == "ENDPOINT" || isDocWord(word) {
			continue
		}
		if first, dup := seen[word]; dup && word != "ROUTE" && word != "BACKEND_HEADERS" {
			problem("declared twice: also at line %d", first)
			continue
		}
		seen[word] = n
		var err error
		switch word {
		case "ROUTESELECT":
			var p JSONPath
			if p, err = ParseJSONPath(args); err == nil {
				pol.RouteSelect = &p
			}
		case "ROUTE":
			var r Route
			if r, err = parseRoute(args, n); err == nil {
				if first, dup := keys[r.Key]; dup {
					err = fmt.Errorf("route %s is declared twice: also at line %d", r.Key, first)
				} else {
					keys[r.Key] = n
					pol.Routes = append(pol.Routes, r)
				}
			}
		case "RATELIMIT":
			var rl RateLimit
			if rl, err = parseRateLimit(args, rc); err == nil {
				pol.RateLimit = &rl
			}
		case "IDLE":
			pol.IdleTimeout, err = parseLimitDuration(args)
		case "MAXAGE":
			pol.MaxAge, err = parseLimitDuration(args)
		case "MAXMESSAGE":
			pol.MaxMessageBytes, err = parseSize(args)
		case "SUBPROTOCOLS":
			pol.Subprotocols, err = parseSubprotocols(args)
		case "BACKEND":
			if err = parseBackendURL(args, nil); err == nil {
				backend.URL, backend.Line = args, n
			}
		case "BACKEND_HEADERS":
			var h BackendHeader
			if h, err = parseBackendHeader(args); err == nil {
				backend.Headers = append(backend.Headers, h)
				headerLine = n
			}
		case "SECURITY":
			var (
				sec     Security
				warning string
			)
			if sec, warning, err = parseSecurityLine(args, rc.schemes); err == nil {
				sec.Line = n
				pol.Security = &sec
			}
			if warning != "" {
				warnings = append(warnings, Problem{Line: n, Message: "--#SECURITY: " + warning})
			}
		}
		if err != nil {
			problem("%v", err)
		}
	}
	if pol.RouteSelect == nil {
		for _, r := range pol.Routes {
			if !strings.HasPrefix(r.Key, "$") {
				problems = append(problems, Problem{Line: r.Line, Message: fmt.Sprintf(
					"--#ROUTE: route %s matches a route value, and there is no --#ROUTESELECT to select one", Elide(r.Key))})
			}
		}
	}
	switch {
	case backend.URL != "":
		backend.Filter = hasCode(script)
		pol.Backend = &backend
	case headerLine > 0:
		problems = append(problems, Problem{Line: headerLine, Message: "--#BACKEND_HEADERS: the endpoint has no --#BACKEND"})
	}
	return pol, seen, problems, warnings
}

func isHeaderWord(w string) bool {
	for _, k := range headerWords {
		if k == w {
			return true
		}
	}
	return false
}

// applyDefaults fills what the endpoint left to the solution's defaults.
func applyDefaults(pol *Policy, d *resolvedConfig) {
	if pol.Security == nil {
		pol.Security = d.security
	}
	if pol.RateLimit == nil {
		pol.RateLimit = d.rateLimit
	}
	if pol.IdleTimeout == nil {
		pol.IdleTimeout = d.idle
	}
	if pol.MaxAge == nil {
		pol.MaxAge = d.maxAge
	}
}

// parseRoute reads "<key> <module>.<function>".
func parseRoute(args string, line int) (Route, error) {
	f := strings.Fields(args)
	if len(f) != 2 {
		return Route{}, fmt.Errorf("write --#ROUTE <key> <module>.<function>, got %q", Elide(args))
	}
	key, target := f[0], f[1]
	if strings.HasPrefix(key, "$") {
		switch key {
		case RouteConnect, RouteDisconnect, RouteDefault, RouteRateLimited:
		default:
			return Route{}, fmt.Errorf("unknown reserved route %s: the reserved routes are %s, %s, %s and %s",
				Elide(key), RouteConnect, RouteDisconnect, RouteDefault, RouteRateLimited)
		}
	}
	module, fn, err := parseTarget(target)
	if err != nil {
		return Route{}, fmt.Errorf("route %s: %w", Elide(key), err)
	}
	return Route{Key: key, Module: module, Function: fn, Line: line}, nil
}

// parseTarget reads "<module>.<function>", what a route or a script check
// calls.
func parseTarget(target string) (module, fn string, err error) {
	dot := strings.LastIndexByte(target, '.')
	if dot < 0 {
		return "", "", fmt.Errorf("%q names no function: write <module>.<function>", Elide(target))
	}
	module, fn = target[:dot], target[dot+1:]
	if err := CheckModuleName(module); err != nil {
		return "", "", err
	}
	if !functionNameRE.MatchString(fn) {
		return "", "", fmt.Errorf("invalid function name %q: use a Lua name", Elide(fn))
	}
	return module, fn, nil
}

// parseRateLimit reads what follows --#RATELIMIT: "off", a policy name of
// rc, the platform's bare number of requests a minute ("0" for no limit),
// or "<n>/<window> [burst <b>] [code <status>] [message "<text>"]
// [then drop|close]".
func parseRateLimit(args string, rc *resolvedConfig) (RateLimit, error) {
	if args == "off" {
		return RateLimit{Off: true}, nil
	}
	if perMinuteRE.MatchString(args) {
		n, err := strconv.Atoi(args)
		if err != nil {
			return RateLimit{}, fmt.Errorf("%q requests a minute: too many", Elide(args))
		}
		if n == 0 {
			return RateLimit{Off: true}, nil
		}
		return RateLimit{Requests: n, Window: time.Minute, Code: DefaultRateLimitCode, Message: DefaultRateLimitMessage}, nil
	}
	if !strings.Contains(args, "/") {
		if args == "" {
			return RateLimit{}, fmt.Errorf("write <n>/<window>, off or a policy name")
		}
		p, ok := rc.policies[args]
		if !ok {
			return RateLimit{}, fmt.Errorf("unknown rate policy %q: %s", Elide(args), rc.policyNames())
		}
		return p, nil
	}
	rate, rest, _ := strings.Cut(args, " ")
	n, window, _ := strings.Cut(rate, "/")
	rl := RateLimit{Code: DefaultRateLimitCode, Message: DefaultRateLimitMessage}
	var err error
	if rl.Requests, err = strconv.Atoi(n); err != nil || rl.Requests < 1 {
		return RateLimit{}, fmt.Errorf("requests %q: a whole number from 1", Elide(n))
	}
	if rl.Window, err = parseDuration(window); err != nil {
		return RateLimit{}, fmt.Errorf("window: %w", err)
	}
	seen := map[string]bool{}
	for rest = strings.TrimSpace(rest); rest != ""; rest = strings.TrimSpace(rest) {
		opt, after, _ := strings.Cut(rest, " ")
		after = strings.TrimSpace(after)
		if seen[opt] {
			return RateLimit{}, fmt.Errorf("%s given twice", Elide(opt))
		}
		seen[opt] = true
		var value string
		if opt == "message" {
			value, err = strconv.QuotedPrefix(after)
			if err != nil {
				return RateLimit{}, fmt.Errorf(`message: write message "<text>", in double quotes`)
			}
			rest = after[len(value):]
			value, _ = strconv.Unquote(value)
		} else {
			value, rest, _ = strings.Cut(after, " ")
		}
		if err := rl.set(opt, value); err != nil {
			return RateLimit{}, err
		}
	}
	return rl, nil
}

// set applies one option of a rate limit, from a header line or a policy
// in the solution's config.
func (rl *RateLimit) set(opt, value string) error {
	switch opt {
	case "burst":
		b, err := strconv.Atoi(value)
		if err != nil || b < 1 {
			return fmt.Errorf("burst %q: a whole number from 1", Elide(value))
		}
		rl.Burst = b
	case "code":
		c, err := strconv.Atoi(value)
		if err != nil || c < 100 || c > 4999 {
			return fmt.Errorf("code %q: a status from 100 to 4999", Elide(value))
		}
		rl.Code = c
	case "message":
		if len(value) > maxCloseReasonBytes {
			return fmt.Errorf("message of %d bytes: at most %d, what a close frame's reason may hold", len(value), maxCloseReasonBytes)
		}
		rl.Message = value
	case "then":
		switch value {
		case "drop":
			rl.Close = false
		case "close":
			rl.Close = true
		default:
			return fmt.Errorf("then %q: drop or close", Elide(value))
		}
	default:
		return fmt.Errorf("unknown option %q: the options are burst, code, message and then", Elide(opt))
	}
	return nil
}

// perMinuteRE is the platform's --#RATELIMIT: a number of requests a
// minute. Policy names start with a letter, so one is never taken for it.
var perMinuteRE = regexp.MustCompile(`^[0-9]+$`)

// durationRE is a duration as policies write it: a number, or none for 1,
// and a unit.
var durationRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)?(ms|s|min|m|h)$`)

// maxDuration bounds every policy duration, so that no arithmetic on one
// overflows.
const maxDuration = 365 * 24 * time.Hour

// parseDuration reads "s", "10s", "min", "5min", "1.5min", "2h", "250ms".
func parseDuration(s string) (time.Duration, error) {
	m := durationRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not a duration: write a number and a unit of ms, s, min or h (90s, 5min, h)", Elide(s))
	}
	n := 1.0
	if m[1] != "" {
		n, _ = strconv.ParseFloat(m[1], 64)
	}
	unit := map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "min": time.Minute, "m": time.Minute, "h": time.Hour}[m[2]]
	if n*float64(unit) > float64(maxDuration) {
		return 0, fmt.Errorf("%q is longer than a year", Elide(s))
	}
	d := time.Duration(n * float64(unit))
	if d < time.Millisecond {
		return 0, fmt.Errorf("%q is shorter than a millisecond", Elide(s))
	}
	return d, nil
}

// parseLimitDuration reads an idle timeout or age: a duration, or "0" or
// "off" for none.
func parseLimitDuration(s string) (*time.Duration, error) {
	var d time.Duration
	if s != "0" && s != "off" {
		var err error
		if d, err = parseDuration(s); err != nil {
			return nil, err
		}
	}
	return &d, nil
}

// sizeRE is a size: a whole number and an optional unit.
var sizeRE = regexp.MustCompile(`^([0-9]{1,12})(B|KB|KiB|MB|MiB|GB|GiB)?$`)

// parseSize reads "65536", "64KiB", "1MiB".
func parseSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not a size: write bytes, or a number and KiB or MiB (64KiB)", Elide(s))
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	n *= map[string]int64{"": 1, "B": 1, "KB": 1000, "KiB": 1 << 10, "MB": 1000 * 1000, "MiB": 1 << 20, "GB": 1000 * 1000 * 1000, "GiB": 1 << 30}[m[2]]
	if n < 1 {
		return 0, fmt.Errorf("%q: a size of at least one byte", Elide(s))
	}
	return n, nil
}

// parseSubprotocols reads "p1,p2", each an HTTP token, none twice.
func parseSubprotocols(s string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if !tokenRE.MatchString(p) {
			return nil, fmt.Errorf("%q is not a subprotocol name: write names separated by commas", Elide(p))
		}
		for _, q := range out {
			if q == p {
				return nil, fmt.Errorf("%s is listed twice", Elide(p))
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// endpointPolicy parses e's policy lines and checks that every route names
// a module of the solution. Whether the module exports the function is
// only known by running it, which the runtime does.
func endpointPolicy(e Endpoint, rc *resolvedConfig, modules map[string]string) (Policy, Problems, Problems) {
	pol, lines, problems, warnings := parsePolicy(e.Script, rc)
	if e.IsHTTP() {
		problems = append(problems, checkHTTPPolicy(&pol, lines)...)
		if pol.RateLimit == nil {
			pol.RateLimit = rc.httpRateLimit
		}
	} else {
		applyDefaults(&pol, rc)
	}
	for _, r := range pol.Routes {
		if _, ok := modules[r.Module]; !ok {
			problems = append(problems, Problem{Line: r.Line, Message: fmt.Sprintf(
				"--#ROUTE %s: no module %s in the solution (modules/%s.lua)", Elide(r.Key), r.Module, strings.ReplaceAll(r.Module, ".", "/"))})
		}
	}
	if sec := pol.Security; sec != nil && sec.Scheme == SecurityScript {
		if _, ok := modules[sec.Module]; !ok {
			problems = append(problems, Problem{Line: sec.Line, Message: fmt.Sprintf(
				"--#SECURITY script %s.%s: no module %s in the solution (modules/%s.lua)", sec.Module, sec.Function, sec.Module, strings.ReplaceAll(sec.Module, ".", "/"))})
		}
	}
	if b := pol.Backend; b != nil {
		if pat, err := ParsePattern(e.Path); err == nil {
			if err := parseBackendURL(b.URL, append([]string{}, pat.Params...)); err != nil {
				problems = append(problems, Problem{Line: b.Line, Message: "--#BACKEND: " + err.Error()})
			}
		}
	}
	for i := range problems {
		problems[i].File = e.Key()
	}
	for i := range warnings {
		warnings[i].File = e.Key()
	}
	return pol, problems, warnings
}

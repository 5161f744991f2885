package scripts

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ConfigFile is where a project keeps the solution's Config, and the file
// problems with the config name however it was deployed.
const ConfigFile = ServicesDir + "/websocket.yaml"

// Config is the solution's WebSocket service configuration: named rate
// policies endpoints refer to with "--#RATELIMIT <name>", and defaults for
// endpoints without a line of their own.
type Config struct {
	Policies map[string]RatePolicy `json:"policies" yaml:"policies,omitempty"`
	Defaults Defaults              `json:"defaults" yaml:"defaults,omitempty"`
}

// RatePolicy is a named rate limit, written as in services/websocket.yaml.
type RatePolicy struct {
	Requests  int    `json:"requests" yaml:"requests"`
	Window    string `json:"window" yaml:"window"`
	Burst     int    `json:"burst,omitempty" yaml:"burst,omitempty"`
	ErrorCode int    `json:"error_code,omitempty" yaml:"error_code,omitempty"`
	Message   string `json:"message,omitempty" yaml:"message,omitempty"`
	Then      string `json:"then,omitempty" yaml:"then,omitempty"`
}

// Defaults apply to every endpoint that has no header line of its own for
// them. RateLimit is what may follow --#RATELIMIT: a policy name, "off" or
// "<n>/<window> ..."; the durations are written as --#IDLE's.
type Defaults struct {
	RateLimit        string `json:"rate_limit,omitempty" yaml:"rate_limit,omitempty"`
	IdleTimeout      string `json:"idle_timeout,omitempty" yaml:"idle_timeout,omitempty"`
	MaxConnectionAge string `json:"max_connection_age,omitempty" yaml:"max_connection_age,omitempty"`
}

// Empty reports whether c configures nothing: a project then needs no
// ConfigFile.
func (c Config) Empty() bool { return len(c.Policies) == 0 && c.Defaults == (Defaults{}) }

// clone copies c's map, so a derived solution cannot change the live one.
func (c Config) clone() Config {
	c.Policies = maps.Clone(c.Policies)
	if c.Policies == nil {
		c.Policies = map[string]RatePolicy{}
	}
	return c
}

// resolvedConfig is a checked Config in the form header lines use.
type resolvedConfig struct {
	policies map[string]RateLimit
	// The defaults; nil where the server's apply.
	rateLimit    *RateLimit
	idle, maxAge *time.Duration
	// The schemes WebserviceFile declares, by name, and its default;
	// nil where the server's applies.
	schemes  map[string]Security
	security *Security
	// httpRateLimit is WebserviceFile's rate_limit: the HTTP endpoints'
	// default; nil for none.
	httpRateLimit *RateLimit
}

// policyNameRE keeps policy names apart from the other forms a
// --#RATELIMIT line takes.
var policyNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// resolve checks c. Each problem is in ConfigFile, and its message starts
// with the key at fault ("policies.standard.window: ..."), which a project
// reader turns into the line.
func (c Config) resolve() (*resolvedConfig, Problems) {
	rc := &resolvedConfig{policies: make(map[string]RateLimit, len(c.Policies))}
	var problems Problems
	add := func(key string, err error) {
		problems = append(problems, Problem{File: ConfigFile, Message: key + ": " + err.Error()})
	}
	for _, name := range slices.Sorted(maps.Keys(c.Policies)) {
		key := "policies." + name
		if !policyNameRE.MatchString(name) || name == "off" {
			add(key, fmt.Errorf("invalid policy name %q: use letters, digits, _ and -, and not off", Elide(name)))
			continue
		}
		p := c.Policies[name]
		rl := RateLimit{Requests: p.Requests, Code: DefaultRateLimitCode, Message: DefaultRateLimitMessage}
		ok := true
		if p.Requests < 1 {
			add(key+".requests", fmt.Errorf("%d: a whole number from 1", p.Requests))
			ok = false
		}
		var err error
		if rl.Window, err = parseDuration(p.Window); err != nil {
			add(key+".window", err)
			ok = false
		}
		for _, opt := range []struct{ name, key, value string }{
			{"burst", "burst", itoaOrEmpty(p.Burst)},
			{"code", "error_code", itoaOrEmpty(p.ErrorCode)},
			{"message", "message", p.Message},
			{"then", "then", p.Then},
		} {
			if opt.value == "" {
				continue
			}
			if err := rl.set(opt.name, opt.value); err != nil {
				add(key+"."+opt.key, err)
				ok = false
			}
		}
		if ok {
			rc.policies[name] = rl
		}
	}
	if v := c.Defaults.RateLimit; v != "" {
		if rl, err := parseRateLimit(v, rc); err != nil {
			add("defaults.rate_limit", err)
		} else {
			rc.rateLimit = &rl
		}
	}
	for _, d := range []struct {
		key, value string
		to         **time.Duration
	}{
		{"defaults.idle_timeout", c.Defaults.IdleTimeout, &rc.idle},
		{"defaults.max_connection_age", c.Defaults.MaxConnectionAge, &rc.maxAge},
	} {
		if d.value == "" {
			continue
		}
		v, err := parseLimitDuration(d.value)
		if err != nil {
			add(d.key, err)
			continue
		}
		*d.to = v
	}
	return rc, problems
}

func itoaOrEmpty(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// policyNames lists the defined policies for an error about an unknown one.
func (rc *resolvedConfig) policyNames() string {
	if len(rc.policies) == 0 {
		return "no rate policies are defined (" + ConfigFile + " defines them)"
	}
	return "the policies in " + ConfigFile + " are " + strings.Join(slices.Sorted(maps.Keys(rc.policies)), ", ")
}

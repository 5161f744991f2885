package scripts

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// EventHandlerWebsocketInfo is the name under which the custom event handler
// is stored. A script stored under it must define the global function
// HandlerFunction, which then receives every event of every endpoint.
const EventHandlerWebsocketInfo = "websocket_info"

// HandlerFunction is the global the custom event handler must define.
const HandlerFunction = "handle_websocket_websocket_info"

// Endpoint is a path pattern and the Lua script that runs for it: on each
// event of a WebSocket connection to it, or, for an HTTP endpoint, on each
// request with its method.
type Endpoint struct {
	// Method is "" for a WebSocket endpoint, else one of HTTPMethods.
	// Normalize makes "WEBSOCKET" "" and upper-cases the others.
	Method string `json:"method,omitempty"`
	// Path is the pattern as declared, for example "/chat/{room}".
	Path string `json:"path"`
	// ContentType is what an HTTP endpoint declares its requests carry
	// ("application/json"); "" declares nothing.
	ContentType string `json:"content_type,omitempty"`
	// Script is the Lua source.
	Script string `json:"script"`
	// UpdatedAt is when the script last changed; storage sets it. The zero
	// value means "not stored yet".
	UpdatedAt time.Time `json:"-"`
}

// MethodWebSocket is how headers and the management API name a WebSocket
// endpoint's method.
const MethodWebSocket = "WEBSOCKET"

// HTTPMethods are the methods an HTTP endpoint may declare.
var HTTPMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// IsHTTP reports whether e is an HTTP endpoint.
func (e Endpoint) IsHTTP() bool { return e.Method != "" }

// MethodName is e's method as headers write it: WEBSOCKET or the HTTP
// method.
func (e Endpoint) MethodName() string {
	if e.Method == "" {
		return MethodWebSocket
	}
	return e.Method
}

// Key identifies e in a solution: its path for a WebSocket endpoint, the
// method, a space and the path for an HTTP one. A path has no space.
func (e Endpoint) Key() string {
	if e.Method == "" {
		return e.Path
	}
	return e.Method + " " + e.Path
}

// EndpointKey is the Key of the endpoint with method (WEBSOCKET, "" or an
// HTTP method, in any case) and path.
func EndpointKey(method, path string) string {
	return Endpoint{Method: normalMethod(method), Path: path}.Key()
}

// normalMethod is method as Normalize stores it.
func normalMethod(method string) string {
	m := strings.ToUpper(method)
	if m == MethodWebSocket {
		return ""
	}
	return m
}

// SHA256 is the hex digest of the script, which lets a client tell whether
// its copy matches the deployed one.
func (e Endpoint) SHA256() string {
	sum := sha256.Sum256([]byte(e.Script))
	var digits [2 * sha256.Size]byte
	hex.Encode(digits[:], sum[:])
	return string(digits[:])
}

// Solution is everything deployed to a gateway.
type Solution struct {
	// Endpoints are shared between a solution and its clones, so that a
	// change of one endpoint of many copies a list of pointers rather
	// than every endpoint: an endpoint a solution holds is never changed
	// through its pointer. PutEndpoints and DeleteEndpoint replace and
	// drop pointers; code that builds a solution of its own endpoints
	// may set their fields until it hands the solution on. A JSON
	// solution may list null as an endpoint: CheckDecoded refuses it.
	Endpoints []*Endpoint `json:"endpoints"`
	// Modules maps a module name ("src.utils") to its Lua source.
	Modules map[string]string `json:"modules"`
	// EventHandlers maps an event handler name to its Lua source. The only
	// name is EventHandlerWebsocketInfo.
	EventHandlers map[string]string `json:"eventhandlers"`
	// Config holds the named rate policies and the defaults of every
	// endpoint: a project's ConfigFile.
	Config Config `json:"config"`
	// Webservice holds the HTTP endpoints' CORS and the security schemes
	// endpoints may name: a project's WebserviceFile.
	Webservice Webservice `json:"webservice,omitzero"`
	// EnvSchema declares the environment os.getenv reads (env_schema in
	// murano.yaml); nil declares nothing.
	EnvSchema *EnvSchema `json:"env_schema,omitempty"`
	// Env holds the environment's values. The management API never
	// answers them: a solution it answers has EnvSHA256 instead. A
	// solution PUT without env keeps the deployed values.
	Env map[string]string `json:"env,omitempty"`
	// EnvSHA256 is EnvDigest of the deployed values, in answers only.
	EnvSHA256 string `json:"env_sha256,omitempty"`
	// Init is the project's InitFile: a script run once after each deploy
	// that changes it.
	Init string `json:"init,omitempty"`
	// Sources says which project file each script came from, keyed by
	// SourceKey, so that its compiled chunk is named after the file and
	// numbered by its lines: run-time errors then read as deploy errors
	// do (endpoints/boom.lua:5: ...). ReadProject sets it; it is not part
	// of the management API's JSON or of what is stored.
	Sources map[string]Source `json:"-"`
}

// Source is where in a project a script starts.
type Source struct {
	File string
	// Line is the file's line of the script's first line.
	Line int
}

// SourceKey is the key of Solution.Sources for a part of the solution:
// kind is "endpoint", "module" or "eventhandler".
func SourceKey(kind, name string) string { return kind + " " + name }

// chunk names the compiled chunk of the part kind name, and gives the
// newlines that put the script's first line at its file's line.
func (s Solution) chunk(kind, name string) (chunkName, pad string) {
	src, ok := s.Sources[SourceKey(kind, name)]
	if !ok {
		return name, ""
	}
	return src.File, strings.Repeat("\n", max(src.Line-1, 0))
}

// CheckDecoded reports an endpoint that decoding JSON left nil, which a
// solution listing null as an endpoint does: the rest of luagate may
// take every endpoint a solution holds to be there.
func (s Solution) CheckDecoded() error {
	if i := slices.Index(s.Endpoints, nil); i >= 0 {
		return fmt.Errorf("%w: endpoints[%d]", ErrNullEndpoint, i)
	}
	return nil
}

// ErrNullEndpoint is a JSON solution that lists null as an endpoint.
var ErrNullEndpoint = errors.New("an endpoint is null")

// Normalize sorts endpoints by path and replaces nil maps with empty ones, so
// that two equal solutions encode to the same JSON.
func (s *Solution) Normalize() {
	for i, e := range s.Endpoints {
		if m := normalMethod(e.Method); m != e.Method {
			cp := *e
			cp.Method = m
			s.Endpoints[i] = &cp
		}
	}
	slices.SortFunc(s.Endpoints, CompareEndpoints)
	if s.Endpoints == nil {
		s.Endpoints = []*Endpoint{}
	}
	if s.Modules == nil {
		s.Modules = map[string]string{}
	}
	if s.EventHandlers == nil {
		s.EventHandlers = map[string]string{}
	}
	if s.Config.Policies == nil {
		s.Config.Policies = map[string]RatePolicy{}
	}
}

// CompareEndpoints is the order Normalize sorts endpoints in: by path,
// then by method (a WebSocket endpoint's "" first). A storage diff walks
// two normalized lists side by side in it.
func CompareEndpoints(a, b *Endpoint) int {
	if c := strings.Compare(a.Path, b.Path); c != 0 {
		return c
	}
	return strings.Compare(a.Method, b.Method)
}

// Clone returns a copy that a caller can change to derive a new revision
// without touching the live one. The endpoints are shared (see
// Solution.Endpoints); everything else is copied.
func (s Solution) Clone() Solution {
	c := Solution{
		Endpoints:     slices.Clone(s.Endpoints),
		Modules:       make(map[string]string, len(s.Modules)),
		EventHandlers: make(map[string]string, len(s.EventHandlers)),
		Config:        s.Config.clone(),
		Webservice:    s.Webservice.clone(),
		EnvSchema:     s.EnvSchema.clone(),
		Env:           maps.Clone(s.Env),
		EnvSHA256:     s.EnvSHA256,
		Init:          s.Init,
		Sources:       maps.Clone(s.Sources),
	}
	for k, v := range s.Modules {
		c.Modules[k] = v
	}
	for k, v := range s.EventHandlers {
		c.EventHandlers[k] = v
	}
	c.Normalize()
	return c
}

// DeepClone is Clone with endpoints of the copy's own, for a caller that
// goes on changing the endpoints it handed on.
func (s Solution) DeepClone() Solution {
	c := s.Clone()
	for i, e := range c.Endpoints {
		cp := *e
		c.Endpoints[i] = &cp
	}
	return c
}

// Endpoint returns the WebSocket endpoint declared with exactly this path.
func (s Solution) Endpoint(path string) (Endpoint, bool) { return s.EndpointByKey(path) }

// EndpointByKey returns the endpoint whose Key is key.
func (s Solution) EndpointByKey(key string) (Endpoint, bool) {
	for _, e := range s.Endpoints {
		if e.Key() == key {
			return *e, true
		}
	}
	return Endpoint{}, false
}

// PutEndpoints adds each of eps, or replaces the endpoint with the same
// Key; of several in eps with one Key, the last wins. It indexes the
// solution once, so putting k endpoints beside n costs n + k, not n times k.
func (s *Solution) PutEndpoints(eps ...Endpoint) {
	if len(eps) <= putScanned {
		s.putScanning(eps)
		return
	}
	at := make(map[string]int, len(s.Endpoints)+len(eps))
	for i, e := range s.Endpoints {
		if _, dup := at[e.Key()]; !dup {
			at[e.Key()] = i
		}
	}
	for _, e := range eps {
		e.Method = normalMethod(e.Method)
		if i, ok := at[e.Key()]; ok {
			s.Endpoints[i] = &e
			continue
		}
		at[e.Key()] = len(s.Endpoints)
		s.Endpoints = append(s.Endpoints, &e)
	}
	s.Normalize()
}

// putScanned is how many endpoints PutEndpoints finds by scanning the
// solution rather than through an index of it, which cost a change of one
// endpoint of a thousand a map of a thousand.
const putScanned = 8

// putScanning is PutEndpoints for a few endpoints.
func (s *Solution) putScanning(eps []Endpoint) {
	for _, e := range eps {
		e.Method = normalMethod(e.Method)
		i := slices.IndexFunc(s.Endpoints, func(o *Endpoint) bool { return sameKey(o, &e) })
		if i < 0 {
			s.Endpoints = append(s.Endpoints, &e)
			continue
		}
		s.Endpoints[i] = &e
	}
	s.Normalize()
}

// sameKey reports whether a and b have one Key, without building the Key
// of a WebSocket endpoint's.
func sameKey(a, b *Endpoint) bool {
	if a.Method == "" && b.Method == "" {
		return a.Path == b.Path
	}
	return a.Key() == b.Key()
}

// DeleteEndpoint removes the endpoint whose Key is key (for a WebSocket
// endpoint, its path) and reports whether there was one.
func (s *Solution) DeleteEndpoint(key string) bool {
	for i := range s.Endpoints {
		if s.Endpoints[i].Key() == key {
			s.Endpoints = append(s.Endpoints[:i], s.Endpoints[i+1:]...)
			return true
		}
	}
	return false
}

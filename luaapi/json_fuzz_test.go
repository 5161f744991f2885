package luaapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/luagate/luagate/luaapi"
)

// FuzzJSONRoundTrip feeds arbitrary text to from_json and the result back
// to to_json, through a real state: nothing may panic, from_json accepts
// exactly the valid JSON documents (but those nested deeper than
// MaxJSONDepth), and what to_json makes of the value is what encoding/json
// makes of the same document read the way from_json reads it.
func FuzzJSONRoundTrip(f *testing.F) {
	for _, seed := range []string{`{"a":[1,2,{"b":null}],"c":"d"}`, `[]`, `{}`, `"x"`, `1e308`, `[[[[[]]]]]`, `{"a":`, `nul`, "\xff",
		`"\ud83d\ude00\ud800x\udc00"`, `{"a":1,"a":null}`, `-0`, `1e-7`, `"<&>\u2028"`, `[1,null,2]`} {
		f.Add(seed)
	}
	vm := luaapi.NewVM(luaapi.Options{Sockets: noSockets{}})
	defer vm.Close()
	proto := compile(f, "fuzz", `local websocketInfo = ...
local v, err = from_json(websocketInfo.message)
if err then return "ERR" end
local s, err2 = to_json(v)
if err2 then return "ENCERR" end
return s`)
	f.Fuzz(func(t *testing.T, in string) {
		p := &peer{}
		ev := newEvent(luaapi.EventData, p)
		ev.Message = []byte(in)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := vm.Run(ctx, &luaapi.Program{Proto: proto}, ev); err != nil {
			t.Fatalf("script failed on %q: %v", in, err)
		}
		if len(p.sent) != 1 {
			t.Fatalf("no reply for %q", in)
		}
		out := p.sent[0]
		var v any
		valid := json.Unmarshal([]byte(in), &v) == nil
		switch {
		case out == "ERR":
			if valid && jsonDepth(in) <= luaapi.MaxJSONDepth {
				t.Fatalf("from_json refused valid JSON %q", in)
			}
		case !valid:
			t.Fatalf("from_json accepted invalid JSON %q", in)
		case out == "ENCERR":
			t.Fatalf("to_json refused what from_json made of %q", in)
		default:
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(asDecoded(v)); err != nil {
				t.Fatal(err)
			}
			if want := strings.TrimSuffix(buf.String(), "\n"); out != want {
				t.Fatalf("to_json(from_json(%q)) = %q, want %q", in, out, want)
			}
		}
	})
}

// asDecoded is v as from_json reads a document into Lua: nulls in arrays
// dropped and null members absent; an empty object stays one.
func asDecoded(v any) any {
	switch v := v.(type) {
	case []any:
		out := []any{}
		for _, e := range v {
			if e != nil {
				out = append(out, asDecoded(e))
			}
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			if e != nil {
				out[k] = asDecoded(e)
			}
		}
		return out
	}
	return v
}

// jsonDepth is how deeply a valid JSON document nests arrays and objects.
func jsonDepth(s string) int {
	depth, most, inString := 0, 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			depth++
			most = max(most, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return most
}

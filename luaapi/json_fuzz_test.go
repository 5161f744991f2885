package luaapi_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/luagate/luagate/luaapi"
)

// FuzzJSONRoundTrip feeds arbitrary text to from_json and the result back
// to to_json, through a real state: nothing may panic, from_json accepts
// exactly the valid JSON documents, and what to_json produces is valid JSON.
func FuzzJSONRoundTrip(f *testing.F) {
	for _, seed := range []string{`{"a":[1,2,{"b":null}],"c":"d"}`, `[]`, `{}`, `"x"`, `1e308`, `[[[[[]]]]]`, `{"a":`, `nul`, "\xff"} {
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
		switch {
		case out == "ERR":
			var v any
			if json.Unmarshal([]byte(in), &v) == nil {
				t.Fatalf("from_json refused valid JSON %q", in)
			}
		case out == "ENCERR":
		case !json.Valid([]byte(out)):
			t.Fatalf("to_json produced invalid JSON %q from %q", out, in)
		}
	})
}

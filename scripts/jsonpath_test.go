package scripts_test

import (
	"errors"
	"testing"

	"github.com/luagate/luagate/scripts"
)

func TestJSONPathSelectsStringsNumbersAndBooleans(t *testing.T) {
	tests := []struct {
		path, msg string
		want      string
		ok        bool
	}{
		{"$.action", `{"action":"join"}`, "join", true},
		{"$.a.b", `{"a":{"b":"deep"}}`, "deep", true},
		{"$.a[1]", `{"a":["x","y"]}`, "y", true},
		{"$['key with space']", `{"key with space":"v"}`, "v", true},
		{"$.a['b c'][0].d", `{"a":{"b c":[{"d":7}]}}`, "7", true},
		{"$.n", `{"n":1.50}`, "1.50", true},
		{"$.t", `{"t":true}`, "true", true},
		{"$[0]", `["first"]`, "first", true},
		{"$.missing", `{"action":"join"}`, "", false},
		{"$.a", `{"a":{"b":1}}`, "", false},
		{"$.a", `{"a":null}`, "", false},
		{"$.a[5]", `{"a":[1]}`, "", false},
		{"$.a", `not json`, "", false},
		{"$.a", `{"a":"x"} trailing`, "", false},
		{"$.a.b", `{"a":"x"}`, "", false},
	}
	for _, tt := range tests {
		p, err := scripts.ParseJSONPath(tt.path)
		if err != nil {
			t.Fatalf("ParseJSONPath(%q): %v", tt.path, err)
		}
		got, ok := p.Select([]byte(tt.msg))
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s on %s = %q, %v; want %q, %v", tt.path, tt.msg, got, ok, tt.want, tt.ok)
		}
	}
}

func TestJSONPathRefusesWhatIsNotInTheSubset(t *testing.T) {
	for _, src := range []string{"", "a.b", "$", "$.", "$..a", "$.*", "$[*]", "$[-1]", "$[01]", "$['a", "$[1", "$.a b", "$[?(@.a)]", "$['it's']"} {
		if _, err := scripts.ParseJSONPath(src); !errors.Is(err, scripts.ErrInvalidJSONPath) {
			t.Errorf("ParseJSONPath(%q) = %v, want ErrInvalidJSONPath", src, err)
		}
	}
}

// FuzzJSONPath checks that parsing never panics, that every refusal wraps
// ErrInvalidJSONPath, and that selecting from any message never panics.
func FuzzJSONPath(f *testing.F) {
	f.Add("$.a.b", `{"a":{"b":"x"}}`)
	f.Add("$.a[0]", `{"a":[1,2]}`)
	f.Add("$['k k'][3]", `{"k k":[true,false,null,"x"]}`)
	f.Add("$[0][0][0]", `[[[1]]]`)
	f.Add("$.é", `{"é":1e400}`)
	f.Fuzz(func(t *testing.T, path, msg string) {
		p, err := scripts.ParseJSONPath(path)
		if err != nil {
			if !errors.Is(err, scripts.ErrInvalidJSONPath) {
				t.Fatalf("error %v does not wrap ErrInvalidJSONPath", err)
			}
			return
		}
		if p.String() != path {
			t.Fatalf("String() = %q, want %q", p.String(), path)
		}
		if v, ok := p.Select([]byte(msg)); !ok && v != "" {
			t.Fatalf("Select returned %q without a value", v)
		}
	})
}

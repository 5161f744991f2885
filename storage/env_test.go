package storage

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/luagate/luagate/scripts"
)

func TestTheEnvironmentAndInitScriptSurviveAReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "luagate.db")
	s, err := Open(path, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	sol := fullSolution()
	sol.Env = map[string]string{"GREETING": "hello", "ROOMS": "4"}
	sol.EnvSchema = &scripts.EnvSchema{Type: "object", Properties: map[string]scripts.EnvVar{"ROOMS": {Type: "integer"}}, Required: []string{"ROOMS"}}
	sol.Init = "print('ready')\n"
	mustSave(t, s, sol)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, path)
	s, err = Open(path, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, _ := mustLoad(t, s)
	if !reflect.DeepEqual(got.Env, sol.Env) || !reflect.DeepEqual(got.EnvSchema, sol.EnvSchema) || got.Init != sol.Init {
		t.Fatalf("loaded env %v, schema %+v, init %q", got.Env, got.EnvSchema, got.Init)
	}
	// A solution without them removes them.
	mustSave(t, s, fullSolution())
	got, _ = mustLoad(t, s)
	if got.Env != nil || got.EnvSchema != nil || got.Init != "" {
		t.Fatalf("after saving a solution without them: env %v, schema %+v, init %q", got.Env, got.EnvSchema, got.Init)
	}
}

package luaapi_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/luagate/luagate/luaapi"
)

// TestStringFunctionsMatchLua51 runs the case files in testdata/lua51 and
// compares what they build with what Lua 5.1.5 built from them.
func TestStringFunctionsMatchLua51(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/lua51/*.lua")
	if len(files) == 0 {
		t.Fatal("no case files")
	}
	vm := luaapi.NewVM(luaapi.Options{Sockets: noSockets{}})
	defer vm.Close()
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			golden, err := os.ReadFile(strings.TrimSuffix(file, ".lua") + ".golden")
			if err != nil {
				t.Fatal(err)
			}
			// A reply must be UTF-8, and some results are not: both sides
			// write bytes from 128 up as \NNN.
			got, err := runOn(t, vm, string(src)+`
local out = {}
for i = 1, #RESULT do
  local b = RESULT:byte(i)
  out[i] = b >= 128 and ("\\" .. b) or string.char(b)
end
return table.concat(out)`, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Split(strings.TrimSuffix(escapeHigh(golden), "\n"), "\n")
			lines := strings.Split(got, "\n")
			for i := range max(len(lines), len(want)) {
				if i >= len(lines) || i >= len(want) || lines[i] != want[i] {
					t.Errorf("line %d differs from Lua 5.1:\n got: %q\nwant: %q", i+1, at(lines, i), at(want, i))
				}
			}
		})
	}
}

func at(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(none)"
}

// escapeHigh writes the bytes of b from 128 up as \NNN, as the Lua side of
// TestStringFunctionsMatchLua51 does.
func escapeHigh(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c >= 128 {
			fmt.Fprintf(&sb, "\\%d", c)
			continue
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

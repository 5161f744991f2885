package files

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/luagate/luagate/scripts"
)

// MaxNameBytes bounds a file name.
const MaxNameBytes = 255

// CheckName refuses a name that is not one path element: empty, longer
// than MaxNameBytes, holding "..", a slash, a backslash, NUL or another
// control character, or not UTF-8.
func CheckName(name string) error {
	switch {
	case name == "" || len(name) > MaxNameBytes:
		return fmt.Errorf("%w: a name has 1 to %d bytes, this one %d", ErrBadName, MaxNameBytes, len(name))
	case name == "." || strings.Contains(name, ".."):
		return fmt.Errorf("%w: %q is \".\" or holds \"..\"", ErrBadName, scripts.Elide(name))
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("%w: %q holds a slash or a backslash: a name is one path element", ErrBadName, scripts.Elide(name))
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: a name must be UTF-8", ErrBadName)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: %q holds a control character", ErrBadName, scripts.Elide(name))
		}
	}
	return nil
}

// inside joins dir and the checked names and makes sure the result, once
// cleaned, is still below dir: the last guard, should a check ever miss.
func inside(dir string, names ...string) (string, error) {
	for _, n := range names {
		if err := CheckName(n); err != nil {
			return "", err
		}
	}
	p := filepath.Clean(filepath.Join(append([]string{dir}, names...)...))
	if !strings.HasPrefix(p, dir+string(os.PathSeparator)) {
		return "", fmt.Errorf("%w: the path leaves the files directory", ErrBadName)
	}
	return p, nil
}

package scripts

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a solution, located so that an editor can
// jump to it. File is the endpoint path, module name or event handler name
// the problem is in (or a project file name when read from disk); Line is
// 1-based, or 0 when the problem is not about one line.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	if p.File == "" {
		return p.Message
	}
	return fmt.Sprintf("%s: %s", p.File, p.Message)
}

// Problems is every problem found in one check: a deploy reports all of them
// at once rather than stopping at the first.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// orNil keeps a nil Problems from becoming a non-nil error interface.
func (ps Problems) orNil() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// Error lets a single Problem travel as an error.
func (p Problem) Error() string { return p.String() }

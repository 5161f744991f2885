package scripts

import (
	"regexp"
	"slices"
	"strings"
)

// headerRE is the endpoint header of the project format: a Lua comment
// "--#ENDPOINT METHOD /path" followed by an optional content type (HTTP
// endpoints) or description.
var headerRE = regexp.MustCompile(`^--#ENDPOINT (\S+) (\S+)( (.*))?$`)

// mediaTypeRE is a content type as an HTTP endpoint's header declares it.
var mediaTypeRE = regexp.MustCompile(`^[!#$%&'*+.^_|~0-9A-Za-z-]+/[!#$%&'*+.^_|~0-9A-Za-z-]+(;\S*)?$`)

// ParseEndpoints splits Lua source into the endpoints its "--#ENDPOINT
// WEBSOCKET /path" and "--#ENDPOINT GET /path [content-type]" headers
// declare. Each header starts a new endpoint whose
// script runs to the next header and includes the header line, so line
// numbers in errors count from the header. Text before the first header must
// be blank or comments. file names the source in problems, which all come
// back at once as Problems.
func ParseEndpoints(file, src string) ([]Endpoint, error) {
	located, err := parseEndpoints(file, src)
	eps := make([]Endpoint, len(located))
	for i, l := range located {
		eps[i] = l.Endpoint
	}
	return eps, err
}

// locatedEndpoint is an endpoint with the 1-based line of its header in the
// file it came from, so that problems in its script can point into that file.
type locatedEndpoint struct {
	Endpoint
	Line int
}

func parseEndpoints(file, src string) ([]locatedEndpoint, error) {
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	var (
		eps       []locatedEndpoint
		problems  Problems
		start     = -1 // line index of the current header, -1 before the first
		path      string
		method    string
		ctype     string
		supported bool
		stray     bool // code before the first header was reported
	)
	flush := func(end int) {
		if start < 0 || !supported {
			return
		}
		script := strings.Join(lines[start:end], "\n")
		// Every line before the next header ends with a newline; only the
		// last endpoint may already end with one, from the file's own.
		if end < len(lines) || !strings.HasSuffix(script, "\n") {
			script += "\n"
		}
		eps = append(eps, locatedEndpoint{Endpoint{Method: method, Path: path, ContentType: ctype, Script: script}, start + 1})
	}
	for i, line := range lines {
		trimmed := strings.TrimRight(line, " \t\r")
		m := headerRE.FindStringSubmatch(trimmed)
		if m == nil {
			if start < 0 && !stray && !isBlankOrComment(trimmed) {
				problems = append(problems, Problem{File: file, Line: i + 1, Message: "code before the first --#ENDPOINT header"})
				stray = true
			}
			continue
		}
		flush(i)
		start, path, method, ctype = i, m[2], normalMethod(m[1]), ""
		supported = method == "" || slices.Contains(HTTPMethods, method)
		if !supported {
			problems = append(problems, Problem{File: file, Line: i + 1,
				Message: "method " + Elide(m[1]) + " is not supported: the methods are WEBSOCKET, " + strings.Join(HTTPMethods, ", ")})
		}
		if f := strings.Fields(m[4]); method != "" && len(f) > 0 && mediaTypeRE.MatchString(f[0]) {
			ctype = f[0]
		}
		lines[i] = trimmed
	}
	flush(len(lines))
	if len(eps) == 0 && len(problems) == 0 {
		problems = append(problems, Problem{File: file, Line: 1, Message: "no --#ENDPOINT WEBSOCKET /path or --#ENDPOINT GET /path header"})
	}
	return eps, problems.orNil()
}

func isBlankOrComment(line string) bool {
	t := strings.TrimSpace(line)
	return t == "" || strings.HasPrefix(t, "--")
}

// headerLineRE is a policy header line: "--#WORD arguments".
var headerLineRE = regexp.MustCompile(`^--#([A-Za-z_]+)(?:[ \t]+(.*))?$`)

// headerLine is one "--#WORD arguments" line of a script's header.
type headerLine struct {
	line       int // 1-based, in the script
	word, args string
}

// headerLines lists the "--#" lines of script before its first line of
// code, where the --#ENDPOINT header and the lines after it live.
func headerLines(script string) []headerLine {
	var out []headerLine
	n := 0
	for line := range strings.Lines(script) {
		n++
		line = strings.TrimRight(line, " \t\r\n")
		if !isBlankOrComment(line) {
			break
		}
		if m := headerLineRE.FindStringSubmatch(line); m != nil {
			out = append(out, headerLine{line: n, word: m[1], args: strings.TrimSpace(m[2])})
		}
	}
	return out
}

package scripts_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/luagate/luagate/scripts"
)

// endpoints is a compact way to write the endpoints a test expects: path,
// script, path, script, ...
func endpoints(pathsAndScripts ...string) []scripts.Endpoint {
	var eps []scripts.Endpoint
	for i := 0; i+1 < len(pathsAndScripts); i += 2 {
		eps = append(eps, scripts.Endpoint{Path: pathsAndScripts[i], Script: pathsAndScripts[i+1]})
	}
	return eps
}

func TestParseEndpointsSplitsAFileAtEachHeader(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []scripts.Endpoint
	}{
		{
			name: "one endpoint",
			src:  "--#ENDPOINT WEBSOCKET /echo\nwebsocket.send(1)\n",
			want: endpoints("/echo", "--#ENDPOINT WEBSOCKET /echo\nwebsocket.send(1)\n"),
		},
		{
			name: "one endpoint without final newline",
			src:  "--#ENDPOINT WEBSOCKET /echo\nwebsocket.send(1)",
			want: endpoints("/echo", "--#ENDPOINT WEBSOCKET /echo\nwebsocket.send(1)\n"),
		},
		{
			name: "header only",
			src:  "--#ENDPOINT WEBSOCKET /empty",
			want: endpoints("/empty", "--#ENDPOINT WEBSOCKET /empty\n"),
		},
		{
			name: "several endpoints, each keeping its header line",
			src: "--#ENDPOINT WEBSOCKET /echo\n" +
				"local a = 1\n" +
				"--#ENDPOINT WEBSOCKET /chat/{room}\n" +
				"local b = 2\n" +
				"local c = 3\n" +
				"--#ENDPOINT WEBSOCKET /last\n",
			want: endpoints(
				"/echo", "--#ENDPOINT WEBSOCKET /echo\nlocal a = 1\n",
				"/chat/{room}", "--#ENDPOINT WEBSOCKET /chat/{room}\nlocal b = 2\nlocal c = 3\n",
				"/last", "--#ENDPOINT WEBSOCKET /last\n",
			),
		},
		{
			name: "blank lines between endpoints stay with the one above",
			src:  "--#ENDPOINT WEBSOCKET /a\nx()\n\n\n--#ENDPOINT WEBSOCKET /b\ny()\n",
			want: endpoints(
				"/a", "--#ENDPOINT WEBSOCKET /a\nx()\n\n\n",
				"/b", "--#ENDPOINT WEBSOCKET /b\ny()\n",
			),
		},
		{
			name: "CRLF line endings",
			src:  "--#ENDPOINT WEBSOCKET /a\r\nx()\r\n--#ENDPOINT WEBSOCKET /b\r\ny()\r\n",
			want: endpoints(
				"/a", "--#ENDPOINT WEBSOCKET /a\nx()\n",
				"/b", "--#ENDPOINT WEBSOCKET /b\ny()\n",
			),
		},
		{
			name: "trailing spaces after the header",
			src:  "--#ENDPOINT WEBSOCKET /echo  \t \nx()\n",
			want: endpoints("/echo", "--#ENDPOINT WEBSOCKET /echo\nx()\n"),
		},
		{
			name: "header after comments and blank lines",
			src: "-- chat.lua: the chat endpoints\n" +
				"\n" +
				"   -- indented comment\n" +
				"--[[ a one-line block comment ]]\n" +
				"--#ENDPOINT WEBSOCKET /chat\n" +
				"x()\n",
			want: endpoints("/chat", "--#ENDPOINT WEBSOCKET /chat\nx()\n"),
		},
		{
			name: "lowercase method",
			src:  "--#ENDPOINT websocket /echo\nx()\n",
			want: endpoints("/echo", "--#ENDPOINT websocket /echo\nx()\n"),
		},
		{
			name: "mixed-case method",
			src:  "--#ENDPOINT WebSocket /echo\nx()\n",
			want: endpoints("/echo", "--#ENDPOINT WebSocket /echo\nx()\n"),
		},
		{
			name: "description after the path is ignored",
			src:  "--#ENDPOINT WEBSOCKET /x some text about it\nx()\n",
			want: endpoints("/x", "--#ENDPOINT WEBSOCKET /x some text about it\nx()\n"),
		},
		{
			name: "path is taken as written, checked later by ParsePattern",
			src:  "--#ENDPOINT WEBSOCKET nope\nx()\n",
			want: endpoints("nope", "--#ENDPOINT WEBSOCKET nope\nx()\n"),
		},
		{
			name: "a header inside a script is a new endpoint",
			src:  "--#ENDPOINT WEBSOCKET /a\nlocal s = [[\n--#ENDPOINT WEBSOCKET /b\n]]\n",
			want: endpoints(
				"/a", "--#ENDPOINT WEBSOCKET /a\nlocal s = [[\n",
				"/b", "--#ENDPOINT WEBSOCKET /b\n]]\n",
			),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scripts.ParseEndpoints("chat.lua", tt.src)
			if err != nil {
				t.Fatalf("ParseEndpoints: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ParseEndpoints(%q)\n got  %q\n want %q", tt.src, got, tt.want)
			}
		})
	}
}

func TestParseEndpointsReportsEveryProblemAtOnceWithFileAndLine(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want scripts.Problems
		// wantEndpoints are the paths still returned beside the problems.
		wantEndpoints []string
	}{
		{
			name: "CONNECT method",
			src:  "--#ENDPOINT CONNECT /x\nx()\n",
			want: scripts.Problems{{File: "f.lua", Line: 1, Message: "method CONNECT is not supported: the methods are WEBSOCKET, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"}},
		},
		{
			name: "unknown method in the middle of a file",
			src:  "--#ENDPOINT WEBSOCKET /a\nx()\n\n--#ENDPOINT TRACE /b\ny()\n--#ENDPOINT WEBSOCKET /c\n",
			want: scripts.Problems{{File: "f.lua", Line: 4, Message: "method TRACE is not supported: the methods are WEBSOCKET, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"}},
			// The script under the TRACE header belongs to no endpoint.
			wantEndpoints: []string{"/a", "/c"},
		},
		{
			name: "code before the first header",
			src:  "-- fine\nlocal x = 1\nlocal y = 2\n--#ENDPOINT WEBSOCKET /a\nx()\n",
			want: scripts.Problems{{File: "f.lua", Line: 2, Message: "code before the first --#ENDPOINT header"}},
			// Reported once, at the first such line.
			wantEndpoints: []string{"/a"},
		},
		{
			name: "no header at all",
			src:  "local x = 1\n",
			want: scripts.Problems{
				{File: "f.lua", Line: 1, Message: "code before the first --#ENDPOINT header"},
			},
		},
		{
			name: "only comments",
			src:  "-- nothing here\n",
			want: scripts.Problems{{File: "f.lua", Line: 1, Message: "no --#ENDPOINT WEBSOCKET /path or --#ENDPOINT GET /path header"}},
		},
		{
			name: "empty file",
			src:  "",
			want: scripts.Problems{{File: "f.lua", Line: 1, Message: "no --#ENDPOINT WEBSOCKET /path or --#ENDPOINT GET /path header"}},
		},
		{
			name: "header without a path is not a header",
			src:  "--#ENDPOINT WEBSOCKET\nx()\n",
			want: scripts.Problems{{File: "f.lua", Line: 2, Message: "code before the first --#ENDPOINT header"}},
		},
		{
			name: "all problems of a file together",
			src: "print('stray')\n" +
				"--#ENDPOINT FETCH /a\n" +
				"--#ENDPOINT WEBSOCKET /ok\n" +
				"x()\n" +
				"--#ENDPOINT trace /b\n",
			want: scripts.Problems{
				{File: "f.lua", Line: 1, Message: "code before the first --#ENDPOINT header"},
				{File: "f.lua", Line: 2, Message: "method FETCH is not supported: the methods are WEBSOCKET, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"},
				{File: "f.lua", Line: 5, Message: "method trace is not supported: the methods are WEBSOCKET, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"},
			},
			wantEndpoints: []string{"/ok"},
		},
		{
			name: "CRLF lines are counted once",
			src:  "--#ENDPOINT WEBSOCKET /a\r\nx()\r\n--#ENDPOINT TRACE /b\r\n",
			want: scripts.Problems{
				{File: "f.lua", Line: 3, Message: "method TRACE is not supported: the methods are WEBSOCKET, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"},
			},
			wantEndpoints: []string{"/a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scripts.ParseEndpoints("f.lua", tt.src)
			if err == nil {
				t.Fatalf("ParseEndpoints(%q) = %q, want problems", tt.src, got)
			}
			var ps scripts.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error %T %v is not scripts.Problems", err, err)
			}
			if !slices.Equal(ps, tt.want) {
				t.Errorf("problems\n got  %q\n want %q", ps, tt.want)
			}
			var paths []string
			for _, e := range got {
				paths = append(paths, e.Path)
			}
			if !slices.Equal(paths, tt.wantEndpoints) {
				t.Errorf("endpoints = %q, want %q", paths, tt.wantEndpoints)
			}
		})
	}
}

// joinScripts is the file that declares eps, as an editor exports it.
func joinScripts(eps []scripts.Endpoint) string {
	var b strings.Builder
	for _, e := range eps {
		b.WriteString(e.Script)
	}
	return b.String()
}

func TestParseEndpointsGivesBackTheSameScriptsFromTheirConcatenation(t *testing.T) {
	for _, src := range []string{
		"--#ENDPOINT WEBSOCKET /a\nx()\n\n\n--#ENDPOINT WEBSOCKET /b\n\n",
		"--#ENDPOINT WEBSOCKET /a\n--#ENDPOINT WEBSOCKET /b\n--#ENDPOINT WEBSOCKET /c",
		"-- intro\n--#ENDPOINT WEBSOCKET /a x\r\ny()\r\n\r\n--#ENDPOINT websocket /b  \n",
	} {
		first, err := scripts.ParseEndpoints("f.lua", src)
		if err != nil {
			t.Fatalf("ParseEndpoints(%q): %v", src, err)
		}
		again, err := scripts.ParseEndpoints("f.lua", joinScripts(first))
		if err != nil {
			t.Fatalf("ParseEndpoints(joined %q): %v", src, err)
		}
		if !slices.Equal(again, first) {
			t.Errorf("parsing the joined scripts of %q\n got  %q\n want %q", src, again, first)
		}
	}
}

func TestParseEndpointsProblemsPrintAsFileLineMessage(t *testing.T) {
	_, err := scripts.ParseEndpoints("f.lua", "x()\n--#ENDPOINT TRACE /a\n")
	want := "f.lua:1: code before the first --#ENDPOINT header\n" +
		"f.lua:2: method TRACE is not supported: the methods are WEBSOCKET, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want\n%s", err, want)
	}
}

// FuzzParseEndpoints checks that ParseEndpoints never panics, that every
// endpoint it returns starts with the header that declared it, and that
// every error is Problems with a line in the file.
func FuzzParseEndpoints(f *testing.F) {
	f.Add("--#ENDPOINT WEBSOCKET /echo\nwebsocket.send(1)\n")
	f.Add("--#ENDPOINT WEBSOCKET /a\r\nx()\r\n--#ENDPOINT websocket /b/{id} text\r\n")
	f.Add("-- intro\n\n--#ENDPOINT WEBSOCKET /x   \nx()")
	f.Add("x()\n--#ENDPOINT GET /a\n--#ENDPOINT WEBSOCKET /ok\n")
	f.Add("")
	f.Add("\r\r\n--#ENDPOINT WEBSOCKET /\r")
	f.Fuzz(func(t *testing.T, src string) {
		eps, err := scripts.ParseEndpoints("f.lua", src)
		if err != nil {
			var ps scripts.Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error %T %v is not a non-empty Problems", err, err)
			}
			lines := strings.Count(src, "\n") + 1
			for _, p := range ps {
				if p.File != "f.lua" || p.Line < 1 || p.Line > lines {
					t.Errorf("problem %+v is not located in a file of %d lines", p, lines)
				}
			}
		} else if len(eps) == 0 {
			t.Fatal("no endpoints and no error")
		}
		for _, e := range eps {
			if e.Path == "" {
				t.Errorf("endpoint with an empty path: %q", e.Script)
			}
			header, _, _ := strings.Cut(e.Script, "\n")
			// The header is "--#ENDPOINT METHOD PATH[ description]", its
			// fields separated by single spaces.
			fields := strings.Split(header, " ")
			if len(fields) < 3 || fields[0] != "--#ENDPOINT" || fields[2] != e.Path {
				t.Errorf("script of %q starts with %q, not its own header", e.Path, header)
			}
			if header != strings.TrimRight(header, " \t\r") {
				t.Errorf("header %q keeps trailing blanks", header)
			}
			if !strings.HasSuffix(e.Script, "\n") {
				t.Errorf("script of %q does not end with a newline", e.Path)
			}
		}
		// Scripts joined back into one file parse to the same scripts. A lone
		// \r before a newline is read as part of a CRLF the second time, so
		// such sources are left out.
		if len(eps) > 0 && !strings.Contains(src, "\r") {
			again, err := scripts.ParseEndpoints("f.lua", joinScripts(eps))
			if err != nil {
				t.Fatalf("joined scripts do not parse: %v", err)
			}
			if !slices.Equal(again, eps) {
				t.Errorf("joined scripts parse differently\n got  %q\n want %q", again, eps)
			}
		}
	})
}

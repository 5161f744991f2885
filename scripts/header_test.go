package scripts

import (
	"reflect"
	"testing"
)

func TestParseEndpointsSplitsAFileAtEachHeader(t *testing.T) {
	for _, tc := range []struct {
		name     string
		src      string
		want     []locatedEndpoint
		problems string
	}{{
		name: "one endpoint",
		src:  "--#ENDPOINT WEBSOCKET /echo\nreturn 1\n",
		want: []locatedEndpoint{{Endpoint{Path: "/echo", Script: "--#ENDPOINT WEBSOCKET /echo\nreturn 1\n"}, 1}},
	}, {
		name: "several endpoints per file",
		src:  "--#ENDPOINT WEBSOCKET /a\nreturn 1\n--#ENDPOINT websocket /b/{id} the b endpoint\nreturn 2\n",
		want: []locatedEndpoint{
			{Endpoint{Path: "/a", Script: "--#ENDPOINT WEBSOCKET /a\nreturn 1\n"}, 1},
			{Endpoint{Path: "/b/{id}", Script: "--#ENDPOINT websocket /b/{id} the b endpoint\nreturn 2\n"}, 3},
		},
	}, {
		name: "CRLF line endings",
		src:  "--#ENDPOINT WEBSOCKET /a\r\nreturn 1\r\n--#ENDPOINT WEBSOCKET /b\r\nreturn 2\r\n",
		want: []locatedEndpoint{
			{Endpoint{Path: "/a", Script: "--#ENDPOINT WEBSOCKET /a\nreturn 1\n"}, 1},
			{Endpoint{Path: "/b", Script: "--#ENDPOINT WEBSOCKET /b\nreturn 2\n"}, 3},
		},
	}, {
		name: "header with trailing spaces",
		src:  "--#ENDPOINT WEBSOCKET /a  \t\nreturn 1",
		want: []locatedEndpoint{{Endpoint{Path: "/a", Script: "--#ENDPOINT WEBSOCKET /a\nreturn 1\n"}, 1}},
	}, {
		name: "header in the middle of a file",
		src:  "-- The endpoints of this file.\n\n--#ENDPOINT WEBSOCKET /a\nreturn 1\n",
		want: []locatedEndpoint{{Endpoint{Path: "/a", Script: "--#ENDPOINT WEBSOCKET /a\nreturn 1\n"}, 3}},
	}, {
		name:     "a non-WEBSOCKET method",
		src:      "--#ENDPOINT WEBSOCKET /a\nreturn 1\n--#ENDPOINT GET /b\nreturn 2\n",
		want:     []locatedEndpoint{{Endpoint{Path: "/a", Script: "--#ENDPOINT WEBSOCKET /a\nreturn 1\n"}, 1}},
		problems: "f.lua:3: method GET is not supported: luagate serves WEBSOCKET endpoints only",
	}, {
		name:     "code before the first header",
		src:      "x = 1\n--#ENDPOINT WEBSOCKET /a\n",
		want:     []locatedEndpoint{{Endpoint{Path: "/a", Script: "--#ENDPOINT WEBSOCKET /a\n"}, 2}},
		problems: "f.lua:1: code before the first --#ENDPOINT header",
	}, {
		name:     "no header",
		src:      "return 1\n",
		problems: "f.lua:1: code before the first --#ENDPOINT header",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseEndpoints("f.lua", tc.src)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("endpoints:\n got %q\nwant %q", got, tc.want)
			}
			problems := ""
			if err != nil {
				problems = err.Error()
			}
			if problems != tc.problems {
				t.Errorf("problems:\n got %q\nwant %q", problems, tc.problems)
			}
		})
	}
}

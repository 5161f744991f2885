package scripts

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// configKeys are the keys each level of ConfigFile may hold, for the error
// about one it may not.
var configKeys = map[string]string{
	"scripts.Config":         "policies, defaults",
	"scripts.RatePolicy":     "requests, window, burst, error_code, message, then",
	"scripts.Defaults":       "rate_limit, idle_timeout, max_connection_age",
	"scripts.webserviceFile": "cors, security_schemes, security, rate_limit (and, ignored, documented_endpoints, api_info, domain)",
	"scripts.SecurityScheme": "type, in, name, scheme, description",
	"scripts.CORS":           "origin, headers, methods, credentials, expose_headers",
}

// yamlErrorRE is one of the errors yaml.v3 collects while decoding.
var yamlErrorRE = regexp.MustCompile(`^line (\d+): (.*)$`)

// unknownFieldRE is yaml.v3's error for a key the type does not have.
var unknownFieldRE = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)

// readConfigFile decodes ConfigFile's content. lines maps each key path
// ("policies.standard.window") to its line, so that problems Compile finds
// later can be placed; every problem of the decoding itself comes back at
// once, with its line.
func readConfigFile(src []byte) (Config, map[string]int, Problems) {
	var cfg Config
	lines, problems := readYAML(ConfigFile, src, &cfg)
	return cfg, lines, problems
}

// readYAML decodes file's content into v, refusing unknown keys, and maps
// each key path to its line.
func readYAML(file string, src []byte, v any) (map[string]int, Problems) {
	var problems Problems
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	// An empty file configures nothing.
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		problems = yamlProblemsIn(file, err)
	}
	var root yaml.Node
	lines := map[string]int{}
	if yaml.Unmarshal(src, &root) == nil {
		nodeLines(&root, "", lines)
	}
	return lines, problems
}

// yamlProblem turns one of yaml.v3's messages into a Problem of file.
func yamlProblem(file, msg string) Problem {
	p := Problem{File: file, Message: msg}
	if m := yamlErrorRE.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Message = m[2]
	}
	if m := unknownFieldRE.FindStringSubmatch(p.Message); m != nil {
		p.Message = fmt.Sprintf("unknown key %s: the keys here are %s", Elide(m[1]), configKeys[m[2]])
	}
	return p
}

// nodeLines records the line of every mapping key under n.
func nodeLines(n *yaml.Node, prefix string, lines map[string]int) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			nodeLines(c, prefix, lines)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := prefix + n.Content[i].Value
			lines[key] = n.Content[i].Line
			nodeLines(n.Content[i+1], key+".", lines)
		}
	}
}

// locateConfig gives a problem Compile found in the config the line of the
// key its message starts with.
func locateConfig(p Problem, lines map[string]int) Problem {
	key, _, _ := strings.Cut(p.Message, ": ")
	for ; key != ""; key = key[:max(0, strings.LastIndexByte(key, '.'))] {
		if l, ok := lines[key]; ok {
			p.Line = l
			return p
		}
	}
	return p
}

// configFileContent is what WriteProject puts in ConfigFile.
func configFileContent(c Config) ([]byte, error) {
	b, err := yaml.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", ConfigFile, err)
	}
	return append([]byte("# Rate policies and endpoint defaults: see README, \"Endpoint policies\".\n"), b...), nil
}

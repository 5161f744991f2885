package scripts

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// EnvFile is the project file that holds the solution's environment
// values, NAME=value a line. pull never writes it: values are secrets.
const EnvFile = ".env"

// EnvSchema declares the solution's environment, as env_schema in
// murano.yaml does: a JSON Schema object whose properties are the names
// os.getenv knows.
type EnvSchema struct {
	// Type is "object" or empty.
	Type string `json:"type,omitempty" yaml:"type,omitempty"`
	// Properties maps each name to its declaration.
	Properties map[string]EnvVar `json:"properties" yaml:"properties"`
	// Required names must have a value (or a default).
	Required []string `json:"required,omitempty" yaml:"required,omitempty"`
}

// UnmarshalYAML reads env_schema in either of the platform's forms: a
// JSON Schema object (with type or properties), or the template's older
// map from each name to its declaration, beside an optional description
// of the whole ("description: ...", "loglevel: {description: ...}").
func (sc *EnvSchema) UnmarshalYAML(n *yaml.Node) error {
	type schema EnvSchema
	if n.Kind != yaml.MappingNode || hasKey(n, "type") || hasKey(n, "properties") {
		return n.Decode((*schema)(sc))
	}
	*sc = EnvSchema{Properties: map[string]EnvVar{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "description" && v.Kind == yaml.ScalarNode {
			continue
		}
		if v.Kind != yaml.MappingNode {
			return fmt.Errorf("line %d: env_schema.%s: a variable is declared by a map ({description: ...})", k.Line, k.Value)
		}
		var ev EnvVar
		if err := v.Decode(&ev); err != nil {
			return err
		}
		sc.Properties[k.Value] = ev
	}
	return nil
}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

// EnvVar declares one name of the environment.
type EnvVar struct {
	// Type is string (the default), number, integer or boolean: the value,
	// which os.getenv answers as a string, must read as one.
	Type        string `json:"type,omitempty" yaml:"type,omitempty"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	// Default is the value when none is given.
	Default any `json:"default,omitempty" yaml:"default,omitempty"`
}

// envNameRE is what an environment variable's name may be.
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// envProblem is a problem with the environment; File names where values
// are given.
func envProblem(format string, args ...any) Problem {
	return Problem{File: EnvFile, Message: fmt.Sprintf(format, args...)}
}

// checkEnv validates the solution's environment values against its
// schema, and returns them with the schema's defaults filled in. Without a
// schema, any names are accepted.
func (s Solution) checkEnv() (map[string]string, Problems) {
	var problems Problems
	env := make(map[string]string, len(s.Env))
	for _, name := range slices.Sorted(maps.Keys(s.Env)) {
		if !envNameRE.MatchString(name) {
			problems = append(problems, envProblem("invalid environment variable name %q: use letters, digits and _", Elide(name)))
			continue
		}
		env[name] = s.Env[name]
	}
	sc := s.EnvSchema
	if sc == nil {
		return env, problems
	}
	if sc.Type != "" && sc.Type != "object" {
		problems = append(problems, Problem{File: "env_schema", Message: fmt.Sprintf("type is %q: an environment schema is an object", sc.Type)})
	}
	for _, name := range slices.Sorted(maps.Keys(sc.Properties)) {
		v := sc.Properties[name]
		if !envNameRE.MatchString(name) {
			problems = append(problems, Problem{File: "env_schema", Message: fmt.Sprintf("invalid environment variable name %q: use letters, digits and _", Elide(name))})
			continue
		}
		switch v.Type {
		case "", "string", "number", "integer", "boolean":
		default:
			problems = append(problems, Problem{File: "env_schema", Message: fmt.Sprintf("%s: type %q is not string, number, integer or boolean", name, v.Type)})
			continue
		}
		if _, ok := env[name]; !ok && v.Default != nil {
			env[name] = fmt.Sprint(v.Default)
		}
		if val, ok := env[name]; ok && !fitsType(val, v.Type) {
			problems = append(problems, envProblem("%s=%q is not %s, as env_schema declares it", name, Elide(val), typeArticle[v.Type]))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(env)) {
		if _, ok := sc.Properties[name]; !ok {
			problems = append(problems, envProblem("%s is not declared in env_schema", name))
		}
	}
	for _, name := range sc.Required {
		if _, ok := env[name]; !ok {
			problems = append(problems, envProblem("%s is required by env_schema and has no value", name))
		}
	}
	return env, problems
}

// typeArticle names each schema type with its article, for errors.
var typeArticle = map[string]string{"number": "a number", "integer": "an integer", "boolean": "a boolean (true or false)"}

func fitsType(v, typ string) bool {
	switch typ {
	case "number":
		_, err := strconv.ParseFloat(v, 64)
		return err == nil
	case "integer":
		_, err := strconv.ParseInt(v, 10, 64)
		return err == nil
	case "boolean":
		return v == "true" || v == "false"
	}
	return true
}

// EnvDigest is a digest of the environment's values, which GET
// /api/v1/solution shows instead of them, so a client can tell whether
// its values are the deployed ones. Empty for no values.
func EnvDigest(env map[string]string) string {
	if len(env) == 0 {
		return ""
	}
	b, _ := json.Marshal(env) // sorted keys
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func (sc *EnvSchema) clone() *EnvSchema {
	if sc == nil {
		return nil
	}
	return &EnvSchema{Type: sc.Type, Properties: maps.Clone(sc.Properties), Required: slices.Clone(sc.Required)}
}

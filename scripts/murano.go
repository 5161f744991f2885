package scripts

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// InitFile is the script at a project's root that runs once after each
// deploy that changes it, as the platform runs its init script after setup.
const InitFile = "init.lua"

// MuranoFile is the platform's project file: the layout of the project's
// sections and the environment's schema.
const MuranoFile = "murano.yaml"

// section is one kind of project file and where a project keeps them.
type section struct {
	kind     string // EndpointsDir, ModulesDir or ServicesDir
	location string // relative to the project, forward slashes
	include  []string
	exclude  []string
	// files lists the section's files when the layout names them one by
	// one (Solutionfile.json) instead of by location and globs.
	files []string
}

// layout is how a project is laid out: its sections, the environment's
// schema, and what luagate does not use, to warn of once.
type layout struct {
	sections  []section
	envSchema *EnvSchema
	// unused lists what the project has that luagate ignores.
	unused   []Problem
	declared bool // the layout came from MuranoFile or SolutionFile
	// moduleNames and handlerFile are SolutionFile's: the name of each
	// module file, and the event handler's file.
	moduleNames map[string]string
	handlerFile string
	// initFile is the init script's file: InitFile unless MuranoFile's
	// init_script names another.
	initFile string
	// cors is MuranoFile's endpoints.cors, nil when it has none.
	cors *CORS
}

// defaultLayout is a project without MuranoFile: the three directories,
// every file in them.
func defaultLayout() layout {
	return layout{initFile: InitFile, sections: []section{
		{kind: EndpointsDir, location: EndpointsDir},
		{kind: ModulesDir, location: ModulesDir},
		{kind: ServicesDir, location: ServicesDir},
	}}
}

// muranoSection is a section of MuranoFile. CORS is the endpoints
// section's, the platform's other place for the Webservice's cors;
// DefaultPage the assets section's, which luagate does not serve.
type muranoSection struct {
	Location    string `yaml:"location"`
	Include     globs  `yaml:"include"`
	Exclude     globs  `yaml:"exclude"`
	CORS        *CORS  `yaml:"cors"`
	DefaultPage string `yaml:"default_page"`
}

// globs is a section's include or exclude: a list of globs, or one, as
// the platform's template writes include.
type globs []string

// UnmarshalYAML reads a list or a single glob.
func (g *globs) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*g = globs{n.Value}
		return nil
	}
	var list []string
	if err := n.Decode(&list); err != nil {
		return err
	}
	*g = list
	return nil
}

type muranoFile struct {
	FormatVersion string         `yaml:"formatversion"`
	Info          map[string]any `yaml:"info"`
	EnvSchema     *EnvSchema     `yaml:"env_schema"`
	Endpoints     *muranoSection `yaml:"endpoints"`
	Modules       *muranoSection `yaml:"modules"`
	Services      *muranoSection `yaml:"services"`
	Assets        *muranoSection `yaml:"assets"`
	InitScript    string         `yaml:"init_script"`
}

// readLayout reads MuranoFile, or else SolutionFile, in dir; without
// either, the default layout.
func readLayout(dir string) (layout, Problems) {
	b, err := os.ReadFile(filepath.Join(dir, MuranoFile))
	if errors.Is(err, fs.ErrNotExist) {
		return readSolutionFile(dir)
	}
	if err != nil {
		return defaultLayout(), Problems{{File: MuranoFile, Message: err.Error()}}
	}
	l := defaultLayout()
	l.declared = true
	var mf muranoFile
	if err := yaml.Unmarshal(b, &mf); err != nil {
		return l, yamlProblemsIn(MuranoFile, err)
	}
	var root yaml.Node
	_ = yaml.Unmarshal(b, &root)
	if len(root.Content) == 1 && root.Content[0].Kind == yaml.MappingNode {
		known := []string{"formatversion", "info", "env_schema", "endpoints", "modules", "services", "assets", "init_script"}
		m := root.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if k := m.Content[i]; !slices.Contains(known, k.Value) {
				l.unused = append(l.unused, Problem{File: MuranoFile, Line: k.Line, Message: "ignored: luagate does not use " + k.Value})
			}
		}
	}
	var problems Problems
	for i, ms := range []*muranoSection{mf.Endpoints, mf.Modules, mf.Services} {
		if ms == nil {
			continue
		}
		s := &l.sections[i]
		if ms.Location != "" {
			loc, err := cleanLocation(ms.Location)
			if err != nil {
				problems = append(problems, Problem{File: MuranoFile, Message: s.kind + ".location: " + err.Error()})
				continue
			}
			s.location = loc
		}
		s.include, s.exclude = ms.Include, ms.Exclude
		for _, g := range append(slices.Clone(ms.Include), ms.Exclude...) {
			if _, err := globRE(g); err != nil {
				problems = append(problems, Problem{File: MuranoFile, Message: s.kind + ": " + err.Error()})
			}
		}
	}
	loc := "assets"
	if mf.Assets != nil && mf.Assets.Location != "" {
		loc = mf.Assets.Location
	}
	l.unused = append(l.unused, unusedDir(dir, loc, "static assets: luagate serves none")...)
	if mf.Endpoints != nil {
		l.cors = mf.Endpoints.CORS
	}
	for i, ms := range []*muranoSection{mf.Modules, mf.Services, mf.Assets} {
		if ms != nil && ms.CORS != nil {
			problems = append(problems, Problem{File: MuranoFile, Message: []string{ModulesDir, ServicesDir, "assets"}[i] + ".cors: cors belongs to the endpoints section"})
		}
	}
	if mf.InitScript != "" {
		f, err := cleanLocation(mf.InitScript)
		if err != nil {
			problems = append(problems, Problem{File: MuranoFile, Message: "init_script: " + err.Error()})
		} else {
			l.initFile = f
		}
	}
	l.envSchema = mf.EnvSchema
	return l, problems
}

// cleanLocation checks a section's location: a directory inside the
// project.
func cleanLocation(loc string) (string, error) {
	c := path.Clean(strings.TrimPrefix(filepath.ToSlash(loc), "./"))
	if c == "." || c == ".." || strings.HasPrefix(c, "../") || path.IsAbs(c) {
		return "", fmt.Errorf("%q is not a directory inside the project", loc)
	}
	return c, nil
}

// unusedDir is the one warning for a directory of files luagate does not
// use, or nothing when there is no such directory.
func unusedDir(dir, loc, why string) []Problem {
	files, err := luaTree(dir, loc)
	if err != nil || len(files) == 0 {
		return nil
	}
	return []Problem{{File: loc + "/", Message: fmt.Sprintf("ignored: %d %s, %s", len(files), plural(len(files), "file"), why)}}
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// wants reports whether the section takes the file rel (relative to the
// project): it is under the location, matches an include glob (every file
// when there is none) and no exclude glob. Globs are relative to the
// location; ** matches any number of directories.
func (s section) wants(rel string) bool {
	if s.files != nil {
		return slices.Contains(s.files, rel)
	}
	in, ok := strings.CutPrefix(rel, s.location+"/")
	if !ok {
		return false
	}
	match := func(globs []string) bool {
		for _, g := range globs {
			if re, err := globRE(g); err == nil && re.MatchString(in) {
				return true
			}
		}
		return false
	}
	// A service's configuration is read whatever include says, as the
	// platform's template includes only "**/*.lua" in services and keeps
	// webservice.yaml beside them.
	config := s.kind == ServicesDir && isYAML(in)
	return (len(s.include) == 0 || config || match(s.include)) && !match(s.exclude)
}

func isYAML(name string) bool {
	return path.Ext(name) == ".yaml" || path.Ext(name) == ".yml"
}

// globRE translates a glob of MuranoFile to a regular expression.
func globRE(g string) (*regexp.Regexp, error) {
	g = strings.TrimPrefix(filepath.ToSlash(g), "./")
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(g); i++ {
		switch c := g[i]; {
		case strings.HasPrefix(g[i:], "**/"):
			b.WriteString("(?:.*/)?")
			i += 2
		case strings.HasPrefix(g[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("invalid glob %q: %w", g, err)
	}
	return re, nil
}

// yamlProblemsIn places yaml.v3's errors in file, each at its line.
func yamlProblemsIn(file string, err error) Problems {
	msgs := []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	var ps Problems
	for _, m := range msgs {
		ps = append(ps, yamlProblem(file, m))
	}
	return ps
}

// readEnvFile reads the project's EnvFile, NAME=value a line ('#' starts a
// comment line; a value may be quoted). A project without one gives nil,
// which keeps the deployed values.
func readEnvFile(dir string) (map[string]string, Problems) {
	b, err := os.ReadFile(filepath.Join(dir, EnvFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, Problems{{File: EnvFile, Message: err.Error()}}
	}
	env := map[string]string{}
	var problems Problems
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		name = strings.TrimSpace(name)
		if !ok || !envNameRE.MatchString(name) {
			problems = append(problems, Problem{File: EnvFile, Line: n, Message: "not NAME=value"})
			continue
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		}
		env[name] = value
	}
	return env, problems
}

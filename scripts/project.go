package scripts

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The directories of a project, relative to its root. Everything else in
// the root (a README, .git, a data dir) is not part of the solution and is
// not looked at.
const (
	EndpointsDir = "endpoints"
	ModulesDir   = "modules"
	ServicesDir  = "services"
)

// HandlerFile is where a project keeps the custom event handler, and where
// WriteProject puts it.
const HandlerFile = ServicesDir + "/websocket_websocket_info.lua"

// eventHeaderRE is the first line that marks any services file as the
// custom event handler: "--#EVENT websocket websocket_info".
var eventHeaderRE = regexp.MustCompile(`^--#EVENT (\S+) (\S+)`)

// origins remembers which project file (and line) each part of a solution
// came from, to translate problems found by Compile back into the project.
type origins struct {
	endpoints  map[string]Problem // endpoint key -> file and header line
	modules    map[string]string  // module name -> file
	handler    string             // event handler file, "" when none
	config     map[string]int     // key path in ConfigFile -> line
	webservice map[string]int     // key path in WebserviceFile -> line
}

// locate rewrites a problem about a solution part into one about the
// project file it came from.
func (o origins) locate(p Problem) Problem {
	if loc, ok := o.endpoints[p.File]; ok {
		p.File = loc.File
		if p.Line > 0 {
			p.Line = loc.Line + p.Line - 1
		} else {
			p.Line = loc.Line
		}
		return p
	}
	if f, ok := o.modules[p.File]; ok {
		p.File = f
		return p
	}
	if p.File == ConfigFile && p.Line == 0 {
		return locateConfig(p, o.config)
	}
	if p.File == WebserviceFile && p.Line == 0 {
		return locateConfig(p, o.webservice)
	}
	if p.File == "env_schema" {
		p.File = MuranoFile
	}
	if p.File == EventHandlerWebsocketInfo && o.handler != "" {
		p.File = o.handler
	}
	return p
}

// sources is Solution.Sources for the parts o locates.
func (o origins) sources() map[string]Source {
	m := make(map[string]Source, len(o.endpoints)+len(o.modules)+1)
	for p, loc := range o.endpoints {
		m[SourceKey("endpoint", p)] = Source{File: loc.File, Line: loc.Line}
	}
	for name, f := range o.modules {
		m[SourceKey("module", name)] = Source{File: f, Line: 1}
	}
	if o.handler != "" {
		m[SourceKey("eventhandler", EventHandlerWebsocketInfo)] = Source{File: o.handler, Line: 1}
	}
	return m
}

// endpointSchemaFile is the platform's OpenAPI description of a
// project's endpoints, in the endpoints section, for its generated API
// documentation.
const endpointSchemaFile = "schema.yaml"

// ReadProject reads the project in dir: endpoints from endpoints/**/*.lua
// (each "--#ENDPOINT WEBSOCKET /path" header starts one, whatever the file's
// name), modules from modules/**/*.lua (modules/src/utils.lua is
// "src.utils"), the custom event handler from HandlerFile or any services
// file whose first line is "--#EVENT websocket websocket_info", and the
// rate policies and endpoint defaults from ConfigFile, and the security
// schemes from WebserviceFile. MuranoFile, or else SolutionFile, may place
// and narrow those sections and declare the environment's schema; EnvFile
// holds the environment's values and InitFile the init script.
//
// It checks and compiles everything. The error, when not nil, is Problems
// naming every project file and line at fault. warnings list what the
// project has that luagate does not use. File names are relative to dir, with forward slashes.
func ReadProject(dir string) (sol Solution, warnings Problems, err error) {
	sol = Solution{Modules: map[string]string{}, EventHandlers: map[string]string{}}
	o := origins{endpoints: map[string]Problem{}, modules: map[string]string{}}
	if st, err := os.Stat(dir); err != nil {
		return sol, nil, fmt.Errorf("read project: %w", err)
	} else if !st.IsDir() {
		return sol, nil, fmt.Errorf("read project: %s is not a directory", dir)
	}
	l, problems := readLayout(dir)
	warnings = append(warnings, l.unused...)
	sol.EnvSchema = l.envSchema
	env, more := readEnvFile(dir)
	problems = append(problems, more...)
	sol.Env = env
	found := l.declared
	initFile := l.initFile
	if initFile == "" {
		initFile = InitFile
	}
	if b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(initFile))); err == nil {
		sol.Init, found = string(b), true
	} else if !errors.Is(err, fs.ErrNotExist) || initFile != InitFile {
		problems = append(problems, Problem{File: initFile, Message: err.Error()})
	}
	for _, sec := range l.sections {
		sub := sec.kind
		files := sec.files
		if files == nil {
			all, err := luaTree(dir, sec.location)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return sol, nil, fmt.Errorf("read project: %w", err)
			}
			found = true
			for _, rel := range all {
				switch {
				case sec.kind == EndpointsDir && rel == sec.location+"/"+endpointSchemaFile:
					// The platform reads it whatever include says.
					warnings = append(warnings, Problem{File: rel, Message: "ignored: the endpoints' OpenAPI schema documents the API, which luagate does not serve"})
				case sec.wants(rel):
					files = append(files, rel)
				}
			}
		}
		for _, rel := range files {
			b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
			if err != nil {
				problems = append(problems, Problem{File: rel, Message: err.Error()})
				continue
			}
			src := string(b)
			switch {
			case sub == ServicesDir && strings.TrimPrefix(rel, sec.location+"/") == path.Base(ConfigFile):
				cfg, lines, more := readConfigFile(b)
				problems = append(problems, more...)
				sol.Config, o.config = cfg, lines
			case sub == ServicesDir && strings.TrimPrefix(rel, sec.location+"/") == path.Base(WebserviceFile):
				web, lines, more, ignored := readWebserviceFile(b)
				problems = append(problems, more...)
				warnings = append(warnings, ignored...)
				sol.Webservice, o.webservice = web, lines
			case sub == ServicesDir && isYAML(rel):
				service := strings.TrimSuffix(path.Base(rel), path.Ext(rel))
				warnings = append(warnings, Problem{File: rel, Message: "ignored: configures the platform service " + Elide(service) + ", which luagate does not provide"})
			case path.Ext(rel) != ".lua":
				warnings = append(warnings, Problem{File: rel, Message: "ignored: not a .lua file"})
			case sub == EndpointsDir:
				eps, err := parseEndpoints(rel, src)
				problems = appendProblems(problems, err)
				for _, e := range eps {
					if first, dup := o.endpoints[e.Key()]; dup {
						problems = append(problems, Problem{File: rel, Line: e.Line,
							Message: fmt.Sprintf("endpoint %s is declared twice: also at %s:%d", e.Key(), first.File, first.Line)})
						continue
					}
					o.endpoints[e.Key()] = Problem{File: rel, Line: e.Line}
					sol.Endpoints = append(sol.Endpoints, &e.Endpoint)
				}
			case sub == ModulesDir:
				name, named := l.moduleNames[rel]
				if !named {
					name = strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(rel, sec.location+"/"), ".lua"), "/", ".")
				}
				if err := CheckModuleName(name); err != nil {
					problems = append(problems, Problem{File: rel, Message: err.Error()})
					continue
				}
				if first, dup := o.modules[name]; dup {
					problems = append(problems, Problem{File: rel, Message: fmt.Sprintf("module %s is declared twice: also in %s", name, first)})
					continue
				}
				o.modules[name] = rel
				sol.Modules[name] = src
			case rel == l.handlerFile || strings.TrimPrefix(rel, sec.location+"/") == path.Base(HandlerFile) || isEventHandler(rel, src):
				if o.handler != "" {
					problems = append(problems, Problem{File: rel, Line: 1,
						Message: "a second websocket_info event handler: the first is " + o.handler})
					continue
				}
				o.handler = rel
				sol.EventHandlers[EventHandlerWebsocketInfo] = src
			default:
				warnings = append(warnings, Problem{File: rel,
					Message: "ignored: the only service luagate runs is the websocket_info event handler (" + HandlerFile + ")"})
			}
		}
	}
	if l.cors != nil {
		// Alike is fine: pull writes the CORS into WebserviceFile.
		if !sol.Webservice.CORS.empty() && !reflect.DeepEqual(sol.Webservice.CORS, *l.cors) {
			problems = append(problems, Problem{File: MuranoFile, Message: "endpoints.cors: " + WebserviceFile + " has another cors: keep one of them"})
		}
		sol.Webservice.CORS = *l.cors
	}
	if !found {
		return sol, warnings, Problems{{File: dir, Message: "not a luagate project: no endpoints/, modules/ or services/ directory, and no " + MuranoFile}}
	}
	sol.Sources = o.sources()
	_, warned, err := compile(sol, nil)
	for _, w := range warned {
		warnings = append(warnings, o.locate(w))
	}
	if err != nil {
		var ps Problems
		if !errors.As(err, &ps) {
			return sol, warnings, err
		}
		for _, p := range ps {
			// Parsing already reported endpoints declared twice.
			problems = append(problems, o.locate(p))
		}
	}
	sort.SliceStable(problems, func(i, j int) bool {
		if problems[i].File != problems[j].File {
			return problems[i].File < problems[j].File
		}
		return problems[i].Line < problems[j].Line
	})
	sol.Normalize()
	return sol, warnings, problems.orNil()
}

// luaTree lists the files under dir/sub, relative to dir with forward
// slashes, in lexical order. Hidden files and directories are skipped:
// editors and version control keep their own files there.
func luaTree(dir, sub string) ([]string, error) {
	var files []string
	root := filepath.Join(dir, sub)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	return files, err
}

func isEventHandler(rel, src string) bool {
	if rel == HandlerFile {
		return true
	}
	first, _, _ := strings.Cut(src, "\n")
	m := eventHeaderRE.FindStringSubmatch(strings.TrimRight(first, " \t\r"))
	return m != nil && strings.EqualFold(m[1], "websocket") && m[2] == EventHandlerWebsocketInfo
}

func appendProblems(ps Problems, err error) Problems {
	var more Problems
	if errors.As(err, &more) {
		return append(ps, more...)
	}
	if err != nil {
		return append(ps, Problem{Message: err.Error()})
	}
	return ps
}

// WriteProject writes sol as a project in dir, one file per script:
// endpoints/<name from path>.lua, modules/<name with dots as
// directories>.lua, HandlerFile, InitFile and, when the solution has a
// config, ConfigFile; and MuranoFile with the env_schema when dir has
// none. EnvFile is never written: the values are not in sol. The .lua
// files already under endpoints/, modules/ and services/, and ConfigFile,
// are removed first, so that what is in dir afterwards is exactly sol;
// other files are left alone. WebserviceFile gets sol's cors and security
// schemes and keeps the platform's documentation keys it holds. Reading the
// result with ReadProject gives back sol.
func WriteProject(dir string, sol Solution) error {
	for _, sub := range []string{EndpointsDir, ModulesDir, ServicesDir} {
		files, err := luaTree(dir, sub)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("write project: %w", err)
		}
		for _, rel := range files {
			if path.Ext(rel) != ".lua" && rel != ConfigFile {
				continue
			}
			if err := os.Remove(filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
				return fmt.Errorf("write project: %w", err)
			}
		}
	}
	files := map[string]string{}
	for _, e := range sol.Endpoints {
		base := endpointFileName(e.Path)
		if e.IsHTTP() {
			base = strings.ToLower(e.Method) + "_" + base
		}
		name := EndpointsDir + "/" + base + ".lua"
		for i := 2; files[name] != ""; i++ {
			name = fmt.Sprintf("%s/%s_%d.lua", EndpointsDir, base, i)
		}
		script := e.Script
		if eps, err := ParseEndpoints("", script); err != nil || len(eps) != 1 || eps[0].Key() != e.Key() || eps[0].ContentType != e.ContentType {
			// Scripts deployed without a header get one, so the file
			// says which method and path it serves.
			header := "--#ENDPOINT " + e.MethodName() + " " + e.Path
			if e.ContentType != "" {
				header += " " + e.ContentType
			}
			script = header + "\n" + script
		}
		files[name] = script
	}
	for name, src := range sol.Modules {
		files[ModulesDir+"/"+strings.ReplaceAll(name, ".", "/")+".lua"] = src
	}
	if src, ok := sol.EventHandlers[EventHandlerWebsocketInfo]; ok {
		files[HandlerFile] = src
	}
	if sol.Init != "" {
		files[InitFile] = sol.Init
	}
	if _, err := os.Stat(filepath.Join(dir, MuranoFile)); sol.EnvSchema != nil && errors.Is(err, fs.ErrNotExist) {
		// A project's own MuranoFile is kept as it is; without one, the
		// schema needs a file to be deployed again.
		b, err := yaml.Marshal(map[string]any{"formatversion": "1.0.0", "env_schema": sol.EnvSchema})
		if err != nil {
			return fmt.Errorf("write project: %w", err)
		}
		files[MuranoFile] = string(b)
	}
	if !sol.Config.Empty() {
		b, err := configFileContent(sol.Config)
		if err != nil {
			return fmt.Errorf("write project: %w", err)
		}
		files[ConfigFile] = string(b)
	}
	wsPath := filepath.Join(dir, filepath.FromSlash(WebserviceFile))
	old, err := os.ReadFile(wsPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("write project: %w", err)
	}
	switch b, keep, err := webserviceFileContent(old, sol.Webservice); {
	case err != nil:
		return fmt.Errorf("write project: %w", err)
	case keep:
		files[WebserviceFile] = string(b)
	case old != nil:
		if err := os.Remove(wsPath); err != nil {
			return fmt.Errorf("write project: %w", err)
		}
	}
	for _, rel := range slices.Sorted(maps.Keys(files)) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("write project: %w", err)
		}
		if err := os.WriteFile(p, []byte(files[rel]), 0o644); err != nil {
			return fmt.Errorf("write project: %w", err)
		}
	}
	return nil
}

// unsafeFileChars are the characters of an endpoint path that do not make a
// portable file name.
var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// endpointFileName names the file of an endpoint after its path:
// "/chat/{room}" is "chat_room".
func endpointFileName(p string) string {
	name := strings.Trim(unsafeFileChars.ReplaceAllString(strings.NewReplacer("{", "", "}", "").Replace(p), "_"), "_.")
	if name == "" {
		return "root"
	}
	return name
}

package scripts

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
)

// SolutionFile is the older platform project file, which names each
// script one by one.
const SolutionFile = "Solutionfile.json"

// solutionFile holds the keys of SolutionFile's versions 0.2 and 0.3.
type solutionFile struct {
	Version string `json:"version"`
	// Routes (0.3) and CustomAPI (0.2) are the endpoints file.
	Routes    string `json:"routes"`
	CustomAPI string `json:"custom_api"`
	// Modules maps a module name to its file.
	Modules map[string]string `json:"modules"`
	// Services (0.3) and EventHandler (0.2) map a service and an event to
	// the handler's file.
	Services     map[string]map[string]string `json:"services"`
	EventHandler map[string]map[string]string `json:"event_handler"`
	// Assets (0.3) and FileDir (0.2) are the static files' directory.
	Assets      string `json:"assets"`
	FileDir     string `json:"file_dir"`
	DefaultPage string `json:"default_page"`
}

// readSolutionFile reads SolutionFile in dir as a layout; without one,
// the default layout. Its modules are named by the file's keys, not by
// their paths.
func readSolutionFile(dir string) (layout, Problems) {
	b, err := os.ReadFile(filepath.Join(dir, SolutionFile))
	if errors.Is(err, fs.ErrNotExist) {
		return defaultLayout(), nil
	}
	l := layout{declared: true, moduleNames: map[string]string{}}
	if err != nil {
		return l, Problems{{File: SolutionFile, Message: err.Error()}}
	}
	var sf solutionFile
	if err := json.Unmarshal(b, &sf); err != nil {
		return l, Problems{{File: SolutionFile, Message: "invalid JSON: " + err.Error()}}
	}
	var problems Problems
	clean := func(what, f string) (string, bool) {
		c, err := cleanLocation(f)
		if err != nil {
			problems = append(problems, Problem{File: SolutionFile, Message: what + ": " + err.Error()})
			return "", false
		}
		return c, true
	}
	// Non-nil, even when empty: a section that lists files is never
	// walked.
	eps, mods, svcs := []string{}, []string{}, []string{}
	for _, f := range []string{sf.Routes, sf.CustomAPI} {
		if f == "" {
			continue
		}
		if c, ok := clean("routes", f); ok {
			eps = append(eps, c)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(sf.Modules)) {
		if c, ok := clean("modules."+name, sf.Modules[name]); ok {
			mods = append(mods, c)
			l.moduleNames[c] = name
		}
	}
	for _, handlers := range []map[string]map[string]string{sf.Services, sf.EventHandler} {
		for _, svc := range slices.Sorted(maps.Keys(handlers)) {
			for _, ev := range slices.Sorted(maps.Keys(handlers[svc])) {
				f := handlers[svc][ev]
				if svc != "websocket" || ev != EventHandlerWebsocketInfo {
					l.unused = append(l.unused, Problem{File: SolutionFile,
						Message: fmt.Sprintf("ignored: the %s %s event handler %s: the only service luagate runs is websocket websocket_info", svc, ev, f)})
					continue
				}
				if c, ok := clean("services", f); ok {
					svcs = append(svcs, c)
					l.handlerFile = c
				}
			}
		}
	}
	l.sections = []section{
		{kind: EndpointsDir, files: eps},
		{kind: ModulesDir, files: mods},
		{kind: ServicesDir, files: svcs},
	}
	for _, d := range []string{sf.Assets, sf.FileDir} {
		if d == "" {
			continue
		}
		if c, ok := clean("assets", d); ok {
			l.unused = append(l.unused, unusedDir(dir, c, "static assets: luagate serves none")...)
		}
	}
	return l, problems
}

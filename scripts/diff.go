package scripts

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// Diff is what replacing one solution by another adds, changes and removes.
// Each entry names a script: "endpoint /chat/{room}", "module src.utils" or
// "event handler websocket_info", or a config file ("config
// services/websocket.yaml", "config services/webservice.yaml"), in sorted
// order.
type Diff struct {
	Added, Changed, Removed []string
}

// DiffSolutions compares the scripts and the config of from and to.
func DiffSolutions(from, to Solution) Diff {
	var d Diff
	d.compare("endpoint ", endpointScripts(from), endpointScripts(to))
	d.compare("module ", from.Modules, to.Modules)
	d.compare("event handler ", from.EventHandlers, to.EventHandlers)
	d.compare("config ", configFiles(from), configFiles(to))
	d.compare("", initFiles(from), initFiles(to))
	d.compare("env_schema ", schemaFiles(from), schemaFiles(to))
	if len(to.Env) > 0 {
		// Values are compared by digest: answers carry nothing else.
		d.compare("environment ", envFiles(from), envFiles(to))
	}
	return d
}

// configFiles is s's configuration as the files a project keeps it in,
// without those that would configure nothing.
func configFiles(s Solution) map[string]string {
	files := map[string]string{}
	// Maps encode with sorted keys, so equal configs encode alike.
	if !s.Config.Empty() {
		b, _ := json.Marshal(s.Config.clone())
		files[ConfigFile] = string(b)
	}
	if !s.Webservice.Empty() {
		b, _ := json.Marshal(s.Webservice)
		files[WebserviceFile] = string(b)
	}
	return files
}

// schemaFiles is s's env_schema as the file that declares it.
func schemaFiles(s Solution) map[string]string {
	if s.EnvSchema == nil {
		return nil
	}
	b, _ := json.Marshal(s.EnvSchema)
	return map[string]string{MuranoFile: string(b)}
}

// envFiles is the digest of s's environment values, as the file that
// holds them.
func envFiles(s Solution) map[string]string {
	sum := s.EnvSHA256
	if s.Env != nil {
		sum = EnvDigest(s.Env)
	}
	if sum == "" {
		return nil
	}
	return map[string]string{EnvFile: sum}
}

// initFiles is s's init script as the project file it is kept in.
func initFiles(s Solution) map[string]string {
	if s.Init == "" {
		return nil
	}
	return map[string]string{InitFile: s.Init}
}

func endpointScripts(s Solution) map[string]string {
	m := make(map[string]string, len(s.Endpoints))
	// An HTTP endpoint is named by its key ("GET /items"); its content
	// type is part of what it is.
	for _, e := range s.Endpoints {
		m[e.Key()] = e.ContentType + "\x00" + e.Script
	}
	return m
}

func (d *Diff) compare(kind string, from, to map[string]string) {
	for _, name := range slices.Sorted(maps.Keys(to)) {
		old, ok := from[name]
		switch {
		case !ok:
			d.Added = append(d.Added, kind+name)
		case old != to[name]:
			d.Changed = append(d.Changed, kind+name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(from)) {
		if _, ok := to[name]; !ok {
			d.Removed = append(d.Removed, kind+name)
		}
	}
}

// Empty reports whether the two solutions have the same scripts.
func (d Diff) Empty() bool {
	return len(d.Added)+len(d.Changed)+len(d.Removed) == 0
}

// String lists the diff one script a line: "+ " added, "~ " changed,
// "- " removed; "no changes" when empty.
func (d Diff) String() string {
	if d.Empty() {
		return "no changes\n"
	}
	var b strings.Builder
	for _, group := range []struct {
		mark  string
		names []string
	}{{"+ ", d.Added}, {"~ ", d.Changed}, {"- ", d.Removed}} {
		for _, n := range group.names {
			b.WriteString(group.mark + n + "\n")
		}
	}
	return b.String()
}

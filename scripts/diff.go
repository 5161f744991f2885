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

func endpointScripts(s Solution) map[string]string {
	m := make(map[string]string, len(s.Endpoints))
	for _, e := range s.Endpoints {
		m[e.Path] = e.Script
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

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

// webserviceFiles is s's Webservice as the file a project keeps it in.
func webserviceFiles(s Solution) map[string]string {
	if s.Webservice.IsZero() {
		return nil
	}
	b, _ := json.Marshal(s.Webservice)
	return map[string]string{WebserviceFile: string(b)}
}

// configFiles is s's config as the one file a project keeps it in, or
// nothing when it configures nothing.
func configFiles(s Solution) map[string]string {
	files := webserviceFiles(s)
	if s.Config.Empty() {
		return files
	}
	// Maps encode with sorted keys, so equal configs encode alike.
	b, _ := json.Marshal(s.Config.clone())
	if files == nil {
		files = map[string]string{}
	}
	files[ConfigFile] = string(b)
	return files
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

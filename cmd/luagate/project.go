package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/luagate/luagate/scripts"
)

// scaffold is the project "luagate init" writes: an echo endpoint, a chat
// endpoint with rooms, the module they share and a README of the layout.
//
//go:embed scaffold
var scaffold embed.FS

func initProject(args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("init", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = usageFunc(flags, "Usage: luagate init [DIR]\n\nCreate a project in DIR (default .): an echo endpoint, a chat endpoint with rooms, a module and a README.")
	pos, err := parseArgs(flags, args, 0, 1)
	if err != nil {
		return err
	}
	dir := dirArg(pos)
	for _, sub := range []string{scripts.EndpointsDir, scripts.ModulesDir, scripts.ServicesDir} {
		if _, err := os.Stat(filepath.Join(dir, sub)); err == nil {
			return fmt.Errorf("%s already holds a project (%s/ exists); nothing was written", dir, sub)
		}
	}
	root, err := fs.Sub(scaffold, "scaffold")
	if err != nil {
		return err
	}
	if err := os.CopyFS(dir, root); err != nil {
		return fmt.Errorf("write project: %w", err)
	}
	fmt.Fprintf(stdout, "created a luagate project in %s\n\nNext:\n  luagate serve --project %s --watch\n  npx wscat -c ws://127.0.0.1:8080/echo\n", dir, dir)
	return nil
}

// dirArg is the optional DIR argument of the project commands.
func dirArg(pos []string) string {
	if len(pos) == 0 {
		return "."
	}
	return pos[0]
}

func deploy(args []string, stdout, stderr io.Writer) error {
	var dryRun, yes bool
	pos, c, err := parseRemote(args, stderr, "deploy", "Usage: luagate deploy [flags] [DIR]\n\nCheck the project in DIR (default .), then replace the server's solution with it in one request, printing what was added (+), changed (~) and removed (-). A deploy that would remove every endpoint, or more than half of them, needs --yes.", 0, 1,
		func(fs *flag.FlagSet) {
			fs.BoolVar(&dryRun, "dry-run", false, "print what would change and change nothing")
			fs.BoolVar(&yes, "yes", false, "deploy even if it removes every endpoint, or more than half of them")
		})
	if err != nil {
		return err
	}
	dir := dirArg(pos)
	if err := checkProjectDir(dir); err != nil {
		return err
	}
	sol, err := readProject(dir, stderr)
	if err != nil {
		return err
	}
	ctx := context.Background()
	deployed, err := c.Solution(ctx)
	if err != nil {
		return err
	}
	diff := scripts.DiffSolutions(deployed, sol)
	fmt.Fprint(stdout, diff)
	removing := removesMostEndpoints(diff, len(deployed.Endpoints))
	switch {
	case dryRun:
		if removing != "" {
			fmt.Fprintf(stderr, "note: this deploy %s: it would need --yes\n", removing)
		}
		fmt.Fprintln(stdout, "dry run: nothing deployed")
		return nil
	case diff.Empty():
		return nil
	case removing != "" && !yes:
		return fmt.Errorf("this deploy %s of the server's solution; nothing deployed: check the directory (%s), or pass --yes", removing, dir)
	}
	init, err := c.Deploy(ctx, sol)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "deployed")
	switch {
	case init == nil:
	case init.OK:
		fmt.Fprintln(stdout, "ran "+scripts.InitFile)
	default:
		fmt.Fprintf(stderr, "warning: %s; the deploy stays\n", init.Error)
	}
	return nil
}

// readProject reads and checks a project, printing warnings and every
// problem to stderr as file:line: message.
func readProject(dir string, stderr io.Writer) (scripts.Solution, error) {
	sol, warnings, err := scripts.ReadProject(dir)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	var problems scripts.Problems
	if errors.As(err, &problems) {
		fmt.Fprintln(stderr, problems.Error())
		return sol, fmt.Errorf("%s in %s; nothing deployed", plural(len(problems), "problem"), dir)
	}
	return sol, err
}

func pull(args []string, stdout, stderr io.Writer) error {
	pos, c, err := parseRemote(args, stderr, "pull", "Usage: luagate pull [flags] [DIR]\n\nWrite the deployed solution as a project in DIR (default .), one file per script, and its config as services/websocket.yaml (the CORS as services/webservice.yaml, keeping its other keys). The .lua files under endpoints/, modules/ and services/, and services/websocket.yaml, are replaced; other files are kept.", 0, 1, nil)
	if err != nil {
		return err
	}
	dir := dirArg(pos)
	if err := checkPullDir(dir); err != nil {
		return err
	}
	sol, err := c.Solution(context.Background())
	if err != nil {
		return err
	}
	if err := scripts.WriteProject(dir, sol); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pulled %s, %s and %s into %s\n",
		plural(len(sol.Endpoints), "endpoint"), plural(len(sol.Modules), "module"), plural(len(sol.EventHandlers), "event handler"), dir)
	return nil
}

// removesMostEndpoints says how a deploy of diff removes every endpoint of
// a solution of total endpoints, or more than half of them ("" when it
// does not): the mark of a deploy from the wrong directory.
func removesMostEndpoints(diff scripts.Diff, total int) string {
	removed := 0
	for _, r := range diff.Removed {
		if strings.HasPrefix(r, "endpoint ") {
			removed++
		}
	}
	switch {
	case removed == 0:
		return ""
	case removed == total:
		return fmt.Sprintf("removes every endpoint (%d)", total)
	case removed*2 > total:
		return fmt.Sprintf("removes %d of the %d endpoints", removed, total)
	}
	return ""
}

// projectMarkers are what makes a directory a project: a file of the
// platform's project format, or a Lua script where a project keeps them.
var projectMarkers = []string{"murano.yaml", "murano.yml", "Solutionfile.json"}

// checkProjectDir refuses a directory that holds no project, such as a Go
// repository whose endpoints/ holds Go files: deploying it would replace
// the live solution with nothing.
func checkProjectDir(dir string) error {
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("project directory: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	if isProject(dir) {
		return nil
	}
	return fmt.Errorf("%s is not a luagate project: it has no murano.yaml and no .lua files in %s/, %s/ or %s/ (create one with luagate init)",
		dir, scripts.EndpointsDir, scripts.ModulesDir, scripts.ServicesDir)
}

// checkPullDir refuses to write a project over a directory that holds
// something else; a new or empty directory is fine.
func checkPullDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(entries) == 0) || (err == nil && isProject(dir)) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pull into %s: %w", dir, err)
	}
	return fmt.Errorf("%s is not empty and not a luagate project (no murano.yaml, no .lua files in %s/, %s/ or %s/): pull into a new directory", dir, scripts.EndpointsDir, scripts.ModulesDir, scripts.ServicesDir)
}

func isProject(dir string) bool {
	for _, m := range projectMarkers {
		if _, err := os.Stat(filepath.Join(dir, m)); err == nil {
			return true
		}
	}
	for _, sub := range []string{scripts.EndpointsDir, scripts.ModulesDir, scripts.ServicesDir} {
		found := false
		_ = filepath.WalkDir(filepath.Join(dir, sub), func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(d.Name(), ".lua") {
				found = true
				return filepath.SkipAll
			}
			return nil
		})
		if found {
			return true
		}
	}
	return false
}

// plural writes n and noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

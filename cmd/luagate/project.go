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
	var dryRun bool
	pos, c, err := parseRemote(args, stderr, "deploy", "Usage: luagate deploy [flags] [DIR]\n\nCheck the project in DIR (default .), then replace the server's solution with it in one request, printing what was added (+), changed (~) and removed (-).", 0, 1,
		func(fs *flag.FlagSet) {
			fs.BoolVar(&dryRun, "dry-run", false, "print what would change and change nothing")
		})
	if err != nil {
		return err
	}
	sol, err := readProject(dirArg(pos), stderr)
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
	switch {
	case dryRun:
		fmt.Fprintln(stdout, "dry run: nothing deployed")
		return nil
	case diff.Empty():
		return nil
	}
	if err := c.Deploy(ctx, sol); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "deployed")
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
		return sol, fmt.Errorf("%d problems in %s; nothing deployed", len(problems), dir)
	}
	return sol, err
}

func pull(args []string, stdout, stderr io.Writer) error {
	pos, c, err := parseRemote(args, stderr, "pull", "Usage: luagate pull [flags] [DIR]\n\nWrite the deployed solution as a project in DIR (default .), one file per script, and its config as services/websocket.yaml (the CORS as services/webservice.yaml, keeping its other keys). The .lua files under endpoints/, modules/ and services/, and services/websocket.yaml, are replaced; other files are kept.", 0, 1, nil)
	if err != nil {
		return err
	}
	sol, err := c.Solution(context.Background())
	if err != nil {
		return err
	}
	dir := dirArg(pos)
	if err := scripts.WriteProject(dir, sol); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pulled %d endpoints, %d modules and %d event handlers into %s\n",
		len(sol.Endpoints), len(sol.Modules), len(sol.EventHandlers), dir)
	return nil
}

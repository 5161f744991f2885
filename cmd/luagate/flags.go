package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// parseFlags parses args, which must hold no positional arguments, then
// fills every flag not given on the command line from its LUAGATE_<FLAG>
// environment variable.
func parseFlags(fs *flag.FlagSet, args []string) error {
	_, err := parseArgs(fs, args, 0, 0)
	return err
}

// parseArgs is parseFlags for commands that take between min and max
// positional arguments, which it returns. Flags may come before, between or
// after them ("luagate deploy DIR --dry-run"); after "--" everything is
// positional, so a message may start with "-".
func parseArgs(fs *flag.FlagSet, args []string, min, max int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return nil, err
			}
			return nil, errUsage
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	if len(pos) > max {
		fmt.Fprintf(fs.Output(), "luagate %s: unexpected argument %q%s\n", fs.Name(), pos[max], argumentHint(fs.Name(), pos[max]))
		return nil, errUsage
	}
	if len(pos) < min {
		fmt.Fprintf(fs.Output(), "luagate %s: missing arguments: run luagate %s --help\n", fs.Name(), fs.Name())
		return nil, errUsage
	}
	return pos, fillFromEnv(fs)
}

// actionFlags are the flags that ask a command to do something once (close
// every socket, skip a confirmation, watch a project) rather than configure
// it: they are read from the command line only, so that a variable left in
// the environment (LUAGATE_ALL=1) cannot make "luagate close" close every
// socket.
var actionFlags = map[string]bool{"all": true, "dry-run": true, "watch": true, "yes": true, "json": true}

// argumentHint says what a stray argument probably meant.
func argumentHint(command, arg string) string {
	if command != "serve" {
		return ""
	}
	if info, err := os.Stat(arg); err == nil && info.IsDir() {
		return fmt.Sprintf(": to serve a project, run luagate serve --project %s", arg)
	}
	return ": serve takes flags only (luagate serve --help)"
}

// fillFromEnv sets every flag not given on the command line, action flags
// excepted, from its LUAGATE_<FLAG> environment variable.
func fillFromEnv(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || actionFlags[f.Name] || err != nil {
			return
		}
		name := envName(f.Name)
		if v, ok := os.LookupEnv(name); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("environment variable %s=%q: %w", name, v, e)
			}
		}
	})
	return err
}

func envName(flagName string) string {
	return "LUAGATE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// usageFunc prints a command's synopsis and flags, each with its variable.
func usageFunc(fs *flag.FlagSet, synopsis string) func() {
	return func() {
		out := fs.Output()
		fmt.Fprintln(out, synopsis)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n == 0 {
			return
		}
		fmt.Fprint(out, "\nFlags (each also set by the environment variable shown, but for those only the command line sets):\n")
		fs.VisitAll(func(f *flag.Flag) {
			from := envName(f.Name)
			if actionFlags[f.Name] {
				from = "command line only"
			}
			fmt.Fprintf(out, "  --%s (%s)\n    \t%s", f.Name, from, f.Usage)
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				fmt.Fprintf(out, " (default %s)", f.DefValue)
			}
			fmt.Fprintln(out)
		})
	}
}

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
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", pos[max])
		return nil, errUsage
	}
	if len(pos) < min {
		fmt.Fprintf(fs.Output(), "missing arguments: run luagate %s --help\n", fs.Name())
		return nil, errUsage
	}
	return pos, fillFromEnv(fs)
}

// fillFromEnv sets every flag not given on the command line from its
// LUAGATE_<FLAG> environment variable.
func fillFromEnv(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
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
		fmt.Fprintf(out, "%s\n\nFlags (each also set by the environment variable shown):\n", synopsis)
		fs.VisitAll(func(f *flag.Flag) {
			fmt.Fprintf(out, "  --%s (%s)\n    \t%s", f.Name, envName(f.Name), f.Usage)
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				fmt.Fprintf(out, " (default %s)", f.DefValue)
			}
			fmt.Fprintln(out)
		})
	}
}

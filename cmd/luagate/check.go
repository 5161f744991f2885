package main

import (
	"flag"
	"fmt"
	"io"
)

// check is the deploy's local validation, for editors and CI: no server,
// no token.
func check(args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("check", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = usageFunc(flags, "Usage: luagate check [DIR]\n\nCheck the project in DIR (default .) as a deploy would, without a server: every problem is printed as file:line: message, and the exit code is 1 when there is one.")
	pos, err := parseArgs(flags, args, 0, 1)
	if err != nil {
		return err
	}
	dir := dirArg(pos)
	sol, err := readProject(dir, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s, %s, %s: no problems\n",
		dir, plural(len(sol.Endpoints), "endpoint"), plural(len(sol.Modules), "module"), plural(len(sol.EventHandlers), "event handler"))
	return nil
}

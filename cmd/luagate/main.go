// Command luagate is a WebSocket gateway that runs Lua scripts.
//
// Run "luagate --help" for the commands and "luagate serve --help" for the
// server's flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

const usage = `luagate: a WebSocket gateway that runs Lua scripts.

Usage:
  luagate serve [flags]   start the gateway (luagate serve --help for flags)

Every flag of a command can also be set by an environment variable
LUAGATE_<FLAG>, for example LUAGATE_ADDR=:9000; a flag on the command line wins.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "serve":
		err = serve(args[1:], stderr)
	default:
		fmt.Fprintf(stderr, "luagate: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "luagate %s: %v\n", args[0], err)
		return 1
	}
}

// errUsage marks a command line that could not be parsed; the flag package
// has already said why.
var errUsage = errors.New("usage error")

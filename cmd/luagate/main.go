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
	"runtime/debug"
)

const usage = `luagate: a WebSocket gateway that runs Lua scripts.

Usage:
  luagate serve [flags]               start the gateway; --project DIR [--watch]
                                      deploys a project, and redeploys it on change
  luagate init [DIR]                  create a project: echo and chat endpoints, a module
  luagate deploy [--dry-run] [DIR]    check a project and replace the server's solution
                                      (--yes when that removes most endpoints)
  luagate check [DIR]                 check a project locally, without a server
  luagate pull [DIR]                  write the deployed solution as a project
  luagate sockets                     list the open sockets
  luagate sessions [--active|--closed] [--user U]
                                      list sessions, open and closed, newest first
  luagate logs [-f] [--route R] [--socket ID] [--errors]
                                      print the script log, and follow it with -f
  luagate send SOCKET_ID MESSAGE      send a text message to a socket
  luagate close SOCKET_ID | --all     close one socket, or all of them
  luagate keys create|list|revoke     manage API keys
  luagate --version                   print the version
  luagate push RECIPIENT MESSAGE [--topic T] [--expires-in 1h]
                                      push a message to a recipient, stored until
                                      it expires if the recipient is offline
  luagate messages [--recipient R] [--status S]
                                      list pushed messages and their statuses

"luagate COMMAND --help" lists a command's flags: "luagate serve --help" the
server's (address, data dir, limits, TLS, authentication). Client commands (deploy,
pull, sockets, sessions, logs, send, close, keys, push, messages) find the server with --server (default
http://127.0.0.1:8080) and the token with --admin-token, else
<data-dir>/admin-token.

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
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "-version", "--version", "version":
		fmt.Fprintf(stdout, "luagate %s\n", buildVersion())
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "luagate: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if helpRequested(args[1:]) {
		// Help asked for is the answer, not an error: it goes to stdout.
		stderr = stdout
	}
	err := cmd(args[1:], stdout, stderr)
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

// commands maps each command name to what runs it.
var commands = map[string]func(args []string, stdout, stderr io.Writer) error{
	"serve":    func(args []string, _, stderr io.Writer) error { return serve(args, stderr) },
	"init":     initProject,
	"deploy":   deploy,
	"check":    check,
	"pull":     pull,
	"sockets":  sockets,
	"sessions": sessions,
	"logs":     scriptLogs,
	"send":     send,
	"close":    closeSockets,
	"keys":     keys,
}

// errUsage marks a command line that could not be parsed; the flag package
// has already said why.
var errUsage = errors.New("usage error")

// helpRequested reports whether a command's arguments ask for its help
// before any "--".
func helpRequested(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// without it the module version and VCS revision Go recorded are shown.
var version string

func buildVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v += " " + s.Value
		case "vcs.modified":
			if s.Value == "true" {
				v += " (modified)"
			}
		}
	}
	return v
}

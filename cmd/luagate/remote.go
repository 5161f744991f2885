package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/luagate/luagate/client"
	"github.com/luagate/luagate/gateway"
)

// remoteConfig is how a client command finds the server and its token.
type remoteConfig struct {
	server  string
	token   string
	dataDir string
}

// parseRemote parses the arguments of a client command: the flags every
// client command shares, those extra defines, and between min and max
// positional arguments, which it returns with a client of the server.
func parseRemote(args []string, stderr io.Writer, name, synopsis string, min, max int, extra func(*flag.FlagSet)) ([]string, *client.Client, error) {
	return parseRemoteChecked(args, stderr, name, synopsis, min, max, extra, nil)
}

// parseRemoteChecked is parseRemote for a command whose arguments depend
// on its flags: check, when not nil, judges them once parsed, before any
// token is looked for, so that a wrong command line is a usage error
// wherever it runs.
func parseRemoteChecked(args []string, stderr io.Writer, name, synopsis string, min, max int, extra func(*flag.FlagSet), check func(pos []string) error) ([]string, *client.Client, error) {
	var c remoteConfig
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = usageFunc(fs, synopsis)
	fs.StringVar(&c.server, "server", client.DefaultServer, "base URL of the luagate server")
	fs.StringVar(&c.token, "admin-token", "", "bearer token of the management API; when empty, read from <data-dir>/admin-token")
	fs.StringVar(&c.dataDir, "data-dir", "./luagate-data", "data dir of a server on this machine, whose admin-token file is used when --admin-token is empty")
	if extra != nil {
		extra(fs)
	}
	pos, err := parseArgs(fs, args, min, max)
	if err != nil {
		return nil, nil, err
	}
	if check != nil {
		if err := check(pos); err != nil {
			return nil, nil, err
		}
	}
	cl, err := c.client()
	return pos, cl, err
}

// client returns a client of the configured server, reading the token from
// the data dir when none was given.
func (c *remoteConfig) client() (*client.Client, error) {
	token := c.token
	if token == "" {
		var err error
		token, err = gateway.ReadToken(c.dataDir)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no admin token: pass --admin-token or set LUAGATE_ADMIN_TOKEN (or --data-dir of a server on this machine; %s does not exist)", gateway.TokenPath(c.dataDir))
		}
		if err != nil {
			return nil, err
		}
	}
	return client.New(c.server, token), nil
}

func sockets(args []string, stdout, stderr io.Writer) error {
	var (
		user   string
		asJSON bool
	)
	_, c, err := parseRemote(args, stderr, "sockets", "Usage: luagate sockets [flags]\n\nList the open sockets: id, route, user, parameters, when each connected (in this machine's time zone), messages in and out.", 0, 0,
		func(fs *flag.FlagSet) {
			fs.StringVar(&user, "user", "", "only the sockets of this user_id")
			fs.BoolVar(&asJSON, "json", false, "print the sockets as the management API answers them, a JSON array")
		})
	if err != nil {
		return err
	}
	var list []client.Socket
	if user != "" {
		list, err = c.UserSockets(context.Background(), user)
	} else {
		list, err = c.Sockets(context.Background())
	}
	if err != nil {
		return err
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ConnectedAt.Before(list[j].ConnectedAt) })
	if asJSON {
		if list == nil {
			list = []client.Socket{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	if len(list) == 0 {
		fmt.Fprintln(stdout, "no open sockets")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROUTE\tUSER\tPARAMETERS\tCONNECTED SINCE\tIN\tOUT")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\n", s.SocketID, s.Route, orDash(s.UserID), formatParams(s.Parameters),
			s.ConnectedAt.Local().Format(timeWithZone), s.MessagesIn, s.MessagesOut)
	}
	return tw.Flush()
}

// timeWithZone is how the client commands print a time: the zone is part of
// it, so that a time read on a server's log or another machine compares.
const timeWithZone = "2006-01-02 15:04:05 MST"

// formatParams shows parameters as sorted name=value pairs, "-" for none.
func formatParams(params map[string]string) string {
	if len(params) == 0 {
		return "-"
	}
	pairs := make([]string, 0, len(params))
	for k, v := range params {
		pairs = append(pairs, k+"="+v)
	}
	sort.Strings(pairs)
	return strings.Join(pairs, ",")
}

func send(args []string, stdout, stderr io.Writer) error {
	var user string
	pos, c, err := parseRemoteChecked(args, stderr, "send", "Usage: luagate send [flags] SOCKET_ID MESSAGE\n       luagate send --user USER_ID [flags] MESSAGE\n\nSend a text message to one socket, or to every socket of a user. Put -- before a message that starts with -.", 1, 2,
		func(fs *flag.FlagSet) { fs.StringVar(&user, "user", "", "send to every open socket of this user_id") },
		func(pos []string) error {
			switch {
			case user == "" && len(pos) == 1:
				fmt.Fprintln(stderr, "luagate send: missing arguments: run luagate send --help")
			case user != "" && len(pos) == 2:
				fmt.Fprintln(stderr, "luagate send: give either SOCKET_ID MESSAGE or --user USER_ID MESSAGE")
			default:
				return nil
			}
			return errUsage
		})
	if err != nil {
		return err
	}
	if user != "" {
		n, err := c.SendToUser(context.Background(), user, pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "sent to %s on %s\n", plural(n, "socket"), user)
		return nil
	}
	if err := c.Send(context.Background(), pos[0], pos[1]); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sent to %s\n", pos[0])
	return nil
}

func closeSockets(args []string, stdout, stderr io.Writer) error {
	var all bool
	var user string
	pos, c, err := parseRemoteChecked(args, stderr, "close", "Usage: luagate close [flags] SOCKET_ID\n       luagate close --user USER_ID [flags]\n       luagate close --all [flags]\n\nClose one socket, every socket of a user, or every socket, with code 1000.", 0, 1,
		func(fs *flag.FlagSet) {
			fs.BoolVar(&all, "all", false, "close every socket")
			fs.StringVar(&user, "user", "", "close every open socket of this user_id")
		},
		func(pos []string) error {
			chosen := 0
			for _, set := range []bool{all, user != "", len(pos) == 1} {
				if set {
					chosen++
				}
			}
			if chosen != 1 {
				fmt.Fprintln(stderr, "luagate close: give one of SOCKET_ID, --user USER_ID or --all")
				return errUsage
			}
			return nil
		})
	if err != nil {
		return err
	}
	switch {
	case all:
		n, err := c.CloseAll(context.Background())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "closed %s\n", plural(n, "socket"))
	case user != "":
		n, err := c.CloseUser(context.Background(), user)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "closed %s of %s\n", plural(n, "socket"), user)
	default:
		if err := c.Close(context.Background(), pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "closed %s\n", pos[0])
	}
	return nil
}

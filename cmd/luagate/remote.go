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
	var asJSON bool
	_, c, err := parseRemote(args, stderr, "sockets", "Usage: luagate sockets [flags]\n\nList the open sockets: id, route, user, parameters, when each connected (in this machine's time zone), messages in and out.", 0, 0,
		func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print the sockets as the management API answers them, a JSON array")
		})
	if err != nil {
		return err
	}
	list, err := c.Sockets(context.Background())
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
	pos, c, err := parseRemote(args, stderr, "send", "Usage: luagate send [flags] SOCKET_ID MESSAGE\n\nSend a text message to one socket. Put -- before a message that starts with -.", 2, 2, nil)
	if err != nil {
		return err
	}
	if err := c.Send(context.Background(), pos[0], pos[1]); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sent to %s\n", pos[0])
	return nil
}

func closeSockets(args []string, stdout, stderr io.Writer) error {
	var all bool
	pos, c, err := parseRemote(args, stderr, "close", "Usage: luagate close [flags] SOCKET_ID\n       luagate close --all [flags]\n\nClose one socket, or every socket, with code 1000.", 0, 1,
		func(fs *flag.FlagSet) { fs.BoolVar(&all, "all", false, "close every socket") })
	if err != nil {
		return err
	}
	if all == (len(pos) == 1) {
		fmt.Fprintln(stderr, "luagate close: give either a SOCKET_ID or --all")
		return errUsage
	}
	if all {
		n, err := c.CloseAll(context.Background())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "closed %s\n", plural(n, "socket"))
		return nil
	}
	if err := c.Close(context.Background(), pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "closed %s\n", pos[0])
	return nil
}

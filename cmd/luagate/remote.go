package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

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
	var user string
	_, c, err := parseRemote(args, stderr, "sockets", "Usage: luagate sockets [flags]\n\nList the open sockets: id, route, user, parameters, when each connected, messages in and out.", 0, 0,
		func(fs *flag.FlagSet) { fs.StringVar(&user, "user", "", "only the sockets of this user_id") })
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
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROUTE\tUSER\tPARAMETERS\tCONNECTED SINCE\tIN\tOUT")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\n", s.SocketID, s.Route, orDash(s.UserID), formatParams(s.Parameters),
			s.ConnectedAt.Local().Format(time.DateTime), s.MessagesIn, s.MessagesOut)
	}
	return tw.Flush()
}

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
	pos, c, err := parseRemote(args, stderr, "send", "Usage: luagate send [flags] SOCKET_ID MESSAGE\n       luagate send --user USER_ID [flags] MESSAGE\n\nSend a text message to one socket, or to every socket of a user. Put -- before a message that starts with -.", 1, 2,
		func(fs *flag.FlagSet) { fs.StringVar(&user, "user", "", "send to every open socket of this user_id") })
	if err != nil {
		return err
	}
	if (user != "") == (len(pos) == 2) {
		fmt.Fprintln(stderr, "give either SOCKET_ID MESSAGE or --user USER_ID MESSAGE")
		return errUsage
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
	pos, c, err := parseRemote(args, stderr, "close", "Usage: luagate close [flags] SOCKET_ID\n       luagate close --user USER_ID [flags]\n       luagate close --all [flags]\n\nClose one socket, every socket of a user, or every socket, with code 1000.", 0, 1,
		func(fs *flag.FlagSet) {
			fs.BoolVar(&all, "all", false, "close every socket")
			fs.StringVar(&user, "user", "", "close every open socket of this user_id")
		})
	if err != nil {
		return err
	}
	chosen := 0
	for _, set := range []bool{all, user != "", len(pos) == 1} {
		if set {
			chosen++
		}
	}
	if chosen != 1 {
		fmt.Fprintln(stderr, "give one of SOCKET_ID, --user USER_ID or --all")
		return errUsage
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

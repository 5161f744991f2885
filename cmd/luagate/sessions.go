package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/luagate/luagate/client"
	"github.com/luagate/luagate/session"
)

// defaultSessionsShown is how many sessions "luagate sessions" prints
// unless told.
const defaultSessionsShown = 100

func sessions(args []string, stdout, stderr io.Writer) error {
	var (
		active, closed bool
		q              client.SessionQuery
		limit          int
	)
	_, c, err := parseRemote(args, stderr, "sessions", "Usage: luagate sessions [--active|--closed] [--user USER_ID] [flags]\n\nList sessions, newest first: the open sockets and the closed ones the server keeps.", 0, 0,
		func(fs *flag.FlagSet) {
			fs.BoolVar(&active, "active", false, "only the open sockets")
			fs.BoolVar(&closed, "closed", false, "only the closed sessions")
			fs.StringVar(&q.UserID, "user", "", "only this user's sessions")
			fs.StringVar(&q.Route, "route", "", "only the sessions of this endpoint pattern")
			fs.IntVar(&limit, "limit", defaultSessionsShown, "most sessions to print")
		})
	if err != nil {
		return err
	}
	switch {
	case limit < 1:
		fmt.Fprintln(stderr, "--limit must be at least 1")
		return errUsage
	case active && closed:
		fmt.Fprintln(stderr, "give --active or --closed, not both")
		return errUsage
	case active:
		q.Status = "active"
	case closed:
		q.Status = "closed"
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROUTE\tUSER\tSTATUS\tCONNECTED\tCLOSED\tCODE\tIN\tOUT")
	for shown := 0; shown < limit; {
		q.Limit = min(limit-shown, session.MaxPage)
		page, err := c.Sessions(context.Background(), q)
		if err != nil {
			return err
		}
		for _, s := range page.Sessions {
			closedAt, code := "-", "-"
			if s.ClosedAt != nil {
				closedAt = s.ClosedAt.Local().Format(time.DateTime)
			}
			if s.CloseCode != nil {
				code = strconv.Itoa(*s.CloseCode)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", s.SocketID, s.Route, orDash(s.UserID), s.Status,
				s.ConnectedAt.Local().Format(time.DateTime), closedAt, code, s.MessagesIn, s.MessagesOut)
		}
		shown += len(page.Sessions)
		if page.NextToken == "" {
			break
		}
		q.NextToken = page.NextToken
	}
	return tw.Flush()
}

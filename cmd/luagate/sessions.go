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
	err = eachPage(limit, session.MaxPage, func(n int, token string) (int, string, error) {
		q.Limit, q.NextToken = n, token
		page, err := c.Sessions(context.Background(), q)
		if err != nil {
			return 0, "", err
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
		return len(page.Sessions), page.NextToken, nil
	})
	if err != nil {
		return err
	}
	return tw.Flush()
}

// eachPage fetches pages of at most max until limit records are shown or
// the listing ends: fetch gets the page size and token and answers how
// many it showed and the next token.
func eachPage(limit, max int, fetch func(n int, token string) (int, string, error)) error {
	token := ""
	for shown := 0; shown < limit; {
		n, next, err := fetch(min(limit-shown, max), token)
		if err != nil {
			return err
		}
		shown += n
		if next == "" {
			return nil
		}
		token = next
	}
	return nil
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/luagate/luagate/client"
)

func scriptLogs(args []string, stdout, stderr io.Writer) error {
	var (
		follow, errorsOnly bool
		q                  client.LogQuery
	)
	_, c, err := parseRemote(args, stderr, "logs", "Usage: luagate logs [-f] [--route R] [--socket ID] [--errors] [flags]\n\nPrint the script log, one record a line, oldest first: executions that printed or failed, and deploys.", 0, 0,
		func(fs *flag.FlagSet) {
			fs.BoolVar(&follow, "f", false, "keep printing new records until interrupted")
			fs.StringVar(&q.Route, "route", "", "only the records of this endpoint pattern")
			fs.StringVar(&q.SocketID, "socket", "", "only the records of this socket")
			fs.StringVar(&q.UserID, "user", "", "only the records of this user's sockets")
			fs.BoolVar(&errorsOnly, "errors", false, "only failed executions and refused deploys")
			fs.IntVar(&q.Limit, "limit", 100, "how many of the newest records to print first")
		})
	if err != nil {
		return err
	}
	if q.Limit < 0 {
		fmt.Fprintln(stderr, "--limit must not be negative")
		return errUsage
	}
	if errorsOnly {
		q.Status = "error"
	}
	print := func(r client.LogRecord) { fmt.Fprintln(stdout, r.Line()) }
	if !follow {
		recs, err := c.Logs(context.Background(), q)
		for _, r := range recs {
			print(r)
		}
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return c.FollowLogs(ctx, q, print, func(n uint64) {
		fmt.Fprintf(stderr, "luagate logs: fell behind; %d records were missed\n", n)
	})
}

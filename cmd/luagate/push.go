package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/luagate/luagate/client"
	"github.com/luagate/luagate/push"
	"github.com/luagate/luagate/wire"
)

func init() {
	commands["push"] = pushMessage
	commands["messages"] = messages
}

// pushFlags are serve's push flags.
func pushFlags(fs *flag.FlagSet, c *push.Config) {
	fs.StringVar(&c.Path, "push-path", push.DefaultPath, "path of the built-in push endpoint, which takes ?token= from POST /api/v1/solution/push/recipients; no endpoint may claim it")
	fs.IntVar(&c.MaxPending, "push-max-pending", push.DefaultMaxPending, "most PENDING push messages per recipient; a push past it fails with 429 for that recipient; -1 for no cap")
	fs.DurationVar(&c.Retention, "push-retention", push.DefaultRetention, "how long DELIVERED, CANCELLED and EXPIRED push messages are kept")
	fs.BoolVar(&c.Ack, "push-ack", false, "a push message is DELIVERED only when the client answers {\"ack\":\"<id>\"}, and is sent again on the next connect until then")
	fs.DurationVar(&c.SweepInterval, "push-sweep-interval", push.DefaultSweepInterval, "how often expired push messages are marked EXPIRED and old ones forgotten")
	fs.StringVar(&c.PublicURL, "public-url", "", "base of the connection URIs push registrations answer (https://push.example.com); empty builds them from the request's host")
}

func pushMessage(args []string, stdout, stderr io.Writer) error {
	var (
		topic     string
		expiresIn time.Duration
	)
	pos, c, err := parseRemote(args, stderr, "push", "Usage: luagate push RECIPIENT MESSAGE [--topic T] [--expires-in 1h] [flags]\n\nPush a message to a recipient: written now to its open push sockets, else kept PENDING until it expires (without --expires-in, a recipient not connected now never gets it).", 2, 2,
		func(fs *flag.FlagSet) {
			fs.StringVar(&topic, "topic", "", "the message's topic: only sockets whose token has it receive it")
			fs.DurationVar(&expiresIn, "expires-in", 0, "keep the message for an offline recipient this long")
		})
	if err != nil {
		return err
	}
	if expiresIn < 0 {
		fmt.Fprintln(stderr, "--expires-in must not be negative")
		return errUsage
	}
	req := wire.PushSend{Recipients: []string{pos[0]}, Message: pos[1], Topic: topic}
	if expiresIn > 0 {
		req.ExpiresAt = wire.PushTime(time.Now().Add(expiresIn).UTC().Format(time.RFC3339Nano))
	}
	items, err := c.Push(context.Background(), req)
	if err != nil {
		return err
	}
	for _, it := range items {
		if it.Error != nil {
			return errors.New(it.Error.Message)
		}
		fmt.Fprintf(stdout, "%s\t%s\n", it.Item.ID, it.Item.Status)
	}
	return nil
}

// defaultMessagesShown is how many messages "luagate messages" prints
// unless told.
const defaultMessagesShown = 100

func messages(args []string, stdout, stderr io.Writer) error {
	var (
		q     client.MessageQuery
		limit int
	)
	_, c, err := parseRemote(args, stderr, "messages", "Usage: luagate messages [--recipient R] [--status S] [flags]\n\nList pushed messages, newest first, with their statuses.", 0, 0,
		func(fs *flag.FlagSet) {
			fs.StringVar(&q.Recipient, "recipient", "", "only this recipient's messages")
			fs.StringVar(&q.Status, "status", "", "only messages in this status: PENDING, DELIVERED, CANCELLED or EXPIRED")
			fs.StringVar(&q.Topic, "topic", "", "only messages with this topic")
			fs.IntVar(&limit, "limit", defaultMessagesShown, "most messages to print")
		})
	if err != nil {
		return err
	}
	if limit < 1 {
		fmt.Fprintln(stderr, "--limit must be at least 1")
		return errUsage
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECIPIENT\tSTATUS\tCREATED\tEXPIRES\tTOPIC\tMESSAGE")
	err = eachPage(limit, push.MaxPage, func(n int, token string) (int, string, error) {
		q.Limit, q.NextToken = n, token
		page, err := c.Messages(context.Background(), q)
		if err != nil {
			return 0, "", err
		}
		for _, m := range page.Messages {
			expires, topic := "-", "-"
			if m.ExpiresAt != nil {
				expires = m.ExpiresAt.Local().Format(time.DateTime)
			}
			if m.Topic != nil {
				topic = *m.Topic
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Recipient, m.Status,
				m.CreatedAt.Local().Format(time.DateTime), expires, topic, strconv.Quote(m.Message))
		}
		return len(page.Messages), page.NextToken, nil
	})
	if err != nil {
		return err
	}
	return tw.Flush()
}

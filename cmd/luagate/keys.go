package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/luagate/luagate/wire"
)

const keysUsage = "Usage: luagate keys create --name NAME [--scopes connect,read,push,admin] [--user USER_ID] [--routes P,...] [--origins O,...] [--cidrs C,...] [--expires DURATION|RFC3339] [flags]\n       luagate keys list [flags]\n       luagate keys revoke [flags] KEY_ID"

// keys runs "luagate keys create|list|revoke".
func keys(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, keysUsage)
		return errUsage
	}
	switch args[0] {
	case "create":
		return createKey(args[1:], stdout, stderr)
	case "list":
		return listKeys(args[1:], stdout, stderr)
	case "revoke":
		return revokeKey(args[1:], stdout, stderr)
	case "-h", "-help", "--help":
		fmt.Fprintln(stdout, keysUsage)
		return nil
	}
	fmt.Fprintf(stderr, "unknown keys command %q\n%s\n", args[0], keysUsage)
	return errUsage
}

func createKey(args []string, stdout, stderr io.Writer) error {
	var req wire.KeyRequest
	var scopes, routes, origins, cidrs, expires string
	_, c, err := parseRemote(args, stderr, "keys create", keysUsage+"\n\nCreate an API key and print its secret, which is shown this once.", 0, 0, func(fs *flag.FlagSet) {
		fs.StringVar(&req.Name, "name", "", "the key's name (required)")
		fs.StringVar(&req.UserID, "user", "", "user_id of the sockets the key opens")
		fs.StringVar(&scopes, "scopes", "connect", "comma-separated scopes: connect, read, push, admin")
		fs.StringVar(&routes, "routes", "", "comma-separated endpoint patterns the key may connect to (path.Match globs); empty for all")
		fs.StringVar(&origins, "origins", "", "comma-separated browser origins the key may be used from; empty for any")
		fs.StringVar(&cidrs, "cidrs", "", "comma-separated networks the key may be used from; empty for any")
		fs.StringVar(&expires, "expires", "", "when the key stops working: a duration from now (720h) or an RFC 3339 time; empty for never")
	})
	if err != nil {
		return err
	}
	req.Scopes, req.Routes, req.AllowedOrigins, req.AllowedCIDRs = splitList(scopes), splitList(routes), splitList(origins), splitList(cidrs)
	if expires != "" {
		at, err := parseExpiry(expires)
		if err != nil {
			return err
		}
		req.ExpiresAt = &at
	}
	k, err := c.CreateKey(context.Background(), req)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %s (%s)\nsecret: %s\nThe secret is shown this once: keep it now.\n", k.ID, k.Name, k.Secret)
	return nil
}

// parseExpiry reads a duration from now or an RFC 3339 time.
func parseExpiry(s string) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(d), nil
	}
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--expires %q: a duration (720h) or an RFC 3339 time", s)
	}
	return at, nil
}

func listKeys(args []string, stdout, stderr io.Writer) error {
	_, c, err := parseRemote(args, stderr, "keys list", "Usage: luagate keys list [flags]\n\nList the API keys, without their secrets.", 0, 0, nil)
	if err != nil {
		return err
	}
	list, err := c.Keys(context.Background())
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tUSER\tSCOPES\tROUTES\tEXPIRES")
	for _, k := range list {
		expiry := "never"
		if k.ExpiresAt != nil {
			expiry = k.ExpiresAt.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, orDash(k.UserID), strings.Join(k.Scopes, ","), orDash(strings.Join(k.Routes, ",")), expiry)
	}
	return tw.Flush()
}

// orDash shows "" as "-", so that every column of a table has a word.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func revokeKey(args []string, stdout, stderr io.Writer) error {
	pos, c, err := parseRemote(args, stderr, "keys revoke", "Usage: luagate keys revoke [flags] KEY_ID\n\nRevoke an API key at once; the sockets it opened are closed with 1008.", 1, 1, nil)
	if err != nil {
		return err
	}
	n, err := c.RevokeKey(context.Background(), pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "revoked %s, closed %s\n", pos[0], plural(n, "socket"))
	return nil
}

package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/luagate/luagate/wire"
)

// LogRecord is one record of the script log.
type LogRecord = wire.LogRecord

// LogQuery selects script-log records; an empty field selects all.
type LogQuery struct {
	Route, SocketID, UserID string
	// Status is "ok", "error" or "" for both.
	Status string
	// Limit is how many of the newest records to return, or to start a
	// follow with; zero means the server's default.
	Limit int
}

func (q LogQuery) values() url.Values {
	return query(map[string]string{"route": q.Route, "socket_id": q.SocketID, "user_id": q.UserID, "status": q.Status}, q.Limit)
}

// query is a listing's query string: the fields that are set, and limit
// when positive.
func query(fields map[string]string, limit int) url.Values {
	v := url.Values{}
	for name, val := range fields {
		if val != "" {
			v.Set(name, val)
		}
	}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	return v
}

// Logs returns the newest records that pass q, newest last.
func (c *Client) Logs(ctx context.Context, q LogQuery) ([]LogRecord, error) {
	var out wire.Logs
	err := c.do(ctx, http.MethodGet, "/logs?"+q.values().Encode(), nil, &out)
	return out.Records, err
}

// FollowLogs calls record for the newest records that pass q, then for each
// new one, and dropped when the server says the follow fell behind and
// missed n records, until ctx ends or the server closes the stream.
func (c *Client) FollowLogs(ctx context.Context, q LogQuery, record func(LogRecord), dropped func(n uint64)) error {
	v := q.values()
	v.Set("follow", "1")
	// No timeout of its own: a follow lasts until ctx ends.
	resp, err := c.send(ctx, &http.Client{}, http.MethodGet, "/logs?"+v.Encode(), nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return answerError(resp, b)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		data, ok := bytes.CutPrefix(sc.Bytes(), []byte("data: "))
		if !ok {
			continue
		}
		var ev struct {
			LogRecord
			Dropped *uint64 `json:"dropped"`
		}
		if err := json.Unmarshal(data, &ev); err != nil {
			return fmt.Errorf("%s is not streaming the log as luagate does: %w", c.server, err)
		}
		if ev.Dropped != nil {
			dropped(*ev.Dropped)
			continue
		}
		record(ev.LogRecord)
	}
	if ctx.Err() != nil {
		return nil
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("follow the log of %s: %w", c.server, rootCause(err))
	}
	return nil
}

package logs

import (
	"strings"
	"time"
)

// Status of a record.
const (
	StatusOK    = "ok"
	StatusError = "error"
)

// EventDeploy is the event_type of a deploy's record; an execution's is
// its event's type (open, data, close).
const EventDeploy = "deploy"

// Record is one entry of the script log, shaped like the script log of the
// platform luagate reproduces.
type Record struct {
	Time      time.Time `json:"time"`
	Route     string    `json:"route"`
	SocketID  string    `json:"socket_id"`
	UserID    string    `json:"user_id"`
	EventType string    `json:"event_type"`
	// Status is StatusOK or StatusError.
	Status string `json:"status"`
	// Error is the failure, starting with the script and line
	// ("/chat/{room}:4: ..."), "" when Status is ok.
	Error           string   `json:"error"`
	ExecutionTimeUS int64    `json:"execution_time_us"`
	ScriptOutput    []string `json:"script_output"`
}

// Filter selects records; a zero field selects everything.
type Filter struct {
	Route, SocketID, UserID string
	// Status is StatusOK, StatusError or "".
	Status string
	// Since keeps the records from this time on.
	Since time.Time
}

// Match reports whether r passes f.
func (f Filter) Match(r *Record) bool {
	return (f.Route == "" || f.Route == r.Route) &&
		(f.SocketID == "" || f.SocketID == r.SocketID) &&
		(f.UserID == "" || f.UserID == r.UserID) &&
		(f.Status == "" || f.Status == r.Status) &&
		(f.Since.IsZero() || !r.Time.Before(f.Since))
}

// oneLine keeps a record on its line: a script may print or raise a
// string with line breaks.
var oneLine = strings.NewReplacer("\r", `\r`, "\n", `\n`)

// Line is r on one line, the way luagate logs prints it: time first, then
// the route, socket, user, event, status and time taken; then the error
// and the script's output, its lines joined with " | ", line breaks in
// either written as \n.
func (r *Record) Line() string {
	var b strings.Builder
	b.WriteString(r.Time.UTC().Format("2006-01-02T15:04:05.000Z07:00"))
	for _, f := range []string{r.Route, r.SocketID, r.UserID, r.EventType, r.Status} {
		b.WriteByte(' ')
		if f == "" {
			f = "-"
		}
		b.WriteString(f)
	}
	b.WriteByte(' ')
	b.WriteString((time.Duration(r.ExecutionTimeUS) * time.Microsecond).String())
	if r.Error != "" {
		b.WriteString(" error: ")
		oneLine.WriteString(&b, r.Error)
	}
	if len(r.ScriptOutput) > 0 {
		b.WriteString(" output: ")
		oneLine.WriteString(&b, strings.Join(r.ScriptOutput, " | "))
	}
	return b.String()
}

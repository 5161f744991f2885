package gateway

import (
	"fmt"
	"io"
	"log/slog"
)

// Log formats of NewLogger.
const (
	LogText = "text"
	LogJSON = "json"
)

// NewLogger returns the server's log, written to w: slog's key=value text
// (with a failed script's traceback on lines of its own after its record)
// or one JSON object a line, with records below level (debug, info, warn
// or error) left out.
func NewLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case LogText:
		return slog.New(newTextLogHandler(w, opts)), nil
	case LogJSON:
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: %s or %s", format, LogText, LogJSON)
}

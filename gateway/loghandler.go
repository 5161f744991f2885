package gateway

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// newTextLogHandler is slog's text handler writing to w, except that the
// traceback of a failed script (luaapi's LogFailure's "traceback"
// attribute) is written after its record, one line of the stack a line,
// indented by a tab: quoted in the record, its newlines would read as
// literal \n.
func newTextLogHandler(w io.Writer, opts *slog.HandlerOptions) slog.Handler {
	return &textLogHandler{inner: slog.NewTextHandler(w, opts), w: w, mu: &sync.Mutex{}}
}

type textLogHandler struct {
	inner slog.Handler
	w     io.Writer
	// mu keeps a record and its traceback together: every record takes
	// it, so that none is written between the two.
	mu *sync.Mutex
}

func (h *textLogHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *textLogHandler) Handle(ctx context.Context, r slog.Record) error {
	var tb string
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "traceback" {
			tb = a.Value.String()
			return false
		}
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	if tb == "" {
		return h.inner.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "traceback" {
			out.AddAttrs(a)
		}
		return true
	})
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(tb, "\n"), "\n") {
		b.WriteString("\t" + strings.TrimLeft(line, "\t") + "\n")
	}
	if err := h.inner.Handle(ctx, out); err != nil {
		return err
	}
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *textLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &textLogHandler{inner: h.inner.WithAttrs(attrs), w: h.w, mu: h.mu}
}

func (h *textLogHandler) WithGroup(name string) slog.Handler {
	return &textLogHandler{inner: h.inner.WithGroup(name), w: h.w, mu: h.mu}
}

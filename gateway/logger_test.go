package gateway_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/luagate/luagate/gateway"
)

func TestLoggerWritesTheFormatAndLevelAsked(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log, err := gateway.NewLogger(&buf, "json", "warn")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("left out")
	log.Warn("kept", "route", "/chat/{room}")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("not one JSON record: %q: %v", buf.String(), err)
	}
	if rec["msg"] != "kept" || rec["route"] != "/chat/{room}" || rec["level"] != "WARN" {
		t.Fatalf("record %v", rec)
	}
	buf.Reset()
	log, err = gateway.NewLogger(&buf, "text", "debug")
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("shown")
	if !strings.Contains(buf.String(), "level=DEBUG msg=shown") {
		t.Fatalf("text log %q", buf.String())
	}
	for _, bad := range [][2]string{{"xml", "info"}, {"json", "loud"}} {
		if _, err := gateway.NewLogger(&buf, bad[0], bad[1]); err == nil || !strings.Contains(err.Error(), bad[0]) && !strings.Contains(err.Error(), bad[1]) {
			t.Errorf("NewLogger(%q, %q): %v", bad[0], bad[1], err)
		}
	}
}

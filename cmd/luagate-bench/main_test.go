package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/luagate/luagate/bench"
	"github.com/luagate/luagate/internal/lgtesting"
)

// TestMain lets --procs run this test binary as its children.
func TestMain(m *testing.M) {
	if code, ok := bench.ServeAsChild(context.Background()); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// startLuagate serves luagate in this process with the echo example
// deployed and the rate limit off, and returns the echo endpoint's URL.
func startLuagate(t *testing.T) string {
	t.Helper()
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
	script, err := os.ReadFile("../../testdata/examples/echo/endpoints/echo.lua")
	if err != nil {
		t.Fatal(err)
	}
	if status, body := g.API(http.MethodPut, "/api/v1/solution/endpoints", string(script)); status != http.StatusOK {
		t.Fatalf("deploy echo: %d %s", status, body)
	}
	return g.WSURL("/echo")
}

// jsonReport is what --json prints, as far as the tests read it.
type jsonReport struct {
	Rows []struct {
		Name        string  `json:"name"`
		Established int     `json:"established"`
		Failed      int     `json:"failed"`
		Sent        uint64  `json:"sent"`
		Received    uint64  `json:"received"`
		P99         float64 `json:"p99_us"`
		CPUPerMsg   float64 `json:"cpu_us_per_msg"`
	} `json:"rows"`
	Ratios struct {
		CPUPerMsg float64 `json:"cpu_per_msg"`
	} `json:"ratios"`
}

func decodeReport(t *testing.T, out []byte) jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return r
}

// TestLoadToolMeasuresLuagateEcho runs the tool as the command line does,
// briefly, against luagate with the echo example: the greeting each
// connection gets first must not count as a reply, and the server's CPU
// per message is reported.
func TestLoadToolMeasuresLuagateEcho(t *testing.T) {
	url := startLuagate(t)
	var out, errs bytes.Buffer
	// The clients in a child process, so that this process's CPU time
	// over the window is the server's.
	args := []string{"--url", url, "--conns", "20", "--duration", "1s", "--procs", "1", "--server-pid", strconv.Itoa(os.Getpid()), "--json"}
	code := run(context.Background(), args, &out, &errs)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	report := decodeReport(t, out.Bytes())
	r := report.Rows[0]
	if len(report.Rows) != 1 || r.Established != 20 || r.Failed != 0 || r.Received == 0 || r.Received != r.Sent || r.P99 <= 0 || r.CPUPerMsg <= 0 {
		t.Fatalf("report %+v", report)
	}
}

// TestSelfCheckComparesTheRawEchoWithItself runs --compare --self-check
// briefly: both rows are raw echoes, each answers every connection, and
// each has its CPU per message read.
func TestSelfCheckComparesTheRawEchoWithItself(t *testing.T) {
	t.Parallel()
	var out, errs bytes.Buffer
	args := []string{"--compare", "--self-check", "--conns", "20", "--duration", "500ms", "--json"}
	if code := run(context.Background(), args, &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	report := decodeReport(t, out.Bytes())
	if len(report.Rows) != 2 || report.Rows[0].Name != "raw gorilla echo" || report.Rows[1].Name != "raw echo, own process" {
		t.Fatalf("rows %+v", report.Rows)
	}
	for _, r := range report.Rows {
		if r.Established != 20 || r.Received == 0 || r.CPUPerMsg <= 0 {
			t.Errorf("%s: %+v", r.Name, r)
		}
	}
	if report.Ratios.CPUPerMsg <= 0 {
		t.Errorf("ratios %+v", report.Ratios)
	}
}

func TestCommandLineMistakesAreRefused(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--url", "ws://10.1.2.3/echo", "--conns", "1", "--duration", "1ms"},
		{"--compare", "--url", "ws://127.0.0.1:1/"},
		{"--compare", "--rounds", "0"},
		{"--compare", "--idle", "--rounds", "2"},
		{"--proxy", "--url", "ws://127.0.0.1:1/"},
		{"--fanout", "2", "--senders", "3"},
		{"--fanout", "10", "--http"},
		{"--fanout", "-1"},
	} {
		var out, errs bytes.Buffer
		if code := run(context.Background(), args, &out, &errs); code == 0 {
			t.Errorf("%q: exit 0, want a refusal", args)
		}
	}
}

// TestSelfCheckRefusesWhatItWouldIgnore: --self-check runs no luagate, so
// the flags that choose or change luagate's side are refused with it.
func TestSelfCheckRefusesWhatItWouldIgnore(t *testing.T) {
	for _, args := range [][]string{
		{"--self-check", "--url", "ws://127.0.0.1:1/echo"},
		{"--compare", "--self-check", "--proxy"},
		{"--compare", "--self-check", "--luagate-bin", "/bin/true"},
		{"--compare", "--self-check", "--script", "x.lua"},
		{"--http", "--compare", "--self-check"},
	} {
		_, err := parseOptions(args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "--self-check") {
			t.Errorf("%q: %v, want --self-check refused", args, err)
		}
	}
}

// TestLoadToolMeasuresAnHTTPEndpoint runs --http briefly against luagate's
// trivial HTTP endpoint: every request is answered and counted.
func TestLoadToolMeasuresAnHTTPEndpoint(t *testing.T) {
	g := lgtesting.NewGateway(t)
	if status, body := g.API(http.MethodPut, "/api/v1/solution/endpoints", bench.HTTPScript); status != http.StatusOK {
		t.Fatalf("deploy: %d %s", status, body)
	}
	var out, errs bytes.Buffer
	code := run(context.Background(), []string{"--http", "--url", g.URL("/hello"), "--conns", "4", "--duration", "300ms", "--json"}, &out, &errs)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	var report struct {
		Rows []struct {
			Requests uint64  `json:"requests"`
			Failed   uint64  `json:"failed"`
			PerSec   float64 `json:"requests_per_sec"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(out.Bytes(), &report); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if len(report.Rows) != 1 || report.Rows[0].Requests == 0 || report.Rows[0].Failed != 0 || report.Rows[0].PerSec <= 0 {
		t.Fatalf("report %s", out.String())
	}
	if code := run(context.Background(), []string{"--http", "--url", "http://10.0.0.1/x", "--duration", "100ms"}, &out, &errs); code != 1 {
		t.Errorf("a target off loopback: exit %d", code)
	}
}

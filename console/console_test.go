package console

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestConsoleIsServedWithItsPolicy(t *testing.T) {
	t.Parallel()
	h := Handler()
	for _, c := range []struct {
		method, path string
		status       int
		has          string
	}{
		{http.MethodGet, "/console", http.StatusMovedPermanently, ""},
		{http.MethodGet, "/console/", http.StatusOK, "<title>luagate console</title>"},
		{http.MethodGet, "/console/app.js", http.StatusOK, "import"},
		{http.MethodGet, "/console/missing.js", http.StatusNotFound, ""},
		{http.MethodPost, "/console/", http.StatusMethodNotAllowed, ""},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(c.method, c.path, nil))
		if w.Code != c.status || !strings.Contains(w.Body.String(), c.has) {
			t.Errorf("%s %s: %d, want %d with %q", c.method, c.path, w.Code, c.status, c.has)
		}
		if w.Code == http.StatusOK && !strings.Contains(w.Header().Get("Content-Security-Policy"), "connect-src 'self'") {
			t.Errorf("%s: no content security policy", c.path)
		}
	}
}

// externalRef finds what a page would fetch from another origin: a URL in
// src, href, url() or an import, or passed to fetch.
var externalRef = regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|(import|fetch)\s*\(?\s*["'](https?:)?//|@import`)

// TestConsoleFetchesNothingFromOutside keeps a console on a closed network
// whole: every file it loads comes from luagate.
func TestConsoleFetchesNothingFromOutside(t *testing.T) {
	t.Parallel()
	err := fs.WalkDir(assets, "assets", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(path)
		if err != nil {
			return err
		}
		if m := externalRef.Find(b); m != nil {
			t.Errorf("%s refers outside luagate: %s", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

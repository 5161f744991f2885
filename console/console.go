// Package console holds luagate's web console: plain HTML, CSS and
// JavaScript embedded in the binary, with no build step and nothing
// fetched from elsewhere, so that a browser on a closed network gets the
// whole console from luagate. The pages call the public management API
// and nothing else; this package serves files and knows nothing of the
// API. It imports nothing of luagate's.
package console

import (
	"embed"
	"io/fs"
	"net/http"
)

// Path is where the console is served; /console itself redirects to it.
const Path = "/console/"

//go:embed assets
var assets embed.FS

// securityPolicy lets the pages load only luagate's own files and call
// only luagate, and keeps them out of other sites' frames.
const securityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves the console's files under Path.
func Handler() http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic("console: " + err.Error()) // the embedded tree is fixed at build time
	}
	files := http.StripPrefix(Path, http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "the console is read-only", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == Path[:len(Path)-1] {
			http.Redirect(w, r, Path, http.StatusMovedPermanently)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", securityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// The files change with the binary: a browser asks again each time.
		h.Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}

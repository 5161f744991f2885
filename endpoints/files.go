package endpoints

import (
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/luagate/luagate/files"
	"github.com/luagate/luagate/wire"
)

// isLink tells the paths of files' public links.
func (s *Server) isLink(path string) bool {
	return s.cfg.Files != nil && underPrefix(path, files.LinkPrefix)
}

// serveLink serves a file placed behind a public link, to anyone, until
// the link expires: /files/<token>/<name>. It is always a download, never
// a page of this origin.
func (s *Server) serveLink(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowedError", "a file link is read with GET")
		return
	}
	token, name, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, files.LinkPrefix+"/"), "/")
	f, err := s.cfg.Files.OpenLink(token, name)
	if err != nil {
		writeError(w, http.StatusNotFound, "NotFoundError", "no such file, or its link has expired")
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	http.ServeContent(w, r, "", time.Time{}, f)
}

// socketFiles answers the file routes of an open socket, and 404 for one
// that is not open.
func (s *Server) socketFiles(h func(w http.ResponseWriter, r *http.Request, id, name string)) httprouter.Handle {
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		id := ps.ByName("id")
		if s.cfg.Files == nil {
			writeError(w, http.StatusNotFound, "NotFoundError", "this server keeps no files")
			return
		}
		if _, err := s.hub.Socket(id); err != nil {
			writeErr(w, err)
			return
		}
		h(w, r, id, ps.ByName("name"))
	}
}

func fileView(f files.Info) wire.File {
	return wire.File{Name: f.Name, Size: f.Size, ModifiedAt: f.ModifiedAt}
}

func (s *Server) listFiles(w http.ResponseWriter, _ *http.Request, id, _ string) {
	infos, err := s.cfg.Files.List(id)
	if err != nil {
		writeErr(w, err)
		return
	}
	out := make([]wire.File, len(infos))
	for i, f := range infos {
		out[i] = fileView(f)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getFile(w http.ResponseWriter, _ *http.Request, id, name string) {
	b, err := s.cfg.Files.Get(id, name)
	if err != nil {
		writeErr(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b)
}

func (s *Server) putFile(w http.ResponseWriter, r *http.Request, id, name string) {
	if err := files.CheckName(name); err != nil {
		writeErr(w, err)
		return
	}
	b, err := readBody(w, r, s.cfg.MaxFileBytes)
	if err != nil {
		writeErr(w, err)
		return
	}
	info, err := s.cfg.Files.Put(id, name, b)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, fileView(info))
}

func (s *Server) deleteFile(w http.ResponseWriter, _ *http.Request, id, name string) {
	if err := s.cfg.Files.Delete(id, name); err != nil {
		writeErr(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

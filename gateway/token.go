package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// TokenPath is where a gateway keeps the admin token it generated, and
// where client commands on the same machine look for it.
func TokenPath(dataDir string) string { return filepath.Join(dataDir, "admin-token") }

// ReadToken reads the token kept in dataDir; an empty file counts as none.
// A missing file is an error wrapping fs.ErrNotExist.
func ReadToken(dataDir string) (string, error) {
	b, err := os.ReadFile(TokenPath(dataDir))
	if err != nil {
		return "", fmt.Errorf("read admin token: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// adminToken returns the configured token, or the one kept in the data dir,
// generating it on first start. The file is readable by its owner only.
func adminToken(given, dataDir string, logger *slog.Logger) (string, error) {
	if given != "" {
		return given, nil
	}
	path := TokenPath(dataDir)
	token, err := ReadToken(dataDir)
	if err == nil && token != "" {
		logger.Info("admin token read from file", "path", path)
		return token, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("generate admin token: %w", err)
	}
	token = hex.EncodeToString(raw[:])
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write admin token: %w", err)
	}
	logger.Info("admin token generated", "path", path)
	return token, nil
}

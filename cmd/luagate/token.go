package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// tokenPath is where a server keeps the admin token it generated, and where
// client commands on the same machine look for it.
func tokenPath(dataDir string) string { return filepath.Join(dataDir, "admin-token") }

// readToken reads the token kept in dataDir; an empty file counts as none.
// A missing file is an error wrapping fs.ErrNotExist.
func readToken(dataDir string) (string, error) {
	b, err := os.ReadFile(tokenPath(dataDir))
	if err != nil {
		return "", fmt.Errorf("read admin token: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

package files_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a store's sweeper outlives its Close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

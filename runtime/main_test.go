package runtime_test

import (
	"testing"

	"github.com/luagate/luagate/internal/lgtesting"
)

func TestMain(m *testing.M) { lgtesting.Main(m) }

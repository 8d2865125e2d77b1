package rules

import (
	"testing"

	"github.com/allot/allot/internal/testenv"
)

// TestMain applies RAPID_CHECKS (see internal/testenv).
func TestMain(m *testing.M) { testenv.Main(m) }

package plugins_test

import (
	"testing"

	"github.com/allot/allot/internal/testenv"
)

// TestMain applies RAPID_CHECKS (CI's case count for the property tests).
func TestMain(m *testing.M) { testenv.Main(m) }

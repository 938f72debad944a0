// Package workerfaults holds process-level tests of worker failures: a
// worker SIGKILLed, SIGSTOPped past its lease, SIGTERMed (drain), and a step
// that kills every worker it runs on.
package workerfaults

import (
	"testing"

	"github.com/dmake/dmake/pkg/cluster/proctest/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

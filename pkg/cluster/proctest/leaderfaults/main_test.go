// Package leaderfaults holds process-level tests of coordinator failures: the
// leader SIGKILLed or SIGSTOPped mid-build, every coordinator restarted from
// its data dir; and the failover benchmarks.
package leaderfaults

import (
	"testing"

	"github.com/dmake/dmake/pkg/cluster/proctest/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

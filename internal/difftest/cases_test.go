package difftest

import (
	"context"
	"path/filepath"
	"testing"
)

// TestCasesAreDeterministic runs every case of the suite with GNU make on
// both sides. A case that differs from itself (it prints a pid, a time, a
// temporary name) would fail TestDiff whatever dmake did, so it is caught
// here, where dmake plays no part.
func TestCasesAreDeterministic(t *testing.T) {
	needMake(t)
	cases, err := LoadAll(filepath.Join("..", "..", "testdata", "diff"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases found")
	}
	r := &Runner{Root: t.TempDir()}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if c.Note == "" {
				t.Error("the case has no '#' note saying what it tests")
			}
			if c.Skip != "" {
				// A skipped case says why it cannot be compared (GNU make
				// itself not deterministic there); TestDiff skips it too.
				t.Skip(c.Skip)
			}
			t.Parallel()
			report, err := r.Check(context.Background(), c, refMake, refMake)
			if err != nil {
				t.Fatal(err)
			}
			if report != "" {
				t.Errorf("GNU make differs from itself:\n%s", report)
			}
		})
	}
}

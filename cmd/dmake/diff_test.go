package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dmake/dmake/internal/difftest"
)

// diffRefMake is the reference GNU make 4.3. DIFFTEST_REF_MAKE may point
// elsewhere (a GNU make 4.3 installed under another path).
func diffRefMake() string {
	if p := os.Getenv("DIFFTEST_REF_MAKE"); p != "" {
		return p
	}
	return "/usr/bin/make"
}

var (
	diffBuildOnce sync.Once
	diffDmakeBin  string // path of the built dmake, or "" if it could not be built
	diffBuildErr  string // combined output of a failed build
)

// diffBuildDmake builds this package's command into dir once per test process.
func diffBuildDmake(dir string) {
	diffBuildOnce.Do(func() {
		bin := filepath.Join(dir, "dmake")
		out, err := exec.Command("go", "build", "-o", bin, "github.com/dmake/dmake/cmd/dmake").CombinedOutput()
		if err != nil {
			diffBuildErr = err.Error() + "\n" + string(out)
			return
		}
		diffDmakeBin = bin
	})
}

// TestDiff runs every case under testdata/diff with GNU make and with dmake
// and fails each case whose runs differ in exit status, stdout, stderr or
// resulting files. Cases run in parallel, as many at once as -test.parallel
// allows (GOMAXPROCS by default).
func TestDiff(t *testing.T) {
	cases, err := difftest.LoadAll(filepath.Join("..", "..", "testdata", "diff"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases found under testdata/diff")
	}
	diffCheckRefMake(t)
	root := t.TempDir()
	diffBuildDmake(root)
	if diffDmakeBin == "" {
		if strings.Contains(diffBuildErr, "no non-test Go files") || strings.Contains(diffBuildErr, "no Go files") {
			t.Skip("cmd/dmake has no main package yet")
		}
		t.Fatalf("build dmake:\n%s", diffBuildErr)
	}
	runner := &difftest.Runner{Root: filepath.Join(root, "difftest")}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if c.Skip != "" {
				t.Skip(c.Skip)
			}
			t.Parallel()
			report, err := runner.Check(context.Background(), c, diffRefMake(), diffDmakeBin)
			if err != nil {
				t.Fatal(err)
			}
			if report != "" {
				t.Error(report)
			}
		})
	}
}

// diffCheckRefMake fails the test unless the reference make is GNU make 4.3:
// comparing against anything else would prove nothing.
func diffCheckRefMake(t *testing.T) {
	out, err := exec.Command(diffRefMake(), "--version").Output()
	if err != nil {
		t.Fatalf("reference make %s: %v (set DIFFTEST_REF_MAKE to a GNU make 4.3)", diffRefMake(), err)
	}
	if !strings.HasPrefix(string(out), "GNU Make 4.3\n") {
		first, _, _ := strings.Cut(string(out), "\n")
		t.Fatalf("reference make %s is %q, want GNU Make 4.3 (set DIFFTEST_REF_MAKE)", diffRefMake(), first)
	}
}

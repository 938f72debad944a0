package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestJobserverSharedAcrossMakes runs trees of recursive makes that mix
// GNU make and dmake, in both directions, under one -j: every leaf recipe
// appends "B name" to a log when it starts and "E name" when it ends, and
// the test replays the log to find how many recipes ran at once. That
// count never exceeds -j, whatever the timing, if the makes share the
// jobserver's slots; no timing is asserted. A tree that deadlocks is
// killed by the hang guard and fails.
func TestJobserverSharedAcrossMakes(t *testing.T) {
	diffCheckRefMake(t)
	root := t.TempDir()
	// Its own build: TestDiff's binary lives in TestDiff's temporary
	// directory, gone once that test ends.
	dm := filepath.Join(root, "dmake")
	if out, err := exec.Command("go", "build", "-o", dm, "github.com/dmake/dmake/cmd/dmake").CombinedOutput(); err != nil {
		t.Fatalf("build dmake: %v\n%s", err, out)
	}
	gnu := diffRefMake()
	trees := []struct {
		name            string
		top, sub1, sub2 string
	}{
		{"dmake-over-gnu", dm, gnu, gnu},
		{"gnu-over-dmake", gnu, dm, dm},
		{"dmake-over-both", dm, gnu, dm},
		{"gnu-over-both", gnu, dm, gnu},
		{"dmake-only", dm, dm, dm},
	}
	for _, jobs := range []int{2, 3} {
		for _, tr := range trees {
			t.Run(fmt.Sprintf("%s-j%d", tr.name, jobs), func(t *testing.T) {
				dir := filepath.Join(root, fmt.Sprintf("%s-j%d", tr.name, jobs))
				log := writeJobserverTree(t, dir, tr.sub1, tr.sub2)
				runJobserverTree(t, dir, tr.top, jobs)
				peak, n := peakConcurrency(t, log)
				if n != 3*6 {
					t.Errorf("%d recipes ran, want 18", n)
				}
				if peak > jobs {
					t.Errorf("%d recipes ran at once under -j%d", peak, jobs)
				}
				t.Logf("peak %d of -j%d", peak, jobs)
			})
		}
	}
}

// writeJobserverTree writes a top makefile with six leaf recipes and two
// sub-makes (sub1 in d1, sub2 in d2) with six each, and returns the log's
// path.
func writeJobserverTree(t *testing.T, dir, sub1, sub2 string) string {
	t.Helper()
	log := filepath.Join(dir, "log")
	rec := "@sh " + filepath.Join(dir, "rec.sh") + " $(CURDIR)/$@\n"
	leaves := "L = a b c d e f\nall: $(L)\n$(L):\n\t" + rec
	files := map[string]string{
		"rec.sh": "echo \"B $1\" >> " + log + "\nsleep 0.05\necho \"E $1\" >> " + log + "\n",
		"Makefile": "L = a b c d e f\nall: s1 s2 $(L)\n" +
			"s1: ; +@" + sub1 + " --no-print-directory -C d1\n" +
			"s2: ; +@" + sub2 + " --no-print-directory -C d2\n" +
			"$(L):\n\t" + rec,
		"d1/Makefile": leaves,
		"d2/Makefile": leaves,
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return log
}

// runJobserverTree runs the top make with -jN in a clean environment.
func runJobserverTree(t *testing.T, dir, top string, jobs int) {
	t.Helper()
	// A hang guard, not a timing assertion: a deadlocked tree never ends.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, top, fmt.Sprintf("-j%d", jobs))
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + dir, "LC_ALL=C"}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("the tree did not finish (deadlock?):\n%s", out)
	}
	if err != nil {
		t.Fatalf("%s -j%d: %v\n%s", top, jobs, err, out)
	}
	if strings.Contains(string(out), "jobserver") {
		t.Errorf("jobserver warning:\n%s", out)
	}
}

// peakConcurrency replays the log: the most recipes between their B and E
// lines at once, and how many recipes ran.
func peakConcurrency(t *testing.T, log string) (peak, n int) {
	t.Helper()
	f, err := os.Open(log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	running := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		switch {
		case strings.HasPrefix(sc.Text(), "B "):
			running++
			n++
		case strings.HasPrefix(sc.Text(), "E "):
			running--
		default:
			t.Fatalf("bad log line %q", sc.Text())
		}
		peak = max(peak, running)
	}
	return peak, n
}

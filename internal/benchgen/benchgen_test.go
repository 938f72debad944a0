package benchgen

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// gnuMake is the reference make; tests that run it skip when it is missing.
const gnuMake = "/usr/bin/make"

func readAll(t *testing.T, dir string, files []string) []byte {
	t.Helper()
	var all []byte
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

func TestParseBenchDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	ra, err := ParseBench(a, ParseOptions{Lines: 5000})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := ParseBench(b, ParseOptions{Lines: 5000})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readAll(t, a, ra.Files), readAll(t, b, rb.Files)) {
		t.Fatal("two runs with the same seed wrote different files")
	}
	if ra.Lines < 5000 {
		t.Fatalf("wrote %d lines, want at least 5000", ra.Lines)
	}
}

func TestDAGDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	ra, err := DAG(a, DAGOptions{Targets: 300})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DAG(b, DAGOptions{Targets: 300}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readAll(t, a, []string{"Makefile"}), readAll(t, b, []string{"Makefile"})) {
		t.Fatal("two runs with the same seed wrote different Makefiles")
	}
	if ra.Targets != 300 {
		t.Fatalf("DAG has %d targets, want 300", ra.Targets)
	}
}

// runGNU runs GNU make in dir and fails on a non-zero exit or any stderr.
func runGNU(t *testing.T, dir string, args ...string) string {
	t.Helper()
	if _, err := os.Stat(gnuMake); err != nil {
		t.Skip("no GNU make at " + gnuMake)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(gnuMake, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("make %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.String()
}

func TestParseBenchUnderGNUMake(t *testing.T) {
	dir := t.TempDir()
	if _, err := ParseBench(dir, ParseOptions{Lines: 8000}); err != nil {
		t.Fatal(err)
	}
	out := runGNU(t, dir, "-n", ParseGoal)
	if want := "make: Nothing to be done for '" + ParseGoal + "'.\n"; out != want {
		t.Fatalf("make -n %s printed %q, want %q", ParseGoal, out, want)
	}
}

func TestDAGUnderGNUMake(t *testing.T) {
	dir := t.TempDir()
	res, err := DAG(dir, DAGOptions{Targets: 400})
	if err != nil {
		t.Fatal(err)
	}
	runGNU(t, dir, "-j2", "-s")
	made := 0
	filepath.WalkDir(filepath.Join(dir, "out"), func(_ string, d os.DirEntry, _ error) error {
		if d != nil && !d.IsDir() {
			made++
		}
		return nil
	})
	if made != res.Targets {
		t.Fatalf("clean build made %d files, want %d", made, res.Targets)
	}
	if out := runGNU(t, dir, "-j2"); out != "make: Nothing to be done for 'all'.\n" {
		t.Fatalf("no-op build printed %q", out)
	}
}

package difftest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const refMake = "/usr/bin/make"

// needMake fails the test when the reference make is missing: these tests
// prove the harness against it and mean nothing without it.
func needMake(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath(refMake); err != nil {
		t.Fatalf("reference make: %v", err)
	}
}

func loadTestCase(t *testing.T, name string) *Case {
	t.Helper()
	c, err := Load(filepath.Join("testdata", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fakeMake writes an executable shell script and returns its path.
func fakeMake(t *testing.T, script string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fake")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMakeAgainstItself runs cases with GNU make on both sides: the
// harness must see no difference.
func TestMakeAgainstItself(t *testing.T) {
	needMake(t)
	r := &Runner{Root: t.TempDir()}
	for _, name := range []string{"recursive", "error", "files"} {
		c := loadTestCase(t, name)
		report, err := r.Check(context.Background(), c, refMake, refMake)
		if err != nil {
			t.Fatal(err)
		}
		if report != "" {
			t.Errorf("%s: make differs from itself:\n%s", name, report)
		}
	}
}

// TestRunObservesEverything checks what one run records, so a Check that
// reports no difference is known to have compared something.
func TestRunObservesEverything(t *testing.T) {
	needMake(t)
	t.Setenv("MAKEFLAGS", "-k")
	t.Setenv("MAKELEVEL", "7")
	r := &Runner{Root: t.TempDir()}
	res, err := r.Run(context.Background(), loadTestCase(t, "recursive"), refMake)
	if err != nil {
		t.Fatal(err)
	}
	want := "top make 0\nsub 1 sub\n"
	if string(res.Stdout) != want || res.Exit != "0" {
		t.Errorf("stdout %q exit %s, want %q exit 0 (is the outer MAKEFLAGS/MAKELEVEL leaking?)", res.Stdout, res.Exit, want)
	}
	if !strings.Contains(res.Tree, "== f sub/out.txt\nmade\n") {
		t.Errorf("tree lacks the file the sub-make wrote:\n%s", res.Tree)
	}
	res, err = r.Run(context.Background(), loadTestCase(t, "files"), refMake)
	if err != nil {
		t.Fatal(err)
	}
	want = "compile old.c\nhello world tail ab ab ab stdin\nscript ran\n"
	if string(res.Stdout) != want {
		t.Errorf("files case: stdout %q, want %q; stderr %s", res.Stdout, want, res.Stderr)
	}
	for _, s := range []string{"== f run.sh (exec)\n", "== l link -> old.c\n", "== f tail.mk\nTAIL = tail\n\\ no newline"} {
		if !strings.Contains(res.Tree, s) {
			t.Errorf("tree lacks %q:\n%s", s, res.Tree)
		}
	}
}

// TestMismatchIsReported proves the harness can fail: programs that differ
// from GNU make in each observed way must produce a report naming it.
func TestMismatchIsReported(t *testing.T) {
	needMake(t)
	r := &Runner{Root: t.TempDir(), Timeout: 2 * time.Second}
	c := loadTestCase(t, "recursive")
	tests := []struct {
		script string
		want   []string
	}{
		{"echo something else\n", []string{"--- stdout (GNU make)", "-top make 0", "+something else", "--- file tree (GNU make)", "-== f sub/out.txt"}},
		{"echo top make 0; echo sub 1 sub; echo made >sub/out.txt; echo oops >&2; exit 3\n", []string{"exit status: GNU make 0, dmake 3", "+oops"}},
		{"echo top make 0; echo sub 1 sub; echo other >sub/out.txt\n", []string{"-made", "+other"}},
		{"echo top make 0; echo sub 1 sub; echo made >sub/out.txt; chmod +x sub/out.txt\n", []string{"+== f sub/out.txt (exec)"}},
		{"sleep 30\n", []string{"exit status: GNU make 0, dmake killed after 2s"}},
		{"exec yes\n", []string{"dmake killed after 2s", "more lines of diff]"}},
	}
	for _, tt := range tests {
		report, err := r.Check(context.Background(), c, refMake, fakeMake(t, tt.script))
		if err != nil {
			t.Fatal(err)
		}
		if report == "" {
			t.Errorf("script %q: no mismatch reported", tt.script)
		}
		for _, w := range tt.want {
			if !strings.Contains(report, w) {
				t.Errorf("script %q: report lacks %q:\n%s", tt.script, w, report)
			}
		}
	}
}

// TestBrokenReferenceIsAnError checks that a reference run that hangs is
// reported as a broken case rather than compared.
func TestBrokenReferenceIsAnError(t *testing.T) {
	r := &Runner{Root: t.TempDir(), Timeout: time.Second}
	c, err := Parse("g/hang", []byte("-- Makefile --\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Check(context.Background(), c, fakeMake(t, "sleep 30\n"), fakeMake(t, "true\n"))
	if err == nil || !strings.Contains(err.Error(), "reference run did not finish") {
		t.Errorf("err = %v, want a reference-run error", err)
	}
}

package difftest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiffText(t *testing.T) {
	if d := Diff("a", "same\n", "b", "same\n"); d != "" {
		t.Errorf("equal texts gave %q", d)
	}
	a := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n"
	b := "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n11"
	want := "--- a\n+++ b\n@@ -2 +2 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n 9\n 10\n+11\n+\\ no newline at end\n"
	if got := Diff("a", a, "b", b); got != want {
		t.Errorf("Diff:\n%s\nwant:\n%s", got, want)
	}
	// Changes more than six lines apart make two hunks.
	a, b = "x\n"+a+"y\n", "X\n"+a+"Y\n"
	want = "--- a\n+++ b\n@@ -1 +1 @@\n-x\n+X\n 1\n 2\n 3\n@@ -9 +9 @@\n 8\n 9\n 10\n-y\n+Y\n"
	if got := Diff("a", a, "b", b); got != want {
		t.Errorf("Diff:\n%s\nwant:\n%s", got, want)
	}
	if got := Diff("a", "x\x00\xff\n", "b", ""); !strings.Contains(got, `-"x\x00\xff" (quoted)`) {
		t.Errorf("binary line not quoted: %q", got)
	}
}

func TestDiffIsBounded(t *testing.T) {
	long := strings.Repeat("y\n", 10*maxDiffLines)
	got := Diff("a", "", "b", long)
	if n := strings.Count(got, "\n"); n != maxDiffLines+1 {
		t.Errorf("diff has %d lines, want %d", n, maxDiffLines+1)
	}
	if !strings.HasSuffix(got, "[... 3603 more lines of diff]\n") {
		t.Errorf("diff ends %q", got[len(got)-40:])
	}
}

func TestSnapshot(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "d", "e"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "d", "x"), []byte("x\n"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "a"), []byte("no nl"), 0o600))
	must(os.Symlink("a", filepath.Join(dir, "l")))
	got, err := Snapshot(dir)
	must(err)
	want := "== f a\nno nl\n\\ no newline at end of file\n== d d/\n== d d/e/\n== f d/x (exec)\nx\n== l l -> a\n"
	if got != want {
		t.Errorf("Snapshot:\n%s\nwant:\n%s", got, want)
	}
}

package difftest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCapBuffer(t *testing.T) {
	b := &capBuffer{max: 5}
	for _, s := range []string{"ab", "cde", "fgh", "i"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got, want := string(b.Bytes()), "abcde\n[difftest: 4 more bytes not kept]\n"; got != want {
		t.Errorf("Bytes() = %q, want %q", got, want)
	}
	small := &capBuffer{max: 5}
	small.Write([]byte("abc"))
	if got := string(small.Bytes()); got != "abc" {
		t.Errorf("Bytes() = %q, want %q", got, "abc")
	}
}

func TestSnapshotLargeFile(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("x", maxFileContent+1)
	if err := os.WriteFile(filepath.Join(dir, "big"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Snapshot(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "== f big\n(1048577 bytes, sha256 ") || len(got) > 200 {
		t.Errorf("Snapshot of a large file = %.200q", got)
	}
}

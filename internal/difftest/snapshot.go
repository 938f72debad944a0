package difftest

import (
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Snapshot renders the tree under dir as text, one entry per header line in
// lexical path order:
//
//	== d sub/
//	== f sub/a.txt
//	<content lines>
//	== f run.sh (exec)
//	== l link -> target
//
// A file whose content does not end in a newline is followed by the line
// "\ no newline at end of file". Only the executable bit of a file's mode is
// recorded, since the rest depends on the umask more than on make.
func Snapshot(dir string) (string, error) {
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel := filepath.ToSlash(p[len(dir)+1:])
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			b.WriteString("== l " + rel + " -> " + target + "\n")
		case d.IsDir():
			b.WriteString("== d " + rel + "/\n")
		case d.Type().IsRegular():
			return snapshotFile(&b, p, rel)
		default:
			b.WriteString("== ? " + rel + " (" + d.Type().String() + ")\n")
		}
		return nil
	})
	return b.String(), err
}

// snapshotFile renders one regular file.
func snapshotFile(b *strings.Builder, p, rel string) error {
	info, err := os.Lstat(p)
	if err != nil {
		return err
	}
	b.WriteString("== f " + rel)
	if info.Mode()&0o111 != 0 {
		b.WriteString(" (exec)")
	}
	b.WriteString("\n")
	if info.Size() > maxFileContent {
		return summarizeFile(b, p)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	b.Write(data)
	if len(data) > 0 && data[len(data)-1] != '\n' {
		b.WriteString("\n\\ no newline at end of file\n")
	}
	return nil
}

// maxFileContent is the largest file whose content a snapshot shows; a
// bigger one is shown as its size and SHA-256.
const maxFileContent = 1 << 20

// summarizeFile renders a large file as its size and hash.
func summarizeFile(b *strings.Builder, p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(b, "(%d bytes, sha256 %x)\n", n, h.Sum(nil))
	return nil
}

package benchgen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// file accumulates one generated file and counts its lines.
type file struct {
	buf   bytes.Buffer
	lines int
}

func (f *file) printf(format string, args ...any) {
	n := f.buf.Len()
	fmt.Fprintf(&f.buf, format, args...)
	f.lines += bytes.Count(f.buf.Bytes()[n:], []byte{'\n'})
}

func (f *file) write(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, f.buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

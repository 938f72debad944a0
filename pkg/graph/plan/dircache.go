package plan

import (
	"os"
	"path/filepath"
	"strings"
)

// dirCache answers "does this file exist?" for planning from directory
// listings, each directory read once, as GNU make's own directory cache
// does. Implicit rule search asks about many files that do not exist (every
// candidate prerequisite of every target); a listing answers them all for
// one read instead of a failed stat each. Planning happens before any
// recipe runs, so a listing is as true as a stat would be.
type dirCache struct {
	fs   FS
	dirs map[string]map[string]bool
}

// lister is implemented by file systems that can list a directory.
type lister interface {
	// List returns the names in a directory, and false if it cannot be
	// read.
	List(dir string) ([]string, bool)
}

// List implements lister for the real file system.
func (f OSFS) List(dir string) ([]string, bool) {
	p := dir
	if f.Dir != "" && !filepath.IsAbs(dir) {
		p = filepath.Join(f.Dir, dir)
	}
	ents, err := os.ReadDir(p)
	if err != nil {
		return nil, false
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	return names, true
}

func newDirCache(fs FS) *dirCache { return &dirCache{fs: fs, dirs: map[string]map[string]bool{}} }

// exists reports whether name exists.
func (c *dirCache) exists(name string) bool {
	l, ok := c.fs.(lister)
	if !ok || name == "" || strings.HasSuffix(name, "/") {
		_, found := c.fs.Stat(name)
		return found
	}
	dir, base := filepath.Split(name)
	if base == "." || base == ".." {
		_, found := c.fs.Stat(name)
		return found
	}
	key := filepath.Clean(dir)
	set, ok := c.dirs[key]
	if !ok {
		names, readable := l.List(key)
		if readable {
			set = make(map[string]bool, len(names))
			for _, n := range names {
				set[n] = true
			}
		}
		c.dirs[key] = set
	}
	return set[base]
}

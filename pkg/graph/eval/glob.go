package eval

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// dirCache holds directory listings the way GNU make's does: a directory
// is read the first time a wildcard looks into it (the working directory
// at start-up) and never again, so a wildcard pattern does not see files
// that recipes create later in the run. Names without wildcards are always
// looked up afresh, as in GNU make.
type dirCache map[string][]string

func (c dirCache) read(path string) []string {
	if names, ok := c[path]; ok {
		return names
	}
	entries, err := os.ReadDir(path)
	var names []string
	if err == nil {
		names = make([]string, len(entries))
		for i, ent := range entries {
			names[i] = ent.Name()
		}
	}
	c[path] = names
	return names
}

// glob expands a wildcard pattern as the C library's glob() does for GNU
// make: a '*', '?' or '[' never matches a leading '.' of a name, a
// trailing '/' keeps only directories (and stays in the result), and the
// result is sorted. Names are relative to dir unless the pattern is
// absolute.
func (c dirCache) glob(dir, pat string) []string {
	trailing := strings.HasSuffix(pat, "/") && len(pat) > 1
	p := strings.TrimRight(pat, "/")
	if p == "" {
		p = "/"
	}
	var parts []string
	root := ""
	if strings.HasPrefix(p, "/") {
		root = "/"
		p = strings.TrimLeft(p, "/")
	}
	if p != "" {
		parts = strings.Split(p, "/")
	}
	matches := []string{root}
	for i, part := range parts {
		last := i == len(parts)-1
		var next []string
		for _, m := range matches {
			next = append(next, c.globPart(dir, m, part, last && !trailing)...)
		}
		matches = next
		if len(matches) == 0 {
			return nil
		}
	}
	var out []string
	for _, m := range matches {
		if trailing {
			if st, err := os.Stat(join(dir, m)); err != nil || !st.IsDir() {
				continue
			}
			m += "/"
		}
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

func join(dir, rel string) string {
	if filepath.IsAbs(rel) || dir == "" {
		return rel
	}
	return dir + "/" + rel
}

// globPart extends one match by one pattern component. Components without
// wildcards are taken as they are (checking existence only at the end, as
// glob does); others are matched against the directory's entries.
func (c dirCache) globPart(dir, prefix, part string, last bool) []string {
	joinName := func(name string) string {
		switch prefix {
		case "":
			return name
		case "/":
			return "/" + name
		}
		return prefix + "/" + name
	}
	if !hasGlob(part) {
		name := joinName(unescapeGlob(part))
		if _, err := os.Lstat(join(dir, name)); err != nil {
			if _, err := os.Stat(join(dir, name)); err != nil {
				return nil
			}
		}
		if !last {
			if st, err := os.Stat(join(dir, name)); err != nil || !st.IsDir() {
				return nil
			}
		}
		return []string{name}
	}
	base := prefix
	if base == "" {
		base = "."
	}
	var out []string
	for _, n := range c.read(filepath.Clean(join(dir, base))) {
		if strings.HasPrefix(n, ".") && !strings.HasPrefix(part, ".") {
			continue
		}
		if ok, _ := filepath.Match(part, n); !ok {
			continue
		}
		full := joinName(n)
		if !last {
			if st, err := os.Stat(join(dir, full)); err != nil || !st.IsDir() {
				continue
			}
		}
		out = append(out, full)
	}
	return out
}

func unescapeGlob(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

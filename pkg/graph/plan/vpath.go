package plan

import (
	"strings"

	"github.com/dmake/dmake/pkg/graph/eval"
)

// vpathResolver finds prerequisites in the directories that vpath
// directives and the VPATH variable name.
type vpathResolver struct {
	fs      FS
	vpaths  []eval.VPath
	general []string
	gpath   []string
	cache   map[string]string
}

func newVPath(ev *eval.Evaluator, db *eval.Database, fs FS) *vpathResolver {
	v := &vpathResolver{fs: fs, vpaths: db.VPaths, cache: make(map[string]string)}
	if s, ok, _ := ev.ValueIn(ev.GlobalScope(), "VPATH"); ok {
		for _, w := range eval.Fields(s) {
			for _, d := range strings.Split(w, ":") {
				if d != "" {
					v.general = append(v.general, d)
				}
			}
		}
	}
	if s, ok, _ := ev.ValueIn(ev.GlobalScope(), "GPATH"); ok {
		for _, w := range eval.Fields(s) {
			for _, d := range strings.Split(w, ":") {
				if d != "" {
					v.gpath = append(v.gpath, strings.TrimSuffix(d, "/"))
				}
			}
		}
	}
	return v
}

// inGPath reports whether a path found by vpath is in a GPATH directory:
// a target there is remade where it was found.
func (v *vpathResolver) inGPath(found string) bool {
	dir := "."
	if i := strings.LastIndexByte(found, '/'); i >= 0 {
		dir = found[:i]
	}
	for _, g := range v.gpath {
		if g == dir {
			return true
		}
	}
	return false
}

// resolve returns where name is: itself if it exists or is absolute, else
// the first vpath directory holding it, else name.
func (v *vpathResolver) resolve(name string) string {
	if len(v.vpaths) == 0 && len(v.general) == 0 {
		return name
	}
	if r, ok := v.cache[name]; ok {
		return r
	}
	r := v.search(name)
	v.cache[name] = r
	return r
}

func (v *vpathResolver) search(name string) string {
	if strings.HasPrefix(name, "/") {
		return name
	}
	if _, ok := v.fs.Stat(name); ok {
		return name
	}
	for _, vp := range v.vpaths {
		if _, ok := vp.Pattern.Match(name); !ok {
			continue
		}
		for _, d := range vp.Dirs {
			if c := strings.TrimSuffix(d, "/") + "/" + name; v.exists(c) {
				return c
			}
		}
	}
	for _, d := range v.general {
		if c := strings.TrimSuffix(d, "/") + "/" + name; v.exists(c) {
			return c
		}
	}
	return name
}

func (v *vpathResolver) exists(p string) bool {
	_, ok := v.fs.Stat(p)
	return ok
}

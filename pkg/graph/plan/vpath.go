package plan

import (
	"strings"

	"github.com/dmake/dmake/pkg/graph/eval"
)

// vpathResolver finds prerequisites in the directories that vpath
// directives and the VPATH variable name.
type vpathResolver struct {
	files   *dirCache
	vpaths  []eval.VPath
	general []string
	gpath   []string
	libpats []string // .LIBPATTERNS, for -lNAME prerequisites
	cache   map[string]string
}

// libDirs are the system directories searched for -lNAME after the
// current directory and vpath, as GNU make 4.3 built for Debian does.
var libDirs = []string{"/lib", "/usr/lib", "/usr/lib/x86_64-linux-gnu", "/usr/local/lib"}

func newVPath(ev *eval.Evaluator, db *eval.Database, files *dirCache) *vpathResolver {
	v := &vpathResolver{files: files, vpaths: db.VPaths, cache: make(map[string]string)}
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
	if s, ok, _ := ev.ValueIn(ev.GlobalScope(), ".LIBPATTERNS"); ok {
		v.libpats = eval.Fields(s)
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
	if strings.HasPrefix(name, "-l") && len(name) > 2 {
		if r, ok := v.cache[name]; ok {
			return r
		}
		r := v.library(name[2:])
		v.cache[name] = r
		return r
	}
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

// library finds the file for a -lNAME prerequisite from the patterns of
// .LIBPATTERNS (libNAME.so, libNAME.a by default): first any of them here,
// then for each in turn through vpath and in the system directories. Not
// found, it stays -lNAME.
func (v *vpathResolver) library(lib string) string {
	var files []string
	for _, pat := range v.libpats {
		if p := eval.ParsePattern(pat); p.HasPercent {
			files = append(files, p.Subst(lib))
		}
	}
	for _, f := range files {
		if v.exists(f) {
			return f
		}
	}
	for _, f := range files {
		if r := v.search(f); v.exists(r) {
			return r
		}
		for _, d := range libDirs {
			if c := d + "/" + f; v.exists(c) {
				return c
			}
		}
	}
	return "-l" + lib
}

func (v *vpathResolver) search(name string) string {
	if strings.HasPrefix(name, "/") {
		return name
	}
	if v.files.exists(name) {
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
	return v.files.exists(p)
}

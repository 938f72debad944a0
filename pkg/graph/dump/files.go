package dump

import (
	"sort"

	"github.com/dmake/dmake/pkg/graph/eval"
)

// files writes every file make knows of, sorted by name: its
// target-specific variables, its rule line, notes and recipe.
func (p *printer) files() {
	p.f("# Files\n")
	db := p.ev.DB
	names := make([]string, 0, len(db.Files))
	for n := range db.Files {
		names = append(names, n)
	}
	// GNU make also knows every makefile read, every prerequisite
	// named, and .DEFAULT and .SUFFIXES, rule or not.
	extra := append([]string{".DEFAULT", ".SUFFIXES"}, db.Makefiles...)
	for _, f := range db.Files {
		deps := f.Deps
		for _, r := range f.Doubles {
			deps = append(deps[:len(deps):len(deps)], r.Deps...)
		}
		for _, d := range deps {
			if !d.Second {
				extra = append(extra, d.Name)
			}
		}
	}
	seen := map[string]bool{}
	for _, n := range extra {
		if db.Files[n] == nil && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		f := db.Files[n]
		if f == nil {
			f = &eval.File{Name: n} // a makefile read, not a target
		}
		p.file(f)
	}
	p.f("\n# files hash-table stats:\n# Load=%d\n", len(names))
}

func (p *printer) file(f *eval.File) {
	p.f("\n")
	if f.Vars != nil && f.Vars.Len() > 0 {
		vars := f.Vars
		names := vars.Names()
		sort.Strings(names)
		for _, n := range names {
			v := vars.Lookup(n)
			p.f("# %s\n%s: %s\n", Origin(v), f.Name, Definition(v))
		}
	}
	if f.Double && len(f.Doubles) > 0 {
		for i, r := range f.Doubles {
			if i > 0 {
				p.f("\n")
			}
			p.f("%s::%s\n", f.Name, depList(r.Deps))
			p.notes(f)
			p.recipe(r.Recipe, r.Builtin)
		}
		return
	}
	if !f.IsTarget {
		p.f("# Not a target:\n")
	}
	p.f("%s:%s\n", f.Name, depList(f.Deps))
	p.notes(f)
	p.recipe(f.Recipe, f.Builtin)
}

func (p *printer) notes(f *eval.File) {
	if p.opt.Phony[f.Name] {
		p.f("#  Phony target (prerequisite of .PHONY).\n")
	}
	if f.Builtin {
		p.f("#  Builtin rule\n")
	}
	if f.Stem != "" {
		p.f("#  Implicit/static pattern stem: '%s'\n", f.Stem)
	}
}

// vpaths writes the vpath directives and VPATH.
func (p *printer) vpaths() {
	p.f("# VPATH Search Paths\n\n")
	vps := p.ev.DB.VPaths
	for _, vp := range vps {
		p.f("vpath %s %s\n\n", patternText(vp.Pattern), joinColon(vp.Dirs))
	}
	if len(vps) == 0 {
		p.f("# No 'vpath' search paths.\n")
	} else {
		p.f("# %d 'vpath' search paths.\n", len(vps))
	}
	if v := p.ev.Global.Lookup("VPATH"); v != nil && v.Value != "" {
		val := v.Value
		if v.Flavor == eval.Recursive {
			if s, _, err := p.ev.ValueIn(p.ev.GlobalScope(), "VPATH"); err == nil {
				val = s
			}
		}
		p.f("\n# General ('VPATH' variable) search path:\n# %s\n", joinColon(eval.Fields(normalizeColons(val))))
		return
	}
	p.f("\n# No general ('VPATH' variable) search path.\n")
}

func patternText(pt eval.Pattern) string {
	if !pt.HasPercent {
		return pt.Prefix
	}
	return pt.Prefix + "%" + pt.Suffix
}

func joinColon(dirs []string) string {
	s := ""
	for i, d := range dirs {
		if i > 0 {
			s += ":"
		}
		s += d
	}
	return s
}

// normalizeColons turns VPATH's colon separators into blanks.
func normalizeColons(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == ':' {
			b[i] = ' '
		}
	}
	return string(b)
}

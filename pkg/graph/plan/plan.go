// Package plan turns an evaluated makefile and a list of goals into a
// Graph of steps: one step per target to bring up to date, with its
// prerequisites, the rule that makes it (explicit, double-colon, implicit
// through pattern and suffix rules, or .DEFAULT) and the variables its
// recipe sees. It is the last stage of pkg/graph: parse → eval → plan.
//
// Whether a step's recipe actually runs is decided when the step is ready,
// by comparing modification times then, as GNU make does; the graph only
// fixes what depends on what and in which order GNU make would visit it.
package plan

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/dmake/dmake/pkg/graph/eval"
	"github.com/dmake/dmake/pkg/graph/syntax"
)

// Step is one target to bring up to date.
type Step struct {
	ID     int
	Name   string // the target as named in the makefile
	Path   string // where the file is: Name, or where vpath found it
	File   *eval.File
	Recipe *eval.Recipe // nil: nothing to run
	Stem   string       // $*
	Deps   []int        // normal prerequisites, duplicates kept ($+)
	// Extra counts the last entries of Deps that come from .EXTRA_PREREQS:
	// they count for out-of-date decisions but are in no automatic variable.
	Extra  int
	Order  []int // order-only prerequisites
	Parent int   // the step that first needed this one; -1 for goals
	// Priority is the depth-first post-order index: GNU make's order at -j1.
	Priority int64
	Scope    *eval.Scope // variables for the recipe, automatic ones aside

	Phony        bool
	Precious     bool
	Intermediate bool // made by an implicit chain, deleted after the build
	Secondary    bool
	Silent       bool // .SILENT names it
	Ignore       bool // .IGNORE names it
	IsTarget     bool // some rule names it (no rule: a source file that must exist)
	Double       bool // one double-colon rule of a target
	// GPath: Path was found by vpath in a GPATH directory, so a remade
	// target stays there; otherwise a target found by vpath that must be
	// remade is remade as Name, here.
	GPath bool
	Group []int
	// Also names the other files the multi-target pattern rule that makes
	// this one makes with the same recipe run.
	Also []string
	// Notes are messages GNU make prints while walking the graph
	// (circular dependencies dropped), printed just before this step
	// starts: it is the first step after them in GNU make's order.
	Notes []string
}

// Graph is every step reachable from the goals.
type Graph struct {
	Steps  []*Step
	Goals  []int
	byName map[string]int

	NotParallel     bool
	OneShell        bool
	Posix           bool
	DeleteOnError   bool
	ExportAll       bool
	SilentAll       bool // .SILENT with no prerequisites
	IgnoreAll       bool // .IGNORE with no prerequisites
	LowResolution   map[string]bool
	DefaultRecipe   *eval.Recipe
	Intermediates   []int // steps to delete at the end if the build made them
	SecondaryAll    bool
	PreciousTargets map[string]bool
}

// Lookup returns the step for a target name.
func (g *Graph) Lookup(name string) (*Step, bool) {
	id, ok := g.byName[name]
	if !ok {
		return nil, false
	}
	return g.Steps[id], true
}

// FS is the file system planning looks at.
type FS interface {
	// Stat returns a file's modification time and whether it exists.
	Stat(name string) (time.Time, bool)
}

// OSFS is the real file system, relative to Dir.
type OSFS struct{ Dir string }

// Stat implements FS.
func (f OSFS) Stat(name string) (time.Time, bool) {
	if t, found, isMember := statMember(f.Dir, name); isMember {
		return t, found
	}
	p := name
	if f.Dir != "" && !strings.HasPrefix(name, "/") {
		p = f.Dir + "/" + name
	}
	st, err := os.Stat(p)
	if err != nil {
		return time.Time{}, false
	}
	return st.ModTime(), true
}

type planner struct {
	ev    *eval.Evaluator
	db    *eval.Database
	fs    FS
	files *dirCache // existence, from directory listings
	// parsedPats are the patterns' target patterns, parsed once.
	parsedPats [][]parsedTarget
	noRule     map[string]bool // implicit searches that failed, by name and chain
	g          *Graph
	onStack    map[int]bool
	counter    int64
	mentioned  map[string]bool
	phony      map[string]bool
	specials   map[string]map[string]bool
	vpath      *vpathResolver
	patterns   []*eval.Rule
	pending    map[string]*match // intermediate files an implicit chain will make
	deferred   map[int][]int     // missing intermediates a step makes after its other prerequisites
	notes      []string          // messages for the next step to get a priority
	err        error
}

// Build plans the goals. The evaluator must have loaded and snapped its
// database.
func Build(ev *eval.Evaluator, goals []string, fs FS) (*Graph, error) {
	p := &planner{
		ev:        ev,
		db:        ev.DB,
		fs:        fs,
		g:         &Graph{byName: make(map[string]int)},
		onStack:   make(map[int]bool),
		mentioned: make(map[string]bool),
		specials:  make(map[string]map[string]bool),
		pending:   make(map[string]*match),
		noRule:    make(map[string]bool),
		deferred:  make(map[int][]int),
	}
	p.patterns = p.db.Patterns
	p.readSpecials()
	p.files = newDirCache(fs)
	p.vpath = newVPath(ev, p.db, p.files)
	for _, f := range p.db.Files {
		for _, d := range f.Deps {
			p.mentioned[d.Name] = true
		}
	}
	for _, goal := range goals {
		// Goals are in GNU make's file table: they "ought to exist" for
		// implicit rule search.
		p.mentioned[eval.CleanName(goal)] = true
	}
	for _, goal := range goals {
		id := p.visit(eval.CleanName(goal), -1)
		if p.err != nil {
			return nil, p.err
		}
		p.g.Goals = append(p.g.Goals, id)
	}
	return p.g, nil
}

// special returns the prerequisites of a special target and whether it
// appears with no prerequisites (meaning "everything" for some).
func (p *planner) readSpecials() {
	for _, name := range []string{".PHONY", ".PRECIOUS", ".INTERMEDIATE", ".SECONDARY", ".SILENT", ".IGNORE", ".NOTPARALLEL", ".ONESHELL", ".POSIX", ".DELETE_ON_ERROR", ".EXPORT_ALL_VARIABLES", ".LOW_RESOLUTION_TIME", ".NOTINTERMEDIATE"} {
		deps, ok := p.db.Prereqs(name)
		if !ok {
			continue
		}
		set := make(map[string]bool, len(deps))
		for _, d := range deps {
			set[d] = true
		}
		p.specials[name] = set
	}
	p.phony = p.specials[".PHONY"]
	g := p.g
	_, g.NotParallel = p.specials[".NOTPARALLEL"]
	_, g.OneShell = p.specials[".ONESHELL"]
	_, g.Posix = p.specials[".POSIX"]
	_, g.DeleteOnError = p.specials[".DELETE_ON_ERROR"]
	_, g.ExportAll = p.specials[".EXPORT_ALL_VARIABLES"]
	g.ExportAll = g.ExportAll || p.ev.ExportAll
	if s, ok := p.specials[".SILENT"]; ok && len(s) == 0 {
		g.SilentAll = true
	}
	if s, ok := p.specials[".IGNORE"]; ok && len(s) == 0 {
		g.IgnoreAll = true
	}
	if s, ok := p.specials[".SECONDARY"]; ok && len(s) == 0 {
		g.SecondaryAll = true
	}
	g.PreciousTargets = p.specials[".PRECIOUS"]
	g.LowResolution = p.specials[".LOW_RESOLUTION_TIME"]
	if f := p.db.Lookup(".DEFAULT"); f != nil {
		g.DefaultRecipe = f.Recipe
	}
}

func (p *planner) in(special, name string) bool { return p.specials[special][name] }

// preciousRule reports whether .PRECIOUS names one of a pattern rule's
// target patterns: the files it makes are precious.
func (p *planner) preciousRule(r *eval.Rule) bool {
	for _, t := range r.Targets {
		if p.in(".PRECIOUS", t) {
			return true
		}
	}
	return false
}

// newStep allocates a step for name.
func (p *planner) newStep(name string, parent int) *Step {
	s := &Step{ID: len(p.g.Steps), Name: name, Path: name, Parent: parent}
	p.g.Steps = append(p.g.Steps, s)
	return s
}

// visit plans name and everything it needs, depth first, and returns its
// step. It is called once per (target, parent) edge.
func (p *planner) visit(name string, parent int) int {
	if id, ok := p.g.byName[name]; ok {
		return id
	}
	s := p.newStep(name, parent)
	p.g.byName[name] = s.ID
	p.onStack[s.ID] = true
	f := p.db.Lookup(name)
	s.File = f
	s.Phony = p.phony[name]
	s.Precious = p.in(".PRECIOUS", name)
	s.Secondary = p.in(".SECONDARY", name) || p.g.SecondaryAll
	// A file named by .SECONDARY is an intermediate file never deleted.
	s.Intermediate = p.in(".INTERMEDIATE", name) || p.in(".SECONDARY", name)
	s.Silent = p.in(".SILENT", name)
	s.Ignore = p.in(".IGNORE", name)
	var parentScope *eval.Scope
	if parent >= 0 {
		parentScope = p.g.Steps[parent].Scope
	}
	s.Scope = p.scopeFor(name, f, parentScope)

	var deps []eval.Dep
	switch {
	case f != nil && f.Double && len(f.Doubles) > 0:
		s.IsTarget = true
		for _, r := range f.Doubles {
			sub := p.newStep(name, s.ID)
			sub.File, sub.Double, sub.IsTarget = f, true, true
			sub.Recipe, sub.Stem, sub.Scope = r.Recipe, r.Stem, s.Scope
			sub.Phony = s.Phony
			p.onStack[sub.ID] = true
			p.addDeps(sub, p.expandSecond(sub, r.Deps))
			p.onStack[sub.ID] = false
			p.prioritize(sub)
			s.Deps = append(s.Deps, sub.ID)
		}
	case f != nil && f.Recipe != nil:
		s.IsTarget = true
		s.Recipe = f.Recipe
		s.Stem = f.Stem
		deps = f.Deps
	default:
		if f != nil {
			s.IsTarget = f.IsTarget
			s.Stem = f.Stem
			deps = f.Deps
		}
		if !s.Phony {
			m := p.pending[name]
			if m != nil {
				if !p.mentioned[name] && (f == nil || !f.IsTarget) {
					s.Intermediate = true
				}
			} else {
				m = p.implicit(name, 0, nil)
				if _, member, ok := ArchiveMember(name); ok && m == nil {
					// GNU make's "(%): %" rule puts members in archives.
					m = p.implicit("("+member+")", 0, nil)
				}
			}
			if m != nil {
				s.Recipe = m.rule.Recipe
				s.Stem = m.stem
				s.Also = m.also
				s.Precious = s.Precious || p.preciousRule(m.rule)
				s.IsTarget = true
				s.Scope = p.scopeFor(name, f, parentScope)
				deps = append(m.deps, deps...)
			} else if p.g.DefaultRecipe != nil && (f == nil || len(f.Deps) == 0 || !f.IsTarget) {
				if exists := p.files.exists(p.vpath.resolve(name)); !exists && !s.IsTarget {
					s.Recipe = p.g.DefaultRecipe
					s.IsTarget = true
				}
			}
		}
	}
	if f != nil && len(f.Group) > 1 {
		for _, t := range f.Group {
			if t != name {
				s.Group = append(s.Group, p.lookupID(t))
			}
		}
	}
	if s.Intermediate && !s.Secondary && !s.Phony {
		p.g.Intermediates = append(p.g.Intermediates, s.ID)
	}
	extra := p.extraPrereqs(s)
	p.addDeps(s, p.expandSecond(s, deps))
	if len(extra) > 0 {
		s.Deps = append(s.Deps, extra...)
		s.Extra = len(extra)
	}
	if !s.Double && !s.Phony {
		s.Path = p.vpath.resolve(name)
		s.GPath = s.Path != name && p.vpath.inGPath(s.Path)
	}
	p.onStack[s.ID] = false
	p.prioritize(s)
	return s.ID
}

// lookupID returns the step of a target already planned, or -1.
func (p *planner) lookupID(name string) int {
	if id, ok := p.g.byName[name]; ok {
		return id
	}
	return -1
}

// addDeps visits each prerequisite and links it, dropping circular ones
// with GNU make's message.
//
// A missing intermediate prerequisite is made after the target's other
// prerequisites, as GNU make does (it first only checks what such a file
// would need, and makes it once it knows the target must be remade).
func (p *planner) addDeps(s *Step, deps []eval.Dep) {
	var later []int
	defer func() {
		p.deferred[s.ID] = later
		for _, id := range later {
			p.renumber(id)
		}
	}()
	for _, d := range deps {
		id, seen := p.g.byName[d.Name]
		if seen && p.onStack[id] {
			p.note(fmt.Sprintf("Circular %s <- %s dependency dropped.", s.Name, d.Name))
			continue
		}
		id = p.visit(d.Name, s.ID)
		if dep := p.g.Steps[id]; !seen && dep.Intermediate && dep.Recipe != nil && !p.exists(dep.Name) {
			later = append(later, id)
		}
		if d.OrderOnly {
			s.Order = append(s.Order, id)
		} else {
			s.Deps = append(s.Deps, id)
		}
	}
}

// extraPrereqs visits the prerequisites .EXTRA_PREREQS (GNU make 4.3)
// gives a target, before its own, and returns their steps. A target named
// there gets none, so the extra files do not depend on each other.
func (p *planner) extraPrereqs(s *Step) []int {
	v, ok, err := p.ev.ValueIn(s.Scope, ".EXTRA_PREREQS")
	if !ok || err != nil {
		return nil
	}
	names := eval.Fields(v)
	for _, n := range names {
		if eval.CleanName(n) == s.Name {
			return nil
		}
	}
	var ids []int
	for _, n := range names {
		n = eval.CleanName(n)
		if id, seen := p.g.byName[n]; seen && p.onStack[id] {
			p.note(fmt.Sprintf("Circular %s <- %s dependency dropped.", s.Name, n))
			continue
		}
		ids = append(ids, p.visit(n, s.ID))
	}
	return ids
}

// note keeps a message GNU make prints at this point of its traversal; it
// goes to the next step to get a priority, the first to start after it.
func (p *planner) note(msg string) { p.notes = append(p.notes, msg) }

// prioritize gives s the next post-order index and the notes waiting.
func (p *planner) prioritize(s *Step) {
	p.counter++
	s.Priority = p.counter
	if len(p.notes) > 0 {
		s.Notes = append(p.notes, s.Notes...)
		p.notes = nil
	}
}

// renumber gives a deferred intermediate step, and the intermediates it
// deferred in turn, the next priorities, its own last.
func (p *planner) renumber(id int) {
	for _, k := range p.deferred[id] {
		p.renumber(k)
	}
	p.counter++
	p.g.Steps[id].Priority = p.counter // notes stay where they were
}

// expandSecond expands .SECONDEXPANSION prerequisites in the target's
// context, with $@, $* and the prerequisites known so far.
func (p *planner) expandSecond(s *Step, deps []eval.Dep) []eval.Dep {
	second := false
	for _, d := range deps {
		second = second || d.Second
	}
	if !second {
		return deps
	}
	// As GNU make: each rule's held text is expanded in list order (a
	// recipe's rule first), seeing as $^ and $+ the final prerequisites of
	// the whole list at that moment, other rules' included, its own not.
	type entry struct {
		dep     eval.Dep
		pending bool
	}
	list := make([]entry, len(deps))
	for i, d := range deps {
		list[i] = entry{dep: d, pending: d.Second}
	}
	for i := 0; i < len(list); i++ {
		if !list[i].pending {
			continue
		}
		var names []string
		for _, e := range list {
			if !e.pending && !e.dep.OrderOnly {
				names = append(names, e.dep.Name)
			}
		}
		var repl []entry
		for _, x := range p.expandOne(s, list[i].dep, names) {
			repl = append(repl, entry{dep: x})
		}
		list = append(list[:i], append(repl, list[i+1:]...)...)
		i += len(repl) - 1
	}
	out := make([]eval.Dep, 0, len(list))
	for _, e := range list {
		out = append(out, e.dep)
	}
	return out
}

// expandOne expands one dep held for .SECONDEXPANSION in the target's
// context, with $@, $* and the prerequisites found so far.
func (p *planner) expandOne(s *Step, d eval.Dep, names []string) []eval.Dep {
	autos := automatics(s.Name, s.Stem)
	autos.Define("^", strings.Join(dedupNames(names), " "), eval.Simple, eval.OriginAutomatic, syntax.Pos{})
	autos.Define("+", strings.Join(names, " "), eval.Simple, eval.OriginAutomatic, syntax.Pos{})
	if len(names) > 0 {
		autos.Define("<", names[0], eval.Simple, eval.OriginAutomatic, syntax.Pos{})
	}
	var out []eval.Dep
	p.expandHeld(eval.NewScope(autos, s.Scope, false), d.Name, d.OrderOnly, func(w string, order bool) {
		if d.Static {
			w = eval.ParsePattern(w).Subst(s.Stem)
		}
		matches := p.ev.Glob(w)
		for _, g := range matches {
			out = append(out, eval.Dep{Name: g, OrderOnly: order})
		}
		if len(matches) == 0 {
			out = append(out, eval.Dep{Name: w, OrderOnly: order})
		}
	})
	return out
}

// automatics returns the automatic variables a second expansion sees
// before any prerequisite is known: $@ and $*.
func automatics(target, stem string) *eval.VarSet {
	autos := eval.NewVarSet()
	autos.Define("@", target, eval.Simple, eval.OriginAutomatic, syntax.Pos{})
	autos.Define("*", stem, eval.Simple, eval.OriginAutomatic, syntax.Pos{})
	return autos
}

// expandHeld expands prerequisite text held for .SECONDEXPANSION in scope
// and calls each for every word, with whether it comes after a '|'
// (order-only). The first expansion error is kept for Build to return.
func (p *planner) expandHeld(scope *eval.Scope, text string, order bool, each func(w string, order bool)) {
	out, err := p.ev.ExpandIn(scope, syntax.Pos{}, text)
	if err != nil {
		if p.err == nil {
			p.err = err
		}
		return
	}
	for _, w := range eval.Fields(out) {
		if w == "|" {
			order = true
			continue
		}
		each(w, order)
	}
}

func dedupNames(names []string) []string {
	seen := make(map[string]bool, len(names))
	var out []string
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// scopeFor builds the variable scope of a target: its own variables, the
// pattern-specific ones that match it (shorter stems searched first), then
// its parent's (inherited: private ones hidden), then the globals.
func (p *planner) scopeFor(name string, f *eval.File, parent *eval.Scope) *eval.Scope {
	outer := parent
	if outer == nil {
		outer = p.ev.GlobalScope()
	}
	var pats []*eval.PatternVars
	for _, pv := range p.db.PatternVars {
		if _, ok := pv.Pattern.Match(name); ok {
			pats = append(pats, pv)
		}
	}
	sortByStemDesc(pats, name)
	sc := eval.NewScope(eval.NewVarSet(), outer, true)
	for _, pv := range pats {
		sc = eval.NewScope(pv.Vars, sc, false)
	}
	if f != nil {
		if f.Vars == nil {
			// Linked now so that variables an $(eval) in an earlier
			// recipe gives this target are seen by its recipe.
			f.Vars = eval.NewVarSet()
		}
		sc = eval.NewScope(f.Vars, sc, false)
	}
	return sc
}

func sortByStemDesc(pats []*eval.PatternVars, name string) {
	stem := func(pv *eval.PatternVars) int { s, _ := pv.Pattern.Match(name); return len(s) }
	for i := 1; i < len(pats); i++ {
		for j := i; j > 0 && stem(pats[j]) > stem(pats[j-1]); j-- {
			pats[j], pats[j-1] = pats[j-1], pats[j]
		}
	}
}

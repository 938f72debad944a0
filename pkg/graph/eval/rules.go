package eval

import (
	"strings"

	"github.com/dmake/dmake/pkg/graph/syntax"
)

// pendingRule is a rule whose recipe lines are still being read. GNU make
// records a rule only when the next non-recipe line (or the end of the
// file) shows its recipe is complete.
type pendingRule struct {
	targets   []string
	noTargets bool
	double    bool
	grouped   bool
	pattern   bool
	deps      []Dep
	static    *Pattern // target pattern of a static pattern rule
	recipe    *Recipe
	hasRecipe bool
	pos       syntax.Pos
}

// splitSemicolon splits a rule line at its first unquoted ';' outside
// variable references, stopping at a comment, as GNU make does. A ';' or
// '#' after an odd number of backslashes is literal; half of the
// backslashes before it are kept.
func splitSemicolon(s string) (before, recipe string, hasRecipe bool) {
	before, stop, after := syntax.CutUnquoted(s, ";#")
	if stop == ';' {
		return before, after, true
	}
	return before, "", false
}

// findColon returns the index of the first ':' outside variable
// references, or -1.
func findColon(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '$':
			if i+1 < len(s) && (s[i+1] == '(' || s[i+1] == '{') {
				open, closer := s[i+1], byte(')')
				if open == '{' {
					closer = '}'
				}
				n := 0
				for i++; i < len(s); i++ {
					if s[i] == open {
						n++
					} else if s[i] == closer {
						n--
						if n == 0 {
							break
						}
					}
				}
			} else {
				i++
			}
		case '\\':
			if i+1 < len(s) && s[i+1] == ':' {
				i++
			}
		case ':':
			return i
		}
	}
	return -1
}

// nameWords splits target or prerequisite text into file names as GNU make
// does: a backslash-escaped blank does not split ("a\\ b" is "a b"), "\\:"
// is a colon, and a leading "./" is dropped ("./a" is "a").
func nameWords(text string) []string {
	var out []string
	var cur strings.Builder
	has := false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '\\' && i+1 < len(text) && (text[i+1] == ' ' || text[i+1] == '\t' || text[i+1] == ':'):
			cur.WriteByte(text[i+1])
			i++
			has = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r':
			if has {
				out = append(out, CleanName(cur.String()))
				cur.Reset()
				has = false
			}
		default:
			cur.WriteByte(c)
			has = true
		}
	}
	if has {
		out = append(out, CleanName(cur.String()))
	}
	return archiveWords(out)
}

// archiveWords expands archive member references, which may span words:
// "lib.a(x.o" "y.o)" becomes "lib.a(x.o)" "lib.a(y.o)".
func archiveWords(words []string) []string {
	var out []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		open := strings.IndexByte(w, '(')
		if open <= 0 {
			out = append(out, w)
			continue
		}
		arch, first := w[:open], w[open+1:]
		members := []string{first}
		closed := strings.HasSuffix(first, ")")
		for !closed && i+1 < len(words) {
			i++
			members = append(members, words[i])
			closed = strings.HasSuffix(words[i], ")")
		}
		last := len(members) - 1
		members[last] = strings.TrimSuffix(members[last], ")")
		for _, m := range members {
			if m != "" {
				out = append(out, arch+"("+m+")")
			}
		}
	}
	return out
}

// CleanName drops leading "./" from a file name, as GNU make does for
// targets, prerequisites and goals ("./a", "a" and ".//a" are one file).
func CleanName(n string) string {
	for len(n) > 2 && n[0] == '.' && n[1] == '/' {
		n = strings.TrimLeft(n[2:], "/")
		if n == "" {
			return "./"
		}
	}
	return n
}

// ruleStatement parses a rule line: targets, prerequisites, an optional
// recipe after ';', or a target-specific variable assignment.
func (e *Evaluator) ruleStatement(raw string, pos syntax.Pos) {
	text, recipe, hasRecipe := splitSemicolon(raw)
	text = syntax.Collapse(text)
	colon := findColon(text)
	var targetsText, rest string
	if colon >= 0 {
		targetsText = e.Expand(text[:colon])
		rest = text[colon+1:]
		if k := findColon(targetsText); k >= 0 {
			// A variable expanded to text with a colon in it.
			rest = targetsText[k+1:] + ":" + rest
			targetsText = targetsText[:k]
		}
	} else {
		exp := e.Expand(text)
		if strings.TrimSpace(exp) == "" {
			return
		}
		k := strings.IndexByte(exp, ':')
		if k < 0 {
			msg := "missing separator"
			if strings.HasPrefix(raw, "        ") {
				msg += " (did you mean TAB instead of 8 spaces?)"
			}
			e.Fatalf(pos, "%s", msg)
		}
		targetsText, rest = exp[:k], strings.ReplaceAll(exp[k+1:], "$", "$$")
	}
	pr := &pendingRule{pos: pos}
	if strings.HasPrefix(rest, ":") {
		pr.double = true
		rest = rest[1:]
	}
	if t := strings.TrimRight(targetsText, " \t"); strings.HasSuffix(t, "&") {
		pr.grouped = true
		targetsText = t[:len(t)-1]
	}
	targets := dedupTargets(e, e.globWords(nameWords(targetsText)), pos)
	// A target-specific variable assignment?
	trimmed := trimLeftBlank(rest)
	if vm, val, ok := parseVarAssign(trimmed, true); ok {
		if hasRecipe {
			val = syntax.StripComment(val + ";" + recipe)
		}
		e.targetVars(targets, vm, val, pos)
		return
	}
	if len(targets) == 0 {
		pr.noTargets = true
		e.rule = pr
		return
	}
	pr.targets = targets
	nPattern := 0
	for _, t := range targets {
		if strings.Contains(t, "%") {
			nPattern++
		}
	}
	if nPattern > 0 && nPattern < len(targets) {
		// GNU make 4.3 complains but goes on; the pattern targets make a
		// pattern rule and the others explicit ones.
		e.Warnf(pos, "*** mixed implicit and normal rules: deprecated syntax")
	}
	pr.pattern = nPattern == len(targets)
	second := e.SecondExpansion
	depsText := e.Expand(rest)
	if !hasRecipe {
		// A ';' may come out of a variable: the rest is the recipe.
		if k := strings.IndexByte(depsText, ';'); k >= 0 {
			recipe, hasRecipe = depsText[k+1:], true
			depsText = depsText[:k]
		}
	}
	if k := findColon(depsText); k >= 0 {
		// Static pattern rule: targets: target-pattern: prereq-patterns.
		if pr.pattern {
			e.Fatalf(pos, "mixed implicit and static pattern rules")
		}
		tp := Fields(depsText[:k])
		if len(tp) == 0 {
			e.Fatalf(pos, "missing target pattern")
		}
		if !strings.Contains(tp[0], "%") {
			e.Fatalf(pos, "target pattern contains no '%%'")
		}
		if len(tp) > 1 {
			e.Fatalf(pos, "multiple target patterns")
		}
		p := ParsePattern(tp[0])
		pr.static = &p
		depsText = depsText[k+1:]
		if second {
			depsText = rawDeps(rest, depsText)
		}
	} else if second {
		depsText = rawDeps(rest, depsText)
	}
	if second && strings.Contains(depsText, "$") {
		pr.deps = []Dep{{Name: depsText, Second: true, Static: pr.static != nil}}
	} else {
		pr.deps = e.parseDeps(depsText, pr.static == nil)
	}
	if e.InRecipe {
		// GNU make 4.3 refuses any rule made while a recipe is expanded.
		e.Fatalf(pos, "prerequisites cannot be defined in recipes")
	}
	pr.recipe = &Recipe{Pos: pos, Prefix: e.recipePrefix()}
	if hasRecipe {
		pr.hasRecipe = true
		pr.recipe.Lines = append(pr.recipe.Lines, RecipeLine{Text: strings.TrimSuffix(strings.TrimLeft(recipe, " \t"), "\r"), Pos: pos})
	}
	e.rule = pr
}

// rawDeps returns the prerequisite text as it is after the first
// expansion, for .SECONDEXPANSION. GNU make expands once at read time, so
// "$$@" becomes "$@" here and is expanded again in the target's context.
func rawDeps(_, expanded string) string { return expanded }

// parseDeps splits expanded prerequisite text into deps, with order-only
// ones after a '|', and file globbing.
func (e *Evaluator) parseDeps(text string, glob bool) []Dep {
	var deps []Dep
	order := false
	for _, w := range nameWords(text) {
		if w == "|" {
			order = true
			continue
		}
		words := []string{w}
		if glob {
			words = e.globWords(words)
		}
		for _, n := range words {
			deps = append(deps, Dep{Name: n, OrderOnly: order})
		}
	}
	return deps
}

// globWords expands wildcards in target and prerequisite names; a pattern
// that matches nothing stays as it is.
func (e *Evaluator) globWords(words []string) []string {
	var out []string
	for _, w := range words {
		if hasGlob(w) {
			if m := e.Glob(w); len(m) > 0 {
				out = append(out, m...)
				continue
			}
		}
		out = append(out, w)
	}
	return out
}

func hasGlob(w string) bool { return strings.ContainsAny(w, "*?[") }

// Glob expands a wildcard pattern relative to the evaluator's directory,
// sorted, as $(wildcard) does.
func (e *Evaluator) Glob(pat string) []string {
	if e.Hooks.Glob != nil {
		return e.Hooks.Glob(pat)
	}
	if strings.HasPrefix(pat, "~") {
		if home := e.home(); home != "" && (len(pat) == 1 || pat[1] == '/') {
			pat = home + pat[1:]
		}
	}
	if !hasGlob(pat) {
		if _, err := lstatPath(e.path(pat)); err == nil {
			return []string{pat}
		}
		return nil
	}
	return e.dirs.glob(e.Dir, pat)
}

// dedupTargets drops repeated targets of one rule, with GNU make's note.
func dedupTargets(e *Evaluator, ts []string, pos syntax.Pos) []string {
	seen := make(map[string]bool, len(ts))
	out := ts[:0]
	for _, t := range ts {
		if seen[t] {
			e.Warnf(pos, "target '%s' given more than once in the same rule", t)
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	return out
}

// closeRule records the pending rule, if any, into the database.
func (e *Evaluator) closeRule() {
	pr := e.rule
	if pr == nil {
		return
	}
	e.rule = nil
	if pr.noTargets {
		return
	}
	recipe := pr.recipe
	if !pr.hasRecipe && len(recipe.Lines) == 0 {
		recipe = nil
	}
	var pats []string
	for _, t := range pr.targets {
		if strings.Contains(t, "%") {
			pats = append(pats, t)
		} else {
			e.recordTarget(pr, t, recipe)
		}
	}
	if len(pats) > 0 {
		e.DB.Patterns = append(e.DB.Patterns, &Rule{
			Targets: pats, Deps: pr.deps, Recipe: recipe, Pos: pr.pos, Terminal: pr.double,
		})
	}
}

func (e *Evaluator) recordTarget(pr *pendingRule, t string, recipe *Recipe) {
	f := e.DB.File(t)
	deps := pr.deps
	stem := ""
	if pr.static != nil {
		s, ok := pr.static.Match(t)
		if !ok {
			// GNU make complains, then gives the target the recipe alone.
			e.Warnf(pr.pos, "target '%s' doesn't match the target pattern", t)
			deps = nil
		} else {
			stem = s
			if len(deps) == 0 || !deps[0].Second {
				deps = e.globDeps(substDeps(deps, s))
			}
		}
	}
	if len(deps) > 0 && pr.static == nil && !pr.double && e.isSuffixPair(t) {
		e.Warnf(pr.pos, "warning: ignoring prerequisites on suffix rule definition")
		deps = nil
	}
	if f.IsTarget && f.Double != pr.double {
		e.Fatalf(pr.pos, "target file '%s' has both : and :: entries", t)
	}
	wasTarget := f.IsTarget
	f.IsTarget = true
	f.Double = pr.double
	if pr.grouped {
		f.Group = pr.targets
	}
	if pr.double {
		f.Doubles = append(f.Doubles, &Rule{Targets: []string{t}, Deps: deps, Recipe: recipe, Double: true, Pos: pr.pos, Stem: stem})
		if f.Pos.IsZero() {
			f.Pos = pr.pos
		}
		e.noteDefaultGoal(t)
		return
	}
	if stem != "" {
		f.Stem = stem
	}
	switch t {
	case ".SUFFIXES":
		if len(deps) == 0 {
			f.Deps = nil
		}
	case ".SECONDEXPANSION":
		e.SecondExpansion = true
	case ".POSIX":
		e.Posix = true
	}
	if recipe != nil {
		if f.Recipe != nil && !f.Recipe.Pos.IsZero() {
			e.Warnf(recipe.Pos, "warning: overriding recipe for target '%s'", t)
			e.Warnf(f.Recipe.Pos, "warning: ignoring old recipe for target '%s'", t)
		}
		f.Recipe = recipe
		f.Pos = pr.pos
		f.Deps = append(append([]Dep(nil), deps...), f.Deps...)
	} else {
		f.Deps = append(f.Deps, deps...)
		if !wasTarget {
			f.Pos = pr.pos
		}
	}
	e.noteDefaultGoal(t)
}

// isSuffixPair reports whether t is two suffixes of .SUFFIXES as now
// defined: a double-suffix rule's target.
func (e *Evaluator) isSuffixPair(t string) bool {
	sf := e.DB.Lookup(".SUFFIXES")
	if sf == nil {
		return false
	}
	for _, a := range sf.Deps {
		if rest, ok := strings.CutPrefix(t, a.Name); ok && rest != "" {
			for _, b := range sf.Deps {
				if b.Name == rest {
					return true
				}
			}
		}
	}
	return false
}

// globDeps expands wildcards in static pattern prerequisites once the stem
// is in.
func (e *Evaluator) globDeps(deps []Dep) []Dep {
	var out []Dep
	for _, d := range deps {
		if !hasGlob(d.Name) {
			out = append(out, d)
			continue
		}
		for _, n := range e.globWords([]string{d.Name}) {
			nd := d
			nd.Name = n
			out = append(out, nd)
		}
	}
	return out
}

// substDeps replaces '%' in static pattern prerequisites with the stem.
func substDeps(deps []Dep, stem string) []Dep {
	out := make([]Dep, len(deps))
	for i, d := range deps {
		p := ParsePattern(d.Name)
		d.Name = p.Subst(stem)
		out[i] = d
	}
	return out
}

// noteDefaultGoal makes t the default goal if none is set yet and t is
// eligible: not a pattern, and not starting with '.' unless it has a '/'.
func (e *Evaluator) noteDefaultGoal(t string) {
	v := e.Global.Lookup(".DEFAULT_GOAL")
	if v != nil && v.Value != "" {
		return
	}
	if strings.HasPrefix(t, ".") && !strings.Contains(t, "/") {
		return
	}
	if strings.Contains(t, "%") {
		return
	}
	if v == nil {
		e.Global.Define(".DEFAULT_GOAL", t, Simple, OriginDefault, syntax.Pos{})
		return
	}
	v.Value = t
}

// targetVars records target- or pattern-specific variables.
func (e *Evaluator) targetVars(targets []string, vm varMods, value string, pos syntax.Pos) {
	origin := OriginFile
	if vm.override {
		origin = OriginOverride
	}
	for _, t := range targets {
		var set *VarSet
		if strings.Contains(t, "%") {
			set = e.patternVarSet(t)
		} else {
			f := e.DB.File(t)
			if f.Vars == nil {
				f.Vars = NewVarSet()
			}
			set = f.Vars
		}
		pop := e.pushScope(set)
		name := strings.TrimSpace(e.Expand(vm.name))
		if name == "" {
			pop()
			e.Fatalf(pos, "empty variable name")
		}
		v := e.assign(set, name, vm.op, value, origin, pos, true)
		pop()
		if v == nil {
			continue
		}
		if vm.export {
			v.Export = ExportYes
		}
		if vm.private {
			v.Private = true
		}
		if v.Origin != OriginOverride {
			if gv := e.Global.Lookup(name); gv != nil && gv != v && (gv.Origin == OriginEnvOverride || gv.Origin == OriginCommand) {
				v.Value, v.Origin, v.Flavor, v.Append = gv.Value, gv.Origin, gv.Flavor, false
			}
		}
	}
}

func (e *Evaluator) patternVarSet(t string) *VarSet {
	for _, pv := range e.DB.PatternVars {
		if pv.Text == t {
			return pv.Vars
		}
	}
	pv := &PatternVars{Pattern: ParsePattern(t), Text: t, Vars: NewVarSet()}
	e.DB.PatternVars = append(e.DB.PatternVars, pv)
	return pv.Vars
}

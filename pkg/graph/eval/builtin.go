package eval

import (
	"strings"

	"github.com/dmake/dmake/pkg/graph/syntax"
)

// builtinRules parses the rule section of builtin.mk: headers, tab-started
// recipe lines, and lines starting with a space that continue the previous
// recipe line after an embedded newline (GNU make's ".sh" rule has one).
func builtinRules() (suffixes []string, rules []*Rule) {
	_, text, _ := strings.Cut(builtinMk, "\n#rules\n")
	var cur *Rule
	for _, l := range strings.Split(text, "\n") {
		switch {
		case l == "":
		case strings.HasPrefix(l, ".SUFFIXES: "):
			suffixes = Fields(l[len(".SUFFIXES: "):])
		case l[0] == '\t':
			cur.Recipe.Lines = append(cur.Recipe.Lines, RecipeLine{Text: l[1:], Pos: syntax.Pos{File: "<builtin>"}})
		case l[0] == ' ':
			n := len(cur.Recipe.Lines) - 1
			cur.Recipe.Lines[n].Text += "\n" + l
		default:
			head, double := l, false
			t, deps, _ := strings.Cut(head, ":")
			if strings.HasPrefix(deps, ":") {
				double, deps = true, deps[1:]
			}
			cur = &Rule{Targets: []string{t}, Double: double, Terminal: double, Recipe: &Recipe{Prefix: '\t'}}
			for _, d := range Fields(deps) {
				cur.Deps = append(cur.Deps, Dep{Name: d})
			}
			rules = append(rules, cur)
		}
	}
	return suffixes, rules
}

// installSuffixRules defines GNU make's builtin suffix rules and the
// default .SUFFIXES list. As in GNU make this happens before the makefiles
// are read, so a makefile may replace them or clear .SUFFIXES.
func (e *Evaluator) installSuffixRules() {
	suffixes, rules := builtinRules()
	sf := e.DB.File(".SUFFIXES")
	sf.IsTarget = true
	for _, s := range suffixes {
		sf.Deps = append(sf.Deps, Dep{Name: s})
	}
	for _, r := range rules {
		if strings.Contains(r.Targets[0], "%") {
			continue
		}
		f := e.DB.File(r.Targets[0])
		f.Recipe = r.Recipe
		f.Builtin = true
	}
}

// installPatternRules appends GNU make's builtin pattern rules after the
// makefile's own, skipping any the makefile defined with the same targets
// and prerequisites.
func (e *Evaluator) installPatternRules() {
	_, rules := builtinRules()
	for _, r := range rules {
		if !strings.Contains(r.Targets[0], "%") {
			continue
		}
		if e.hasPatternRule(r) {
			continue
		}
		r.Builtin = true
		e.DB.Patterns = append(e.DB.Patterns, r)
	}
}

func (e *Evaluator) hasPatternRule(r *Rule) bool {
	for _, p := range e.DB.Patterns {
		if strings.Join(p.Targets, " ") == strings.Join(r.Targets, " ") && depNames(p.Deps) == depNames(r.Deps) {
			return true
		}
	}
	return false
}

func depNames(d []Dep) string {
	s := make([]string, len(d))
	for i, x := range d {
		s[i] = x.Name
	}
	return strings.Join(s, " ")
}

package plan

import (
	"sort"
	"strings"

	"github.com/dmake/dmake/pkg/graph/eval"
)

// maxChain bounds implicit-rule chains (a.c from a.y from a.yy ...).
const maxChain = 8

// match is an implicit rule found for a target.
type match struct {
	name string
	rule *eval.Rule
	stem string
	deps []eval.Dep
	also []string // the other files a multi-target pattern rule makes
}

type candidate struct {
	target   string
	index    int // which of the rule's target patterns matched
	rule     *eval.Rule
	stem     string // with the target's directory when the pattern has no '/'
	dirStem  string // the directory to put before '%'-prerequisites
	anything bool
}

// implicit searches the pattern rules for one that can make name, as GNU
// make's pattern_search: candidates by shortest stem, first those whose
// prerequisites exist or ought to exist, then those whose prerequisites can
// themselves be made by implicit rules (intermediate files).
func (p *planner) implicit(name string, depth int, chain []*eval.Rule) *match {
	if depth > maxChain {
		return nil
	}
	// The same searches come back for every target (can x.c be made from
	// x.y, ...?). Like GNU make, which marks such a file impossible for
	// the rest of the run, a failed search for an intermediate file is
	// remembered by name.
	if depth > 0 && p.noRule[name] {
		return nil
	}
	m := p.search(name, depth, chain)
	if m == nil && depth > 0 {
		p.noRule[name] = true
	}
	return m
}

// search is implicit without the memory of failures.
func (p *planner) search(name string, depth int, chain []*eval.Rule) *match {
	cands := p.candidates(name, depth, chain)
	for _, c := range cands {
		if deps, ok := p.ruleDeps(c, nil, depth, chain); ok {
			return &match{name: name, rule: c.rule, stem: c.stem, deps: deps, also: c.also()}
		}
	}
	for _, c := range cands {
		if c.rule.Terminal {
			continue
		}
		var inter []*match
		if deps, ok := p.ruleDeps(c, &inter, depth, chain); ok {
			for _, m := range inter {
				p.pending[m.name] = m
			}
			return &match{name: name, rule: c.rule, stem: c.stem, deps: deps, also: c.also()}
		}
	}
	return nil
}

// also names the files a candidate's rule makes besides its target: the
// other target patterns with the same stem.
func (c candidate) also() []string {
	if len(c.rule.Targets) < 2 {
		return nil
	}
	stem := c.stem[len(c.dirStem):]
	var out []string
	for i, t := range c.rule.Targets {
		if i == c.index {
			continue
		}
		n := eval.ParsePattern(t).Subst(stem)
		if !strings.Contains(t, "/") {
			n = c.dirStem + n
		}
		out = append(out, n)
	}
	return out
}

func (p *planner) candidates(name string, depth int, chain []*eval.Rule) []candidate {
	slash := strings.LastIndexByte(name, '/')
	dir, base := name[:slash+1], name[slash+1:]
	var cands []candidate
	specific := false
	for ri, r := range p.patterns {
		if inChain(chain, r) {
			continue
		}
		for ti, pat := range p.targetPats(ri) {
			hasSlash := pat.HasSlash
			subject := base
			if hasSlash || dir == "" {
				subject = name
			}
			stem, ok := pat.Match(subject)
			if !ok {
				continue
			}
			anything := pat.Prefix == "" && pat.Suffix == ""
			if !anything {
				specific = true
			}
			if r.Recipe == nil {
				break
			}
			c := candidate{target: name, index: ti, rule: r, stem: stem, anything: anything}
			if !hasSlash && dir != "" {
				c.stem, c.dirStem = dir+stem, dir
			}
			cands = append(cands, c)
			break
		}
	}
	kept := cands[:0]
	for _, c := range cands {
		if c.anything && !c.rule.Terminal && (specific || depth > 0) {
			continue
		}
		kept = append(kept, c)
	}
	sort.SliceStable(kept, func(i, j int) bool { return len(kept[i].stem) < len(kept[j].stem) })
	return kept
}

// parsedTarget is a pattern rule's target pattern, parsed once per plan:
// implicit rule search matches every pattern rule against every target.
type parsedTarget struct {
	eval.Pattern
	HasSlash bool
}

// targetPats returns the parsed target patterns of p.patterns[i].
func (p *planner) targetPats(i int) []parsedTarget {
	if p.parsedPats == nil {
		p.parsedPats = make([][]parsedTarget, len(p.patterns))
		for j, r := range p.patterns {
			for _, t := range r.Targets {
				p.parsedPats[j] = append(p.parsedPats[j], parsedTarget{eval.ParsePattern(t), strings.Contains(t, "/")})
			}
		}
	}
	return p.parsedPats[i]
}

func inChain(chain []*eval.Rule, r *eval.Rule) bool {
	for _, c := range chain {
		if c == r {
			return true
		}
	}
	return false
}

// ruleDeps computes a candidate's prerequisites and checks each one can be
// had. With inter nil, a prerequisite must exist or ought to exist; else
// it may also be made by another implicit rule, collected into inter.
func (p *planner) ruleDeps(c candidate, inter *[]*match, depth int, chain []*eval.Rule) ([]eval.Dep, bool) {
	stem := c.stem
	if c.dirStem != "" {
		stem = stem[len(c.dirStem):]
	}
	var deps []eval.Dep
	for _, d := range p.secondDeps(c, stem) {
		n := d.Name
		pat := eval.ParsePattern(n)
		if pat.HasPercent && !d.Second {
			n = c.dirStem + pat.Subst(stem)
		}
		dep := eval.Dep{Name: n, OrderOnly: d.OrderOnly}
		deps = append(deps, dep)
		if p.exists(n) || p.oughtToExist(n) {
			continue
		}
		if _, ok := p.pending[n]; ok {
			continue
		}
		if inter == nil || c.rule.Terminal {
			return nil, false
		}
		m := p.implicit(n, depth+1, append(chain, c.rule))
		if m == nil {
			return nil, false
		}
		*inter = append(*inter, m)
	}
	return deps, true
}

// secondDeps returns a pattern rule's prerequisites with those held for
// .SECONDEXPANSION expanded: GNU make puts the stem in for '%' first, then
// expands with $@ and $* set. Expanded ones come back marked Second, so
// no '%' in their values is replaced.
func (p *planner) secondDeps(c candidate, stem string) []eval.Dep {
	var out []eval.Dep
	for _, d := range c.rule.Deps {
		if !d.Second {
			out = append(out, d)
			continue
		}
		words := strings.Fields(d.Name)
		for i, w := range words {
			if pat := eval.ParsePattern(w); pat.HasPercent {
				words[i] = c.dirStem + pat.Subst(stem)
			}
		}
		scope := eval.NewScope(automatics(c.target, c.stem), p.scopeFor(c.target, p.db.Lookup(c.target), nil), false)
		p.expandHeld(scope, strings.Join(words, " "), d.OrderOnly, func(w string, order bool) {
			out = append(out, eval.Dep{Name: w, OrderOnly: order, Second: true})
		})
	}
	return out
}

// exists reports whether a file exists, here or through vpath.
func (p *planner) exists(name string) bool {
	return p.files.exists(p.vpath.resolve(name))
}

// oughtToExist is GNU make's test for a prerequisite it may count on: a
// target of some rule, or named explicitly as a prerequisite.
func (p *planner) oughtToExist(name string) bool {
	if f := p.db.Lookup(name); f != nil && f.IsTarget {
		return true
	}
	return p.mentioned[name]
}

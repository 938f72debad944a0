package builder

import (
	"sort"
	"strings"

	"github.com/dmake/dmake/pkg/graph/eval"
	"github.com/dmake/dmake/pkg/graph/plan"
)

// envCache computes the environment of recipes: the exported make
// variables (expanded in the target's scope) plus the fixed entries the
// caller gives (MAKEFLAGS, MAKELEVEL, the original SHELL). The global part
// is computed once; only targets with variables of their own pay more.
type envCache struct {
	ev        *eval.Evaluator
	base      []string
	baseNames map[string]bool
	exportAll bool
	global    []string
}

func newEnvCache(ev *eval.Evaluator, base []string, exportAll bool) *envCache {
	c := &envCache{ev: ev, base: base, exportAll: exportAll, baseNames: make(map[string]bool)}
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		c.baseNames[name] = true
	}
	return c
}

// exported reports whether GNU make would put v in a child's environment.
func (c *envCache) exported(v *eval.Var) bool {
	switch v.Export {
	case eval.ExportYes:
		return true
	case eval.ExportNo:
		return false
	}
	if v.Origin == eval.OriginDefault || v.Origin == eval.OriginAutomatic || !validName(v.Name) {
		return false
	}
	return c.exportAll || c.ev.ExportAll || v.Origin == eval.OriginCommand || v.Origin == eval.OriginEnv || v.Origin == eval.OriginEnvOverride
}

// lookupAny finds a variable in a scope chain, private ones of the targets
// above included: GNU make puts those in a recipe's environment too.
func lookupAny(scope *eval.Scope, n string) *eval.Var {
	for sc := scope; sc != nil; sc = sc.Parent {
		if v := sc.Vars.Lookup(n); v != nil {
			return v
		}
	}
	return nil
}

// exportSource returns the variable whose export mode decides for n: a
// target-specific value with no export of its own follows the variable it
// shadows (GNU make exports "a: V = x" when V is exported globally).
func exportSource(scope *eval.Scope, n string, v *eval.Var) *eval.Var {
	if v.Export != eval.ExportDefault {
		return v
	}
	for sc := scope; sc != nil; sc = sc.Parent {
		if w := sc.Vars.Lookup(n); w != nil && w.Export != eval.ExportDefault {
			return w
		}
	}
	return v
}

func validName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// forStep returns the environment for a step's recipe.
func (c *envCache) forStep(s *plan.Step) []string {
	own := map[string]bool{}
	for sc := s.Scope; sc != nil && sc.Vars != c.ev.Global; sc = sc.Parent {
		for _, n := range sc.Vars.Names() {
			own[n] = true
		}
	}
	if len(own) == 0 {
		if c.global == nil {
			c.global = c.build(s.Scope, nil)
		}
		return c.global
	}
	return c.build(s.Scope, own)
}

func (c *envCache) build(scope *eval.Scope, own map[string]bool) []string {
	names := c.ev.Global.Names()
	for n := range own {
		if c.ev.Global.Lookup(n) == nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	env := make([]string, 0, len(names)+len(c.base))
	for _, n := range names {
		if c.baseNames[n] {
			continue
		}
		v := lookupAny(scope, n)
		if v == nil || !c.exported(exportSource(scope, n, v)) {
			continue
		}
		var val string
		var err error
		if v == scope.Lookup(n) {
			val, _, err = c.ev.ValueIn(scope, n)
		} else {
			val, err = c.ev.VarValueIn(scope, v)
		}
		if err != nil {
			continue
		}
		env = append(env, n+"="+val)
	}
	return append(env, c.base...)
}

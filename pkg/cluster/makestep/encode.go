package makestep

import (
	"sort"

	"github.com/dmake/dmake/pkg/cluster"
	"github.com/dmake/dmake/pkg/exec/builder"
	"github.com/dmake/dmake/pkg/graph/eval"
	"github.com/dmake/dmake/pkg/graph/plan"
)

// Encoded is a planned build in the cluster's form, with the map between
// the graph's step IDs and the cluster's step indexes (the cluster wants
// every prerequisite before its dependents, so steps go in post-order).
type Encoded struct {
	Spec cluster.BuildSpec
	// Index maps a graph step ID to its cluster step index; Step maps back.
	Index []int
	Step  []int
}

// Encode turns a planned graph into a build for the cluster. opt gives
// the flags that change how recipes run (-s, -i, -B), the directory and
// the base environment of recipes.
func Encode(id string, g *plan.Graph, ev *eval.Evaluator, opt builder.Options, copt cluster.Options) (*Encoded, error) {
	e := &encoder{sets: map[*eval.VarSet]int{ev.Global: 0}, ev: ev}
	e.list = append(e.list, ev.Global)
	order := make([]int, len(g.Steps))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return g.Steps[order[a]].Priority < g.Steps[order[b]].Priority })
	enc := &Encoded{Index: make([]int, len(g.Steps)), Step: order}
	for idx, id := range order {
		enc.Index[id] = idx
	}
	steps := make([]cluster.StepSpec, len(order))
	for idx, id := range order {
		s := g.Steps[id]
		sp := e.step(g, s)
		data, err := encode(sp, "")
		if err != nil {
			return nil, err
		}
		var deps []int
		seen := map[int]bool{}
		for _, d := range append(append([]int(nil), s.Deps...), s.Order...) {
			if di := enc.Index[d]; !seen[di] {
				seen[di] = true
				deps = append(deps, di)
			}
		}
		sort.Ints(deps)
		steps[idx] = cluster.StepSpec{Target: s.Name, Deps: deps, Priority: s.Priority, Payload: data}
	}
	bp := &buildPayload{
		Dir: opt.Dir, Program: opt.Program, Env: opt.Env,
		Silent: opt.Silent, IgnoreErrors: opt.IgnoreErrors, AlwaysMake: opt.AlwaysMake,
		OneShell: g.OneShell, Posix: g.Posix, SilentAll: g.SilentAll, IgnoreAll: g.IgnoreAll,
		DeleteOnError: g.DeleteOnError, ExportAll: g.ExportAll || ev.ExportAll,
	}
	for n := range g.PreciousTargets {
		bp.Precious = append(bp.Precious, n)
	}
	sort.Strings(bp.Precious)
	if sf := ev.DB.Lookup(".SUFFIXES"); sf != nil {
		for _, d := range sf.Deps {
			bp.Suffixes = append(bp.Suffixes, d.Name)
		}
	}
	for _, vs := range e.list {
		bp.Sets = append(bp.Sets, records(vs))
	}
	payload, err := encode(bp, magic)
	if err != nil {
		return nil, err
	}
	enc.Spec = cluster.BuildSpec{ID: id, Options: copt, Dir: opt.Dir, Payload: payload, Steps: steps}
	return enc, nil
}

type encoder struct {
	ev   *eval.Evaluator
	sets map[*eval.VarSet]int
	list []*eval.VarSet
}

// set returns the index of a variable set, adding it the first time.
func (e *encoder) set(vs *eval.VarSet) int {
	if i, ok := e.sets[vs]; ok {
		return i
	}
	e.sets[vs] = len(e.list)
	e.list = append(e.list, vs)
	return len(e.list) - 1
}

func (e *encoder) step(g *plan.Graph, s *plan.Step) *stepPayload {
	sp := &stepPayload{
		Name: s.Name, Path: s.Path, Stem: s.Stem,
		Phony: s.Phony, Precious: s.Precious, Silent: s.Silent, Ignore: s.Ignore,
		IsTarget: s.IsTarget, Double: s.Double,
	}
	if s.Parent >= 0 {
		sp.Parent = g.Steps[s.Parent].Name
	}
	if s.Recipe != nil {
		sp.HasRecipe = true
		sp.Prefix = s.Recipe.Prefix
		for _, l := range s.Recipe.Lines {
			sp.Recipe = append(sp.Recipe, lineRecord{Text: l.Text, File: l.Pos.File, Line: l.Pos.Line})
		}
	}
	dep := func(id int) depRecord {
		d := g.Steps[id]
		return depRecord{Name: d.Name, Path: d.Path, Phony: d.Phony}
	}
	for _, d := range s.Deps {
		sp.Deps = append(sp.Deps, dep(d))
	}
	for _, d := range s.Order {
		sp.Order = append(sp.Order, dep(d))
	}
	for sc := s.Scope; sc != nil && sc.Vars != e.ev.Global; sc = sc.Parent {
		sp.Scope = append(sp.Scope, scopeLink{Set: e.set(sc.Vars), Boundary: sc.Boundary()})
	}
	return sp
}

func records(vs *eval.VarSet) []varRecord {
	var out []varRecord
	vs.Each(func(v *eval.Var) {
		out = append(out, varRecord{
			Name: v.Name, Value: v.Value,
			Flavor: uint8(v.Flavor), Origin: uint8(v.Origin), Export: uint8(v.Export),
			Private: v.Private, Append: v.Append, Conditional: v.Conditional,
			File: v.Pos.File, Line: v.Pos.Line,
		})
	})
	return out
}

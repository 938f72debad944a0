package makestep

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/dmake/dmake/pkg/cluster"
	xexec "github.com/dmake/dmake/pkg/exec"
	"github.com/dmake/dmake/pkg/exec/builder"
	"github.com/dmake/dmake/pkg/graph/eval"
	"github.com/dmake/dmake/pkg/graph/plan"
	"github.com/dmake/dmake/pkg/graph/syntax"
)

// keepBuilds bounds how many decoded builds a worker keeps.
const keepBuilds = 16

// UpToDate is the message of a step that succeeded without running any
// command; the client needs it for make's "Nothing to be done" notes.
const UpToDate = "up to date"

// Runner is the cluster.StepRunner of dmaked workers. Builds that Encode
// did not write (the shell steps of tests and benchmarks) go to Fallback.
type Runner struct {
	Fallback cluster.StepRunner
	// Reaper, if set, is told of every recipe process group, so they all
	// die with the worker (see exec.Reaper).
	Reaper *xexec.Reaper

	mu     sync.Mutex
	builds map[string]*buildCtx
	order  []string
}

// buildCtx is a decoded build. Its evaluator is not safe for concurrent
// use, so expansion happens under mu; recipes run outside it.
type buildCtx struct {
	mu   sync.Mutex
	bp   *buildPayload
	ev   *eval.Evaluator
	sets []*eval.VarSet
}

// Run implements cluster.StepRunner.
func (r *Runner) Run(ctx context.Context, req cluster.StepRequest, out io.Writer) cluster.StepResult {
	if !IsMakeBuild(req.BuildPayload) {
		if r.Fallback == nil {
			return cluster.StepResult{Failed: true, ExitCode: 2, Message: "not a make build"}
		}
		return r.Fallback.Run(ctx, req, out)
	}
	bc, err := r.build(req)
	if err != nil {
		return cluster.StepResult{Failed: true, ExitCode: 2, Message: err.Error()}
	}
	sp, err := decodeStep(req.Payload)
	if err != nil {
		return cluster.StepResult{Failed: true, ExitCode: 2, Message: err.Error()}
	}
	return bc.run(ctx, req, sp, out, r.Reaper)
}

func (r *Runner) build(req cluster.StepRequest) (*buildCtx, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if bc := r.builds[req.Build]; bc != nil {
		return bc, nil
	}
	bp, err := decodeBuild(req.BuildPayload)
	if err != nil {
		return nil, err
	}
	bc := newBuildCtx(bp)
	if r.builds == nil {
		r.builds = map[string]*buildCtx{}
	}
	r.builds[req.Build] = bc
	r.order = append(r.order, req.Build)
	if len(r.order) > keepBuilds {
		delete(r.builds, r.order[0])
		r.order = r.order[1:]
	}
	return bc, nil
}

func newBuildCtx(bp *buildPayload) *buildCtx {
	bc := &buildCtx{bp: bp}
	for _, recs := range bp.Sets {
		vs := eval.NewVarSet()
		for _, rec := range recs {
			vs.Put(&eval.Var{
				Name: rec.Name, Value: rec.Value,
				Flavor: eval.Flavor(rec.Flavor), Origin: eval.Origin(rec.Origin), Export: eval.ExportMode(rec.Export),
				Private: rec.Private, Append: rec.Append, Conditional: rec.Conditional,
				Pos: syntax.Pos{File: rec.File, Line: rec.Line},
			})
		}
		bc.sets = append(bc.sets, vs)
	}
	ev := eval.New(eval.Config{Dir: bp.Dir, Program: bp.Program, NoBuiltinVars: true})
	ev.SetGlobal(bc.sets[0])
	ev.ExportAll = bp.ExportAll
	ev.Env = bp.Env
	sf := ev.DB.File(".SUFFIXES")
	for _, s := range bp.Suffixes {
		sf.Deps = append(sf.Deps, eval.Dep{Name: s})
	}
	bc.ev = ev
	return bc
}

// graph rebuilds a small graph: the step (ID 0), its prerequisites, and
// the target that needed it.
func (bc *buildCtx) graph(sp *stepPayload) *plan.Graph {
	bp := bc.bp
	g := &plan.Graph{
		OneShell: bp.OneShell, Posix: bp.Posix, SilentAll: bp.SilentAll, IgnoreAll: bp.IgnoreAll,
		DeleteOnError: bp.DeleteOnError, ExportAll: bp.ExportAll, PreciousTargets: map[string]bool{},
	}
	for _, p := range bp.Precious {
		g.PreciousTargets[p] = true
	}
	s := &plan.Step{
		Name: sp.Name, Path: sp.Path, Stem: sp.Stem, Parent: -1,
		Phony: sp.Phony, Precious: sp.Precious, Silent: sp.Silent, Ignore: sp.Ignore,
		IsTarget: sp.IsTarget, Double: sp.Double,
	}
	if sp.HasRecipe {
		s.Recipe = &eval.Recipe{Prefix: sp.Prefix}
		for _, l := range sp.Recipe {
			s.Recipe.Lines = append(s.Recipe.Lines, eval.RecipeLine{Text: l.Text, Pos: syntax.Pos{File: l.File, Line: l.Line}})
		}
	}
	sc := bc.ev.GlobalScope()
	for i := len(sp.Scope) - 1; i >= 0; i-- {
		sc = eval.NewScope(bc.sets[sp.Scope[i].Set], sc, sp.Scope[i].Boundary)
	}
	s.Scope = sc
	g.Steps = append(g.Steps, s)
	add := func(d depRecord) int {
		id := len(g.Steps)
		g.Steps = append(g.Steps, &plan.Step{ID: id, Name: d.Name, Path: d.Path, Phony: d.Phony, Parent: 0})
		return id
	}
	for _, d := range sp.Deps {
		s.Deps = append(s.Deps, add(d))
	}
	for _, d := range sp.Order {
		s.Order = append(s.Order, add(d))
	}
	if sp.Parent != "" {
		s.Parent = add(depRecord{Name: sp.Parent, Path: sp.Parent})
	}
	return g
}

func (bc *buildCtx) run(ctx context.Context, req cluster.StepRequest, sp *stepPayload, framed io.Writer, reaper *xexec.Reaper) cluster.StepResult {
	bp := bc.bp
	out, errw := Streams(framed)
	bc.mu.Lock()
	g := bc.graph(sp)
	s := g.Steps[0]
	opt := builder.Options{
		Dir: bp.Dir, Program: bp.Program, Env: bp.Env,
		Silent: bp.Silent, IgnoreErrors: bp.IgnoreErrors, AlwaysMake: bp.AlwaysMake,
		Stdout: out, Stderr: errw,
	}
	x := builder.NewStepper(g, bc.ev, opt)
	if req.Attempt > 1 && s.Recipe != nil {
		// An earlier attempt was lost mid-recipe and may have left the
		// target half written (and newer than its prerequisites). Only a
		// target with a recipe can have been written: a step without one
		// stands for a source file, which must never be touched.
		removePartial(bp.Dir, s, g)
	}
	dec := x.Decide(s, x.StatDeps)
	if dec.NoRule {
		bc.mu.Unlock()
		fmt.Fprintf(errw, "%s: *** %s.  Stop.\n", bp.Program, x.NoRuleMessage(s))
		return cluster.StepResult{Failed: true, ExitCode: 2, Message: x.NoRuleMessage(s)}
	}
	if !dec.Must {
		bc.mu.Unlock()
		return cluster.StepResult{Message: UpToDate}
	}
	job, err := x.Job(s, dec.Newer, xexec.Normal)
	bc.mu.Unlock()
	if err != nil {
		if fe, ok := err.(*eval.FatalError); ok {
			fmt.Fprintln(errw, fe.Render(bp.Program))
		} else {
			fmt.Fprintf(errw, "%s: *** %v.  Stop.\n", bp.Program, err)
		}
		return cluster.StepResult{Failed: true, ExitCode: 2, Message: err.Error()}
	}
	if job == nil {
		return cluster.StepResult{Message: UpToDate}
	}
	job.Stdin = nil
	job.Reaper = reaper
	res := xexec.Run(ctx, job)
	switch res.Status {
	case xexec.Succeeded:
		return cluster.StepResult{Changed: true}
	case xexec.Interrupted:
		// A killed attempt leaves its target alone: the worker may have
		// been fenced (paused, cut off), and by now another attempt may
		// have made the target. The next attempt of this step removes a
		// partial target before it runs.
		return cluster.StepResult{Failed: true, ExitCode: -1, Message: "interrupted"}
	default:
		if bp.DeleteOnError {
			removeIfChanged(bp.Dir, s, g, dec)
		}
		code := res.Exit.Code
		if code == 0 {
			code = 2
		}
		return cluster.StepResult{Failed: true, ExitCode: code, Message: res.Exit.String()}
	}
}

func deletable(s *plan.Step, g *plan.Graph) bool {
	return !s.Phony && !s.Precious && !g.PreciousTargets[s.Name]
}

func abs(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// removePartial deletes a regular-file target before a retried attempt.
func removePartial(dir string, s *plan.Step, g *plan.Graph) {
	if !deletable(s, g) {
		return
	}
	p := abs(dir, s.Path)
	if st, err := os.Lstat(p); err == nil && st.Mode().IsRegular() {
		os.Remove(p)
	}
}

// removeIfChanged deletes a target the recipe changed, as make does after
// an interrupt or under .DELETE_ON_ERROR.
func removeIfChanged(dir string, s *plan.Step, g *plan.Graph, dec builder.Decision) {
	if !deletable(s, g) {
		return
	}
	p := abs(dir, s.Path)
	st, err := os.Stat(p)
	if err != nil || !st.Mode().IsRegular() || (dec.Exists && st.ModTime().Equal(dec.Mtime)) {
		return
	}
	os.Remove(p)
}

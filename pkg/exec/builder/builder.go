// Package builder is dmake's local driver: it runs a planned graph on this
// machine with -j job slots, as GNU make does. It drives the shared build
// state machine (pkg/graph/buildstate) from one loop, which is the only
// place that changes it; recipes run in goroutines through pkg/exec and
// report back on a channel.
//
// When a step becomes ready the builder decides, from modification times
// at that moment, whether its recipe must run, then expands the recipe
// (GNU make expands a recipe just before running it, so $(wildcard) and
// $(shell) in it see files made earlier in the build).
package builder

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	xexec "github.com/dmake/dmake/pkg/exec"
	"github.com/dmake/dmake/pkg/exec/jobserver"
	"github.com/dmake/dmake/pkg/graph/buildstate"
	"github.com/dmake/dmake/pkg/graph/eval"
	"github.com/dmake/dmake/pkg/graph/plan"
)

// OutputSync is -O's mode.
type OutputSync uint8

const (
	SyncNone OutputSync = iota
	SyncLine
	SyncTarget
	SyncRecurse
)

// Options are the make flags that change how a build runs.
type Options struct {
	Jobs         int // 0: no limit
	KeepGoing    bool
	DryRun       bool // -n
	Question     bool // -q
	Touch        bool // -t
	AlwaysMake   bool // -B
	IgnoreErrors bool // -i
	Silent       bool // -s
	OutputSync   OutputSync
	Program      string // "make", "make[1]": prefix of messages
	Dir          string
	Stdout       io.Writer
	Stderr       io.Writer
	// Env is the environment of recipes apart from exported make
	// variables: MAKEFLAGS, MAKELEVEL and the like, already set.
	Env []string
	// ExtraFiles go to recursive lines (the jobserver's pipe).
	ExtraFiles []*os.File
	// Jobserver, when set, hands out the job slots instead of Jobs: a slot
	// is taken only when a ready step is about to run, never while waiting
	// for prerequisites, so mixed trees of makes cannot deadlock.
	Jobserver *jobserver.Jobserver
	// OldFiles (-o) are never remade; NewFiles (-W) count as infinitely new.
	OldFiles, NewFiles map[string]bool
	// SyncWrap, if set, is called before (true) and after (false) each
	// piece of -O output is shown: a sub-make wraps each piece in its
	// Entering/Leaving directory lines, as GNU make does.
	SyncWrap func(enter bool)
	// LoadAverage (-l): no new job starts while one is running and the
	// load average is at least this; 0 or less means no limit. ReadLoad
	// reads the load average (nil: /proc/loadavg).
	LoadAverage float64
	ReadLoad    func() (float64, bool)
	// Trace (--trace) prints why each recipe runs and echoes every line;
	// DebugBasic (--debug=basic) prints GNU make's basic decision lines.
	Trace, DebugBasic bool
	// NoGoalNotes turns off "Nothing to be done" and "is up to date", for
	// the remaking-makefiles pass.
	NoGoalNotes bool
	// FailureNotes are printed just before the failure message of the
	// named targets; QuietFail targets fail without a message and without
	// failing the build (makefiles included with -include).
	FailureNotes map[string]string
	QuietFail    map[string]bool
}

// Result is how a build ended.
type Result struct {
	ExitCode    int
	Interrupted bool
	// OnlyQuietFailed: every failure was of a QuietFail target.
	OnlyQuietFailed bool
}

// Builder runs one planned build.
type Builder struct {
	*Stepper
	st   *buildstate.State
	ctx  context.Context
	done chan jobDone

	running   int
	ran       []bool      // step ran commands (or would have, under -n/-t)
	alsoMade  []bool      // made by a sibling's run of a multi-target pattern rule
	mtimes    []time.Time // mtime of each step's file once final; zero: missing
	exists    []bool
	fatal     error
	questionN bool // -q found something to remake
	goalIdx   int
	failedAny bool
	// loudFailures counts failed recipes other than QuietFail ones.
	loudFailures int

	// considered marks the steps whose --debug=basic "considered" line
	// is out.
	considered []bool
	// intr is what an interrupt needs: the jobs running.
	intr interruptState

	// With a jobserver: the one expanded job waiting for a slot, and the
	// slots that arrive for it.
	waiting  *pendingJob
	tokens   chan tokenResult
	acquired bool // an Acquire is in flight
}

type pendingJob struct {
	d   jobDone
	job *xexec.Job
}

type tokenResult struct {
	t   jobserver.Token
	err error
}

type jobDone struct {
	id      buildstate.StepID
	attempt uint32
	res     xexec.Result
	before  time.Time
	existed bool
	out     *os.File // -O buffer (of stdout and stderr, when they are one file)
	errOut  *os.File // -O buffer of stderr, when it is not stdout's file
	ranAny  bool
	touches int // -t: times to touch the target once the recursive lines ran
	job     *xexec.Job
}

// New prepares a build of g.
func New(g *plan.Graph, ev *eval.Evaluator, opt Options) (*Builder, error) {
	specs := make([]buildstate.Spec, len(g.Steps))
	for i, s := range g.Steps {
		deps := make([]buildstate.StepID, 0, len(s.Deps)+len(s.Order))
		for _, d := range s.Deps {
			deps = append(deps, buildstate.StepID(d))
		}
		for _, d := range s.Order {
			deps = append(deps, buildstate.StepID(d))
		}
		specs[i] = buildstate.Spec{Deps: dedup(deps), Priority: s.Priority}
	}
	st, err := buildstate.New(specs, buildstate.Options{KeepGoing: opt.KeepGoing})
	if err != nil {
		return nil, err
	}
	n := len(g.Steps)
	return &Builder{
		Stepper:  NewStepper(g, ev, opt),
		st:       st,
		done:     make(chan jobDone),
		ran:      make([]bool, n),
		alsoMade: make([]bool, n),
		mtimes:   make([]time.Time, n),
		exists:   make([]bool, n),
		tokens:   make(chan tokenResult, 1),
	}, nil
}

func withDefaults(opt Options) Options {
	if opt.Stdout == nil {
		opt.Stdout = os.Stdout
	}
	if opt.Stderr == nil {
		opt.Stderr = os.Stderr
	}
	if opt.Program == "" {
		opt.Program = "make"
	}
	if opt.Touch {
		opt.Question = false // GNU make: -t wins over -q
	}
	return opt
}

// depState is the builder's view of a finished prerequisite: what it saw
// when the step ended (or "infinitely new" after -n).
func (b *Builder) depState(id int) (time.Time, bool) { return b.mtimes[id], b.exists[id] }

func dedup(ids []buildstate.StepID) []buildstate.StepID {
	seen := make(map[buildstate.StepID]bool, len(ids))
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func (b *Builder) limit() int {
	if b.opt.Jobserver != nil && b.waiting != nil {
		return b.running // one job at a time waits for a slot
	}
	if b.g.NotParallel {
		return 1
	}
	if b.opt.Jobserver != nil {
		return int(^uint(0) >> 1)
	}
	if b.opt.Jobs <= 0 {
		return int(^uint(0) >> 1)
	}
	return b.opt.Jobs
}

// Run runs the build to the end and reports how it ended.
func (b *Builder) Run(ctx context.Context) Result {
	b.ctx = ctx
	for {
		for b.running < b.limit() && b.fatal == nil && !b.overloaded() {
			id, ok := b.st.Next()
			if !ok {
				break
			}
			b.start(id)
		}
		b.reportGoals()
		b.wantToken()
		if b.running == 0 && b.waiting == nil {
			break
		}
		select {
		case d := <-b.done:
			b.finish(d)
		case tr := <-b.tokens:
			b.acquired = false
			b.gotToken(tr)
		case <-b.interrupted():
			b.deleteRunningTargets()
		}
	}
	b.reportGoals()
	res := Result{Interrupted: ctx.Err() != nil}
	switch {
	case b.fatal != nil: // printed when it happened
		res.ExitCode = 2
	case res.Interrupted:
		res.ExitCode = 2
	case b.st.Failures() > 0 || b.failedAny:
		res.ExitCode = 2
	case b.questionN:
		res.ExitCode = 1
	}
	if !res.Interrupted && !b.opt.Touch && !b.opt.Question {
		b.deleteIntermediates()
	}
	if res.Interrupted && !b.opt.DryRun {
		b.deleteIntermediatesInterrupted()
	}
	if b.ClockSkew() {
		fmt.Fprintf(b.opt.Stderr, "%s: warning:  Clock skew detected.  Your build may be incomplete.\n", b.opt.Program)
	}
	res.OnlyQuietFailed = res.ExitCode == 2 && b.loudFailures == 0 && !b.failedAny && b.fatal == nil && !res.Interrupted
	return res
}

// setFatal stops the build for an error in make itself (a $(error) in a
// recipe): GNU make says so at once, then waits for running jobs.
func (b *Builder) setFatal(err error) {
	b.fatal = err
	b.printFatal(err)
	b.waitNote()
}

func (b *Builder) printFatal(err error) {
	if fe, ok := err.(*eval.FatalError); ok {
		fmt.Fprintln(b.opt.Stderr, fe.Render(b.opt.Program))
		return
	}
	fmt.Fprintf(b.opt.Stderr, "%s: *** %v.  Stop.\n", b.opt.Program, err)
}

// start considers a ready step: it finishes at once when nothing needs
// running, or launches its recipe.
func (b *Builder) start(id buildstate.StepID) {
	s := b.g.Steps[id]
	attempt, err := b.st.Start(id)
	if err != nil {
		return
	}
	for _, n := range s.Notes {
		fmt.Fprintf(b.opt.Stderr, "%s: %s\n", b.opt.Program, n)
	}
	if b.intermediateNotNeeded(s) {
		// Counted as present and older than anything, so nothing that
		// depends on it is remade because of it.
		b.settle(id, time.Time{}, true)
		b.st.Succeed(id, attempt, false)
		return
	}
	dec := b.Decide(s, b.depState)
	b.debugDecide(s, dec)
	mtime, exists, newer, must := dec.Mtime, dec.Exists, dec.Newer, dec.Must
	if s.Recipe == nil {
		if dec.NoRule {
			b.noRule(id, attempt, s)
			return
		}
		b.settle(id, mtime, exists)
		b.st.Succeed(id, attempt, !exists)
		return
	}
	if made, byPattern := b.groupMade(s); !must || made {
		b.alsoMade[id] = made && byPattern
		b.settle(id, mtime, exists)
		b.st.Succeed(id, attempt, false)
		return
	}
	if s.Path != s.Name && !s.GPath {
		s.Path = s.Name // GNU make remakes a target found by vpath here
	}
	if b.opt.Question {
		b.launch(id, attempt, s, newer, mtime, exists, true)
		return
	}
	b.launch(id, attempt, s, newer, mtime, exists, false)
}

// intermediateNotNeeded reports whether s is a missing intermediate file
// that GNU make would leave missing: its prerequisites are no newer than
// the nearest target above it that exists.
func (b *Builder) intermediateNotNeeded(s *plan.Step) bool {
	// .SECONDARY with no prerequisites makes every file count so here.
	if !(s.Intermediate || b.g.SecondaryAll) || s.Recipe == nil || b.opt.AlwaysMake || s.Parent < 0 {
		return false
	}
	if _, ok := b.stat(s); ok {
		return false
	}
	up := b.g.Steps[s.Parent]
	for (up.Intermediate || b.g.SecondaryAll) && up.Parent >= 0 {
		if _, ok := b.stat(up); ok {
			break
		}
		up = b.g.Steps[up.Parent]
	}
	ref, ok := b.stat(up)
	if !ok || up.Phony {
		return false
	}
	for _, d := range s.Deps {
		dm, de := b.depState(d)
		if !de || dm.After(ref) || b.g.Steps[d].Phony || b.opt.NewFiles[b.g.Steps[d].Name] {
			return false
		}
	}
	return true
}

// groupMade reports whether another target of s's grouped rule (&:) or
// multi-target pattern rule has already run the rule's recipe, which made
// s too; byPattern tells which.
func (b *Builder) groupMade(s *plan.Step) (made, byPattern bool) {
	var group []string
	if s.File != nil && len(s.File.Group) > 1 {
		group = s.File.Group
	} else if len(s.Also) > 0 {
		group, byPattern = s.Also, true
	}
	for _, t := range group {
		if o, ok := b.g.Lookup(t); ok && o != s && b.ran[o.ID] && o.Recipe == s.Recipe {
			return true, byPattern
		}
	}
	return false, false
}

func (b *Builder) settle(id buildstate.StepID, mtime time.Time, exists bool) {
	b.mtimes[id], b.exists[id] = mtime, exists
}

func (b *Builder) noRule(id buildstate.StepID, attempt uint32, s *plan.Step) {
	msg := b.NoRuleMessage(s)
	if b.opt.KeepGoing {
		fmt.Fprintf(b.opt.Stderr, "%s: *** %s.\n", b.opt.Program, msg)
	} else {
		fmt.Fprintf(b.opt.Stderr, "%s: *** %s.  Stop.\n", b.opt.Program, msg)
		b.waitNote()
	}
	b.failedAny = true
	b.st.Fail(id, attempt)
}

// waitNote prints GNU make's note that running jobs will be waited for.
func (b *Builder) waitNote() {
	if b.running > 0 {
		fmt.Fprintf(b.opt.Stderr, "%s: *** Waiting for unfinished jobs....\n", b.opt.Program)
	}
}

func dedupStrings(s []string) []string {
	seen := make(map[string]bool, len(s))
	out := s[:0]
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// wantToken asks the jobserver for a slot when a job is waiting for one.
func (b *Builder) wantToken() {
	if b.waiting == nil || b.acquired {
		return
	}
	b.acquired = true
	js, ctx := b.opt.Jobserver, b.ctx
	go func() {
		t, err := js.Acquire(ctx)
		b.tokens <- tokenResult{t, err}
	}()
}

// gotToken starts the waiting job with the slot, or drops it when the
// build was interrupted meanwhile.
func (b *Builder) gotToken(tr tokenResult) {
	p := b.waiting
	b.waiting = nil
	if tr.err != nil || p == nil {
		if p != nil {
			b.st.Fail(p.d.id, p.d.attempt)
			b.st.Stop()
		}
		return
	}
	b.run(p.d, p.job, func() { b.opt.Jobserver.Release(tr.t) })
}

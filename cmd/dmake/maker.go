package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/dmake/dmake/cmd/dmake/internal/cli"
	xexec "github.com/dmake/dmake/pkg/exec"
	"github.com/dmake/dmake/pkg/exec/builder"
	"github.com/dmake/dmake/pkg/exec/jobserver"
	"github.com/dmake/dmake/pkg/graph/dump"
	"github.com/dmake/dmake/pkg/graph/eval"
	"github.com/dmake/dmake/pkg/graph/plan"
	"github.com/dmake/dmake/pkg/graph/syntax"
)

// maker runs one make: read, plan, build.
type maker struct {
	opts *cli.Options
	prog string
	orig string // the directory make started in, before -C
	dir  string
	ev   *eval.Evaluator
	env  []string // the environment children get besides exported variables

	// For the remaking-makefiles pass: notes printed before a failure, and
	// makefiles whose failure is silent (-include).
	failureNotes    map[string]string
	quietFailures   map[string]bool
	onlyQuietFailed bool

	js *jobserver.Jobserver // the jobserver this make serves or joined; nil for none

	// stdout and stderr print the Entering directory line before the
	// first thing written to them.
	dirs           *dirLog
	stdout, stderr *xexec.NotifyFile
}

// setupJobserver joins the jobserver of a parent make, or creates one for
// -jN, as GNU make 4.3 decides at start-up. MAKEFLAGS then names it, so
// sub-makes, GNU make's or dmake's, share the same slots.
func (m *maker) setupJobserver() int {
	js, jobs, warnings, err := jobserver.Setup(jobserver.Config{
		Program:           m.prog,
		Makeflags:         os.Getenv("MAKEFLAGS"),
		Jobs:              m.opts.Jobs,
		JobsOnCommandLine: jobsOnCommandLine(os.Args[1:]),
	})
	fmt.Fprint(os.Stderr, warnings)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: *** %v.  Stop.\n", m.prog, err)
		return 2
	}
	m.opts.Jobs = jobs
	m.js = js
	m.opts.JobserverAuth = ""
	if js != nil {
		m.opts.JobserverAuth = strings.TrimPrefix(js.AuthFlag(), "--jobserver-auth=")
	}
	return 0
}

// jobsOnCommandLine reports whether -j was given on this make's own
// command line (not inherited through MAKEFLAGS).
func jobsOnCommandLine(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if strings.HasPrefix(a, "--jobs") || strings.HasPrefix(a, "--jo") && strings.HasPrefix("--jobs", strings.SplitN(a, "=", 2)[0]) {
			return true
		}
		if len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.ContainsRune(a, 'j') {
			return true
		}
	}
	return false
}

func (m *maker) main() int {
	m.dirs = &dirLog{prog: m.prog}
	m.stdout, m.stderr = m.dirs.files()
	if err := m.chdir(); err != nil {
		return 2
	}
	if code := m.setupJobserver(); code != 0 {
		return code
	}
	if m.js != nil {
		defer m.js.Close()
	}
	if m.opts.Debug&cli.DebugBasic != 0 || m.opts.PrintDataBase {
		fmt.Print(m.opts.VersionText())
	}
	m.dirs.dir = m.dir
	m.dirs.on = m.opts.ShouldPrintDirectory()
	m.dirs.resume()
	defer m.dirs.leave()
	code := m.make()
	m.printDataBase()
	return code
}

// chdir applies -C options in order.
func (m *maker) chdir() error {
	m.orig, _ = os.Getwd()
	for _, d := range m.opts.Dirs {
		if err := os.Chdir(d); err != nil {
			fmt.Fprintf(os.Stderr, "%s: *** %s: %s.  Stop.\n", m.prog, d, errText(err))
			return err
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	m.dir = wd
	return nil
}

func errText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return err.Error()
}

func (m *maker) config() eval.Config {
	o := m.opts
	var vars []string
	for _, v := range o.Variables {
		vars = append(vars, v.Name+v.Op+v.Value)
	}
	env := os.Environ()
	return eval.Config{
		Dir:            m.dir,
		Program:        m.prog,
		Command:        o.Argv0,
		Env:            env,
		EnvOverrides:   o.EnvOverrides,
		CommandVars:    vars,
		IncludeDirs:    o.IncludeDirs,
		Goals:          o.Goals,
		NoBuiltinRules: o.NoBuiltinRules,
		NoBuiltinVars:  o.NoBuiltinVars,
		WarnUndefined:  o.WarnUndefined,
		MakeFlags:      o.MakeFlagsValue(cli.PhaseParse),
		EvalFlags:      o.EvalFlags(),
		CommandLine:    o.CommandVariables(nil),
		MFlags:         o.MFlags(cli.PhaseParse),
		MakeLevel:      o.MakeLevel,
		Stdout:         m.stdout,
		Stderr:         m.stderr,
		Hooks:          eval.Hooks{Shell: m.shell},
	}
}

// shell runs $(shell) and != commands the way recipes run: directly when
// GNU make would, so messages and statuses match.
func (m *maker) shell(e *eval.Evaluator, cmd string) (string, int) {
	sh, flags := e.ShellCommand()
	return xexec.Capture(m.prog, sh, flags, cmd, m.dir, e.Env, os.Stderr)
}

func (m *maker) inputs() []eval.Input {
	var in []eval.Input
	for _, f := range m.opts.Makefiles {
		if f == "-" {
			in = append(in, eval.Input{Name: "-", Data: eval.ReadAll(os.Stdin), Stdin: true})
			continue
		}
		in = append(in, eval.Input{Name: f})
	}
	return in
}

func (m *maker) make() int {
	m.debug("Reading makefiles...\n")
	ev := eval.New(m.config())
	m.ev = ev
	err := ev.Load(m.inputs(), m.opts.Evals, m.opts.NoBuiltinRules)
	noMakefile := errors.Is(err, eval.ErrNoMakefile)
	if err != nil && !noMakefile {
		return m.fatal(err)
	}
	ev.Snap(m.opts.NoBuiltinRules)
	if code := m.applyMakefileFlags(); code != 0 {
		return code
	}
	m.setPhase(cli.PhaseRemake)
	m.debug("Updating makefiles....\n")
	if code, restart := m.remakeMakefiles(); code != 0 || restart {
		if restart {
			return m.restart()
		}
		return code
	}
	goals := m.opts.Goals
	if len(goals) == 0 {
		switch g := eval.Fields(ev.DefaultGoal()); len(g) {
		case 0:
		case 1:
			goals = g
		default:
			fmt.Fprintf(m.stderr, "%s: *** .DEFAULT_GOAL contains more than one target.  Stop.\n", m.prog)
			return 2
		}
	}
	for _, g := range goals {
		if g == "" {
			fmt.Fprintf(m.stderr, "%s: *** empty string invalid as file name.  Stop.\n", m.prog)
			return 2
		}
	}
	if len(goals) == 0 {
		if noMakefile {
			fmt.Fprintf(m.stderr, "%s: *** No targets specified and no makefile found.  Stop.\n", m.prog)
		} else {
			fmt.Fprintf(m.stderr, "%s: *** No targets.  Stop.\n", m.prog)
		}
		return 2
	}
	g, err := plan.Build(ev, goals, plan.OSFS{Dir: m.dir})
	if err != nil {
		return m.fatal(err)
	}
	m.setPhase(cli.PhaseRun)
	m.debug("Updating goal targets....\n")
	if m.opts.Cluster.Enabled() {
		return m.buildOnCluster(g)
	}
	return m.build(g, false)
}

// applyMakefileFlags reads flags a makefile put in MAKEFLAGS, as GNU make
// does after reading the makefiles.
func (m *maker) applyMakefileFlags() int {
	v := m.ev.Global.Lookup("MAKEFLAGS")
	if v == nil || v.Origin != eval.OriginFile && v.Origin != eval.OriginOverride {
		return 0
	}
	val, _, err := m.ev.ValueIn(m.ev.GlobalScope(), "MAKEFLAGS")
	if err != nil {
		return m.fatal(err)
	}
	if val == m.opts.MakeFlags(cli.PhaseParse, m.lookup) {
		return 0
	}
	n := len(m.opts.Warnings)
	if _, err := m.opts.ApplyMakeFlags(val); err != nil {
		var exit *cli.Exit
		if errors.As(err, &exit) {
			fmt.Fprint(m.stdout, exit.Stdout)
			fmt.Fprint(m.stderr, exit.Stderr)
			return exit.Code
		}
	}
	for _, w := range m.opts.Warnings[n:] {
		fmt.Fprintln(m.stderr, w)
	}
	return 0
}

// setPhase redefines MAKEFLAGS and MFLAGS for the next part of the run and
// recomputes what children get, as GNU make does before remaking makefiles
// and again before the goals.
func (m *maker) setPhase(ph cli.Phase) {
	o := m.opts
	m.ev.Global.Define("MAKEFLAGS", o.MakeFlagsValue(ph), eval.Recursive, eval.OriginFile, syntax.Pos{})
	m.ev.Global.Define("MFLAGS", o.MFlags(ph), eval.Recursive, eval.OriginEnv, syntax.Pos{})
	m.env = m.childEnv(ph)
}

// lookup gives the cli package the final value and flavor of a
// command-line variable.
func (m *maker) lookup(name string) (string, bool) {
	v := m.ev.Global.Lookup(name)
	if v == nil {
		return "", true
	}
	return v.Value, v.Flavor == eval.Recursive
}

func (m *maker) fatal(err error) int {
	var fe *eval.FatalError
	if errors.As(err, &fe) {
		fmt.Fprintln(m.stderr, fe.Render(m.prog))
	} else {
		fmt.Fprintf(m.stderr, "%s: *** %v.  Stop.\n", m.prog, err)
	}
	return 2
}

// build runs a planned graph with the command line's options. makefiles
// marks the remaking-makefiles pass: -n, -q and -t do not apply to it and
// goal messages are not printed.
func (m *maker) build(g *plan.Graph, makefiles bool) int {
	o := m.opts
	bo := builder.Options{
		Jobs:         o.Jobs,
		KeepGoing:    o.KeepGoing,
		DryRun:       o.DryRun && !makefiles,
		Question:     o.Question && !makefiles,
		Touch:        o.Touch && !makefiles,
		AlwaysMake:   o.AlwaysMake && !makefiles,
		IgnoreErrors: o.IgnoreErrors,
		Silent:       o.Silent,
		OutputSync:   outputSync(o.OutputSync),
		LoadAverage:  o.LoadAverage,
		Trace:        o.Trace,
		DebugBasic:   o.Debug&cli.DebugBasic != 0 && (!makefiles || o.Debug&cli.DebugMakefiles != 0),
		Stdout:       m.stdout,
		Stderr:       m.stderr,
		Program:      m.prog,
		Dir:          m.dir,
		Env:          m.env,
		OldFiles:     set(o.OldFiles),
		NewFiles:     set(o.NewFiles),
		NoGoalNotes:  makefiles,
		FailureNotes: m.failureNotes,
		QuietFail:    m.quietFailures,
	}
	if (bo.OutputSync == builder.SyncLine || bo.OutputSync == builder.SyncTarget) && m.dirs.on && (o.Jobs != 1 || m.js != nil) {
		bo.SyncWrap = m.dirs.blocks()
	}
	if m.js != nil {
		bo.Jobserver = m.js
		bo.ExtraFiles = m.js.Files()
	}
	b, err := builder.New(g, m.ev, bo)
	if err != nil {
		return m.fatal(err)
	}
	ctx, sigs, stop := interruptContext()
	defer stop()
	res := b.Run(ctx)
	m.onlyQuietFailed = res.OnlyQuietFailed
	if res.Interrupted {
		dieOf(sigs.received())
	}
	return res.ExitCode
}

func outputSync(s cli.OutputSync) builder.OutputSync {
	switch s {
	case cli.OutputSyncLine:
		return builder.SyncLine
	case cli.OutputSyncTarget:
		return builder.SyncTarget
	case cli.OutputSyncRecurse:
		return builder.SyncRecurse
	}
	return builder.SyncNone
}

func set(names []string) map[string]bool {
	s := make(map[string]bool, len(names))
	for _, n := range names {
		s[n] = true
	}
	return s
}

// childEnv is what recipes get besides exported variables: MAKEFLAGS,
// MFLAGS, MAKELEVEL one deeper and MAKEOVERRIDES, as the command line
// defines them, and the SHELL dmake was started with (a makefile's SHELL
// is not exported unless asked).
func (m *maker) childEnv(ph cli.Phase) []string {
	env := m.opts.ChildEnv(ph, m.lookup)
	if v := m.ev.Global.Lookup("MAKEFLAGS"); v != nil && v.Export == eval.ExportNo {
		// "unexport MAKEFLAGS": sub-makes get no flags.
		env = dropVar(env, "MAKEFLAGS")
	}
	if sh, ok := os.LookupEnv("SHELL"); ok {
		env = append(env, "SHELL="+sh)
	}
	return env
}

// remakeMakefiles brings the makefiles up to date before the real goals,
// as GNU make does: every makefile read and every missing included one is
// a goal. If any was remade, make starts again. A missing makefile that
// cannot be made is an error unless it was included with -include.
func (m *maker) remakeMakefiles() (code int, restart bool) {
	db := m.ev.DB
	if len(db.MissingIncludes) == 0 && !m.anyMakefileHasRule() {
		return 0, false
	}
	// GNU make updates the makefiles in the reverse of the order it read
	// them.
	var goals []string
	missing := map[string]eval.MissingInclude{}
	made := map[string]bool{}
	for i := len(db.ReadOrder) - 1; i >= 0; i-- {
		name := db.ReadOrder[i]
		if mi, ok := db.Missing(name); ok {
			if m.canMake(name) {
				goals = append(goals, name)
				missing[name] = mi
			}
			continue
		}
		if f := db.Lookup(name); f != nil && f.IsTarget && !(f.Double && len(f.Deps) == 0) {
			goals = append(goals, name)
		}
	}
	if len(goals) > 0 {
		g, err := plan.Build(m.ev, goals, plan.OSFS{Dir: m.dir})
		if err != nil {
			return m.fatal(err), false
		}
		notes := map[string]string{}
		quiet := map[string]bool{}
		for name, mi := range missing {
			if mi.DontCare {
				quiet[name] = true
			} else {
				notes[name] = missingText(m.prog, mi)
			}
		}
		before := m.mtimes(goals)
		code, remade := m.buildMakefiles(g, notes, quiet)
		for _, n := range remade {
			made[n] = true
		}
		if code != 0 {
			return code, false
		}
		after := m.mtimes(goals)
		for i := range goals {
			if before[i] != after[i] {
				return 0, true
			}
		}
	}
	for _, mi := range db.MissingIncludes {
		if mi.DontCare || made[mi.Name] {
			continue
		}
		if _, err := os.Stat(filepath.Join(m.dir, mi.Name)); err == nil {
			continue
		}
		fmt.Fprint(m.stderr, missingText(m.prog, mi))
		fmt.Fprintf(m.stderr, "%s: *** No rule to make target '%s'.  Stop.\n", m.prog, mi.Name)
		return 2, false
	}
	return 0, false
}

func (m *maker) anyMakefileHasRule() bool {
	for _, mf := range m.ev.DB.Makefiles {
		if f := m.ev.DB.Lookup(mf); f != nil && f.IsTarget {
			return true
		}
	}
	return false
}

// missingText is GNU make's report of a makefile that is not there.
func missingText(prog string, mi eval.MissingInclude) string {
	if mi.Pos.IsZero() {
		return fmt.Sprintf("%s: %s: No such file or directory\n", prog, mi.Name)
	}
	return fmt.Sprintf("%s: %s: No such file or directory\n", mi.Pos, mi.Name)
}

// buildMakefiles runs the remaking-makefiles pass. A failed makefile
// included with -include is not an error.
func (m *maker) buildMakefiles(g *plan.Graph, notes map[string]string, quiet map[string]bool) (int, []string) {
	m.failureNotes, m.quietFailures = notes, quiet
	defer func() { m.failureNotes, m.quietFailures = nil, nil }()
	code := m.build(g, true)
	var remade []string
	for _, id := range g.Goals {
		s := g.Steps[id]
		if code == 0 || quiet[s.Name] {
			remade = append(remade, s.Name)
		}
	}
	if code != 0 && m.onlyQuietFailed {
		code = 0
	}
	return code, remade
}

// canMake reports whether a missing makefile has an explicit or implicit
// rule: planning it gives a step with a recipe.
func (m *maker) canMake(name string) bool {
	g, err := plan.Build(m.ev, []string{name}, plan.OSFS{Dir: m.dir})
	if err != nil {
		return false
	}
	s, ok := g.Lookup(name)
	return ok && (s.Recipe != nil || (s.IsTarget && len(s.Deps) > 0))
}

func (m *maker) mtimes(names []string) []int64 {
	out := make([]int64, len(names))
	for i, n := range names {
		if st, err := os.Stat(filepath.Join(m.dir, n)); err == nil {
			out[i] = st.ModTime().UnixNano()
		}
	}
	return out
}

// restart runs make again from the start after a makefile was remade,
// with MAKE_RESTARTS counting the restarts, as GNU make does.
func (m *maker) restart() int {
	n, _ := strconv.Atoi(os.Getenv("MAKE_RESTARTS"))
	os.Setenv("MAKE_RESTARTS", strconv.Itoa(n+1))
	if n+1 > 100 {
		fmt.Fprintf(m.stderr, "%s: *** makefiles keep being remade.  Stop.\n", m.prog)
		return 2
	}
	exe, err := os.Executable()
	if err != nil {
		return m.fatal(err)
	}
	args := append([]string(nil), os.Args...)
	m.dirs.handOver()
	if m.opts.Debug&cli.DebugBasic != 0 {
		fmt.Fprintf(m.stdout, "Re-executing[%d]: %s\n", n+1, strings.Join(args, " "))
	}
	os.Chdir(m.orig)
	if err := syscall.Exec(exe, args, os.Environ()); err != nil {
		return m.fatal(err)
	}
	return 2
}

// debug prints one of GNU make's --debug=basic progress lines.
func (m *maker) debug(line string) {
	if m.opts.Debug&cli.DebugBasic != 0 {
		fmt.Fprint(m.stdout, line)
	}
}

// printDataBase writes the database for -p, as GNU make does when it
// ends.
func (m *maker) printDataBase() {
	if !m.opts.PrintDataBase || m.ev == nil {
		return
	}
	phony := map[string]bool{}
	if deps, ok := m.ev.DB.Prereqs(".PHONY"); ok {
		for _, d := range deps {
			phony[d] = true
		}
	}
	_, shellEnv := os.LookupEnv("SHELL")
	dump.Write(m.stdout, m.ev, dump.Options{Phony: phony, ShellFromEnv: shellEnv})
}

// dropVar removes NAME=... from env.
func dropVar(env []string, name string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

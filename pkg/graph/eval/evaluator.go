// Package eval evaluates makefiles: it reads logical lines, carries out
// directives, conditionals and assignments, expands variable references and
// functions, and records rules into a Database. It is the middle of
// dmake's pipeline: syntax (lines, expressions) → eval (variables, rules)
// → plan (the graph of steps). Recipes are kept unexpanded; ExpandRecipe
// expands them when their step runs.
package eval

import (
	_ "embed"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dmake/dmake/pkg/graph/syntax"
)

// Hooks are the side effects of evaluation. The zero value runs real
// commands and reads the real filesystem; tests may replace them.
type Hooks struct {
	// Shell runs cmd for $(shell) and !=, returning its standard output
	// and exit status.
	Shell func(e *Evaluator, cmd string) (out string, status int)
	// Glob expands a wildcard pattern.
	Glob func(pattern string) []string
}

// Config is what the command line and environment give evaluation.
type Config struct {
	Dir          string   // the working directory (CURDIR)
	Program      string   // program name for messages: "make"
	Command      string   // argv[0], the value of MAKE_COMMAND
	Env          []string // environment, "NAME=value"
	EnvOverrides bool     // -e
	// CommandVars are command-line definitions, "NAME=value" (any
	// assignment operator), in order.
	CommandVars    []string
	IncludeDirs    []string // -I
	Goals          []string
	NoBuiltinRules bool // -r
	NoBuiltinVars  bool // -R
	WarnUndefined  bool
	MakeFlags      string // the value of MAKEFLAGS (may refer to the two below)
	EvalFlags      string // "-*-eval-flags-*-": the --eval switches for MAKEFLAGS
	CommandLine    string // "-*-command-variables-*-": command-line definitions, quoted
	MFlags         string // the value of MFLAGS
	MakeLevel      int
	Stdout, Stderr io.Writer
	Hooks          Hooks
}

// Evaluator holds the state of evaluating a set of makefiles.
type Evaluator struct {
	Global *VarSet
	DB     *Database
	Hooks  Hooks

	Dir             string
	Program         string
	IncludeDirs     []string
	WarnUndefined   bool
	EnvOverrides    bool
	ExportAll       bool // bare "export" or .EXPORT_ALL_VARIABLES
	SecondExpansion bool // .SECONDEXPANSION seen
	Posix           bool // .POSIX seen
	// InRecipe is set while a recipe is expanded: $(eval) may not add
	// prerequisites then.
	InRecipe       bool
	Stdout, Stderr io.Writer
	Env            []string // the environment make started with

	scope    *Scope
	pos      syntax.Pos  // the line being read ("reading_file")
	varPos   *syntax.Pos // definition of the variable being expanded
	depth    int
	callArgs int
	read     *readState
	rule     *pendingRule
	dirs     dirCache
}

//go:embed builtin.mk
var builtinMk string

// DefaultIncludeDirs are searched for included makefiles after -I dirs.
var DefaultIncludeDirs = []string{"/usr/local/include", "/usr/include", "/usr/include"}

// Features is the value of .FEATURES, GNU make 4.3's.
const Features = "target-specific order-only second-expansion else-if shortest-stem undefine oneshell nocomment grouped-target extra-prereqs archives jobserver output-sync check-symlink load"

// New returns an evaluator with the variables make defines before reading
// any makefile: builtin, environment, command line.
func New(cfg Config) *Evaluator {
	e := &Evaluator{
		Global:        NewVarSet(),
		DB:            NewDatabase(),
		Hooks:         cfg.Hooks,
		Dir:           cfg.Dir,
		Program:       cfg.Program,
		WarnUndefined: cfg.WarnUndefined,
		EnvOverrides:  cfg.EnvOverrides,
		Stdout:        cfg.Stdout,
		Stderr:        cfg.Stderr,
		Env:           cfg.Env,
	}
	if e.Program == "" {
		e.Program = "make"
	}
	if e.Stdout == nil {
		e.Stdout = os.Stdout
	}
	if e.Stderr == nil {
		e.Stderr = os.Stderr
	}
	if e.Hooks.Shell == nil {
		e.Hooks.Shell = runShell
	}
	e.IncludeDirs = append(append([]string(nil), cfg.IncludeDirs...), DefaultIncludeDirs...)
	e.scope = &Scope{Vars: e.Global}
	e.dirs = dirCache{}
	if cfg.Dir != "" {
		// GNU make reads the working directory at start-up.
		e.dirs.read(filepath.Clean(cfg.Dir))
	}
	e.defineDefaults(cfg)
	e.importEnv(cfg)
	e.defineCommandVars(cfg)
	return e
}

func (e *Evaluator) def(name, value string, f Flavor, o Origin) *Var {
	return e.Global.Define(name, value, f, o, syntax.Pos{})
}

func (e *Evaluator) defineDefaults(cfg Config) {
	cmd := cfg.Command
	if cmd == "" {
		cmd = "make"
	}
	if !cfg.NoBuiltinVars {
		vars, _, _ := strings.Cut(builtinMk, "\n#rules\n")
		saved := e.pos
		r := syntax.NewReader("", []byte(vars))
		for {
			line, ok := r.Next()
			if !ok {
				break
			}
			if vm, rest, ok := parseVarAssign(strings.TrimSpace(syntax.StripComment(line.Text)), false); ok {
				flavor := Recursive
				if vm.op == ":=" {
					flavor = Simple
				}
				e.def(vm.name, rest, flavor, OriginDefault)
			}
		}
		e.pos = saved
		suffixes := builtinSuffixes()
		if cfg.NoBuiltinRules {
			suffixes = "" // -r empties the suffix list
		}
		e.def("SUFFIXES", suffixes, Simple, OriginDefault)
	} else {
		e.def("SUFFIXES", "", Simple, OriginDefault)
	}
	e.def("MAKE_VERSION", "4.3", Simple, OriginDefault)
	e.def("MAKE_HOST", "x86_64-pc-linux-gnu", Simple, OriginDefault)
	e.def("MAKE_COMMAND", cmd, Simple, OriginDefault)
	e.def("MAKE", "$(MAKE_COMMAND)", Recursive, OriginDefault)
	e.def(".SHELLFLAGS", "-c", Simple, OriginDefault)
	e.def(".FEATURES", Features, Simple, OriginDefault)
	e.def(".INCLUDE_DIRS", strings.Join(e.IncludeDirs, " "), Recursive, OriginDefault)
	e.def(".VARIABLES", "", Simple, OriginDefault)
	e.def(".RECIPEPREFIX", "", Simple, OriginDefault)
	e.def(".LOADED", "", Simple, OriginDefault)
	e.def("MAKEFILES", "", Simple, OriginDefault)
	if len(cfg.Goals) > 0 {
		e.def("MAKECMDGOALS", strings.Join(cfg.Goals, " "), Simple, OriginDefault)
	}
	for _, a := range automaticDerived {
		e.def(a[0], a[1], Recursive, OriginAutomatic)
	}
}

// automaticDerived are the D and F forms of the automatic variables, which
// GNU make defines globally in terms of the plain ones.
var automaticDerived = [][2]string{
	{"@D", "$(patsubst %/,%,$(dir $@))"}, {"@F", "$(notdir $@)"},
	{"%D", "$(patsubst %/,%,$(dir $%))"}, {"%F", "$(notdir $%)"},
	{"*D", "$(patsubst %/,%,$(dir $*))"}, {"*F", "$(notdir $*)"},
	{"<D", "$(patsubst %/,%,$(dir $<))"}, {"<F", "$(notdir $<)"},
	{"^D", "$(patsubst %/,%,$(dir $^))"}, {"^F", "$(notdir $^)"},
	{"+D", "$(patsubst %/,%,$(dir $+))"}, {"+F", "$(notdir $+)"},
	{"?D", "$(patsubst %/,%,$(dir $?))"}, {"?F", "$(notdir $?)"},
}

func builtinSuffixes() string {
	_, rules, _ := strings.Cut(builtinMk, "\n#rules\n")
	line, _, _ := strings.Cut(rules, "\n")
	return strings.TrimPrefix(line, ".SUFFIXES: ")
}

// importEnv makes the environment's variables make variables, as GNU make
// does: all but SHELL, with origin "environment" (or "environment
// override" under -e). MAKELEVEL, MAKEFLAGS and friends are set afterwards
// from the configuration.
func (e *Evaluator) importEnv(cfg Config) {
	origin := OriginEnv
	for _, kv := range cfg.Env {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" || name == "SHELL" || name == "MAKEFLAGS" || name == "MAKELEVEL" || name == "MFLAGS" {
			continue
		}
		v := e.def(name, value, Recursive, origin)
		v.Export = ExportYes
	}
	levelOrigin := OriginEnv
	if cfg.EnvOverrides {
		levelOrigin = OriginEnvOverride
	}
	e.def("MAKELEVEL", strconv.Itoa(cfg.MakeLevel), Simple, levelOrigin)
	e.def("MAKEFLAGS", cfg.MakeFlags, Recursive, OriginFile)
	e.def("MFLAGS", cfg.MFlags, Recursive, OriginEnv)
	if e.Global.Lookup("GNUMAKEFLAGS") == nil {
		e.def("GNUMAKEFLAGS", "", Simple, OriginEnv)
	}
	e.def("MAKEOVERRIDES", "${-*-command-variables-*-}", Recursive, OriginEnv)
	e.def("CURDIR", cfg.Dir, Simple, OriginFile)
	e.def("SHELL", "/bin/sh", Recursive, OriginFile)
	e.def(".DEFAULT_GOAL", "", Simple, OriginFile)
}

// defineCommandVars defines command-line variables, origin "command line".
func (e *Evaluator) defineCommandVars(cfg Config) {
	var defs []string
	for _, def := range cfg.CommandVars {
		vm, rest, ok := parseVarAssign(def, false)
		if !ok || vm.define || vm.undefine {
			continue
		}
		name := strings.TrimSpace(e.Expand(vm.name))
		v := e.assign(e.Global, name, vm.op, rest, OriginCommand, syntax.Pos{}, false)
		v.Export = ExportDefault
		defs = append(defs, quoteCommandVar(def))
	}
	cl := cfg.CommandLine
	if cl == "" {
		cl = strings.Join(defs, " ")
	}
	e.def("-*-command-variables-*-", cl, Simple, OriginAutomatic)
	if cfg.EvalFlags != "" {
		e.def("-*-eval-flags-*-", cfg.EvalFlags, Simple, OriginAutomatic)
	}
}

// quoteCommandVar escapes blanks and backslashes as GNU make does when it
// puts command-line definitions in MAKEOVERRIDES.
func quoteCommandVar(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// ShellCommand returns $(SHELL) and the words of $(.SHELLFLAGS) as
// $(shell) uses them.
func (e *Evaluator) ShellCommand() (string, []string) {
	shell := "/bin/sh"
	if v := e.lookup("SHELL"); v != nil {
		if s := strings.TrimSpace(e.valueOf(v)); s != "" {
			shell = s
		}
	}
	flags := []string{"-c"}
	if v := e.lookup(".SHELLFLAGS"); v != nil {
		flags = Fields(e.valueOf(v))
	}
	return shell, flags
}

// runShell is the plain $(shell) used when no hook is given: $(SHELL)
// $(.SHELLFLAGS) cmd, with make's environment, standard error passed
// through. dmake's command installs one that also takes GNU make's
// direct-exec path.
func runShell(e *Evaluator, cmd string) (string, int) {
	shell, flags := e.ShellCommand()
	c := exec.Command(shell, append(flags, cmd)...)
	c.Dir = e.Dir
	c.Env = e.Env
	c.Stderr = e.Stderr
	c.Stdin = os.Stdin
	out, err := c.Output()
	status := 0
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			status = ee.ExitCode()
			if status < 0 {
				status = 128 + 9
			}
		} else {
			e.Warnf(e.pos, "%s", errText(err))
			status = 127
		}
	}
	return string(out), status
}

// home returns the home directory for "~" in file names.
func (e *Evaluator) home() string {
	if v := e.Global.Lookup("HOME"); v != nil {
		return e.valueOf(v)
	}
	return os.Getenv("HOME")
}

func lstatPath(p string) (os.FileInfo, error) { return os.Lstat(p) }

// Pos returns the position of the line being read.
func (e *Evaluator) Pos() syntax.Pos { return e.pos }

// SetGlobal replaces the global variables, for a worker that rebuilds an
// evaluator from variables a client sent instead of reading makefiles.
func (e *Evaluator) SetGlobal(vs *VarSet) {
	e.Global = vs
	e.scope = &Scope{Vars: vs}
}

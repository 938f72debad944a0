package cli

import (
	"math"
	"strconv"
	"strings"
)

// Phase is the point of a run at which make 4.3 (re)defines MAKEFLAGS
// and MFLAGS; each sees a different part of the switches.
type Phase int

const (
	// PhaseParse is while the makefiles are read: only the switches
	// without arguments, and the --eval ones.
	PhaseParse Phase = iota
	// PhaseRemake is while makefiles are remade: everything, except
	// -n, -q and -t (those recipes run anyway).
	PhaseRemake
	// PhaseRun is for the goals' recipes: everything.
	PhaseRun
)

// VarLookup returns a command-line variable's value (unexpanded) and
// whether it is recursive. The caller's evaluator knows them once the
// command-line definitions are applied (after "+=", "!=", ":=" ...).
type VarLookup func(name string) (value string, recursive bool)

// MFlags returns the value of MFLAGS: the switches only, each word with
// its dash ("-ks -j2 --jobserver-auth=3,4"), "" when there are none.
func (o *Options) MFlags(ph Phase) string {
	s := o.switchString(ph)
	if strings.HasPrefix(s, "- ") {
		return s[2:]
	}
	return s
}

// MakeFlags returns MAKEFLAGS as make 4.3 exports it to children, which is
// also what $(MAKEFLAGS) expands to: single-letter switches grouped in a
// first word without its dash, then the switches with arguments and the
// long ones (" -j2 --jobserver-auth=3,4 --trace"), then the --eval
// switches, then (except in PhaseParse) " -- " and the command-line
// variables (see CommandVariables). Arguments and variables are quoted
// by QuoteForEnv. A value starting with a blank means there are no
// single-letter switches (" -j2", " -- X=1").
func (o *Options) MakeFlags(ph Phase, lookup VarLookup) string {
	s := o.switchString(ph)
	if ev := o.EvalFlags(); ev != "" {
		s += " " + ev
	}
	if ph != PhaseParse && len(o.varOrder) > 0 {
		s += " -- " + o.CommandVariables(lookup)
	}
	return strings.TrimPrefix(s, "-")
}

// MakeFlagsValue returns the text make 4.3 stores in the MAKEFLAGS
// variable itself (a recursive variable): like MakeFlags, but with the
// references "$(-*-eval-flags-*-)" and "$(MAKEOVERRIDES)" in place of
// the --eval switches and the variables. A caller that defines MAKEFLAGS
// this way must also define "-*-eval-flags-*-" (simple, EvalFlags),
// "-*-command-variables-*-" (simple, CommandVariables) and MAKEOVERRIDES
// (recursive, origin environment, "${-*-command-variables-*-}"), which
// make exports verbatim.
func (o *Options) MakeFlagsValue(ph Phase) string {
	s := o.switchString(ph)
	if len(o.Evals) > 0 {
		s += " $(-*-eval-flags-*-)"
	}
	if ph != PhaseParse && len(o.varOrder) > 0 {
		s += " -- $(MAKEOVERRIDES)"
	}
	return strings.TrimPrefix(s, "-")
}

// EvalFlags returns the value of make's "-*-eval-flags-*-":
// "--eval=TEXT" for each -E, in order, TEXT quoted by QuoteForEnv.
func (o *Options) EvalFlags() string {
	words := make([]string, len(o.Evals))
	for i, e := range o.Evals {
		words[i] = "--eval=" + QuoteForEnv(e)
	}
	return strings.Join(words, " ")
}

// CommandVariableNames returns the distinct command-line variable names
// in the order make writes them: the newest first appearance first
// (make pushes each new name on the front of a list), MAKEFLAGS ones
// being older than argv ones. "A=1 B=2 A=3" gives B, A.
func (o *Options) CommandVariableNames() []string {
	n := len(o.varOrder)
	out := make([]string, n)
	for i, name := range o.varOrder {
		out[n-1-i] = name
	}
	return out
}

// CommandVariables returns the value of make's "-*-command-variables-*-":
// "NAME=VALUE" for a recursive variable, "NAME:=VALUE" for a simple one,
// space-separated, both parts quoted by QuoteForEnv, in
// CommandVariableNames order. A nil lookup uses LiteralLookup.
func (o *Options) CommandVariables(lookup VarLookup) string {
	if lookup == nil {
		lookup = o.LiteralLookup()
	}
	var b strings.Builder
	for i, name := range o.CommandVariableNames() {
		if i > 0 {
			b.WriteByte(' ')
		}
		value, recursive := lookup(name)
		b.WriteString(QuoteForEnv(name))
		if !recursive {
			b.WriteByte(':')
		}
		b.WriteByte('=')
		b.WriteString(QuoteForEnv(value))
	}
	return b.String()
}

// LiteralLookup resolves the command-line variables without a makefile
// evaluator: definitions apply in order with their operator, and values
// are taken literally, except that "$$" becomes "$" where a simple
// variable (":=", "::=") expands its text. It is exact when values have
// no other references, no "!=" is used (its value is left as the command
// text) and no "+=" or "?=" applies to an environment variable;
// otherwise the caller's evaluator must supply the lookup.
func (o *Options) LiteralLookup() VarLookup {
	type val struct {
		value     string
		recursive bool
	}
	vals := map[string]val{}
	for _, v := range o.Variables {
		old, had := vals[v.Name]
		switch v.Op {
		case "=", "!=":
			vals[v.Name] = val{v.Value, true}
		case ":=", "::=":
			vals[v.Name] = val{expandEscapes(v.Value), false}
		case "?=":
			if !had {
				vals[v.Name] = val{v.Value, true}
			}
		case "+=":
			add := v.Value
			if had && !old.recursive {
				add = expandEscapes(add)
			}
			switch {
			case !had:
				vals[v.Name] = val{add, true}
			case old.value == "":
				vals[v.Name] = val{add, old.recursive}
			default:
				vals[v.Name] = val{old.value + " " + add, old.recursive}
			}
		}
	}
	return func(name string) (string, bool) {
		v := vals[name]
		return v.value, v.recursive
	}
}

// expandEscapes turns "$$" into "$" when that is the only kind of
// reference in s; anything else needs an evaluator and is left alone.
func expandEscapes(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	t := strings.ReplaceAll(s, "$$", "")
	if strings.Contains(t, "$") {
		return s
	}
	return strings.ReplaceAll(s, "$$", "$")
}

// QuoteForEnv quotes s as make does for MAKEFLAGS: "$" is doubled, and
// blanks (space, tab) and backslashes get a backslash before them.
func QuoteForEnv(s string) string {
	if !strings.ContainsAny(s, "$ \t\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '$':
			b.WriteByte('$')
		case ' ', '\t', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// switchString is make's flag string: "-" then the single-letter
// switches, then " -X..." or " --name..." for each of the others; "" when
// there are none.
func (o *Options) switchString(ph Phase) string {
	var short strings.Builder
	var long strings.Builder
	for i := range switches {
		sw := &switches[i]
		if !sw.toEnv || (ph == PhaseRemake && sw.noMakefile) {
			continue
		}
		if !sw.takesArg() {
			if o.flagOn(sw.id) {
				if sw.short() {
					short.WriteByte(byte(sw.id))
				} else {
					long.WriteString(" --" + sw.long)
				}
			}
			continue
		}
		if ph == PhaseParse {
			continue
		}
		for _, arg := range o.switchArgs(sw.id) {
			long.WriteString(" -")
			if sw.short() {
				long.WriteByte(byte(sw.id))
			} else {
				long.WriteString("-" + sw.long)
				if arg != "" {
					long.WriteByte('=')
				}
			}
			long.WriteString(QuoteForEnv(arg))
		}
	}
	if short.Len() == 0 && long.Len() == 0 {
		return ""
	}
	return "-" + short.String() + long.String()
}

// flagOn reports whether a no-argument switch goes into MAKEFLAGS.
func (o *Options) flagOn(id int) bool {
	switch id {
	case 'B':
		return o.AlwaysMake
	case 'd':
		return o.DebugAll
	case 'e':
		return o.EnvOverrides
	case 'i':
		return o.IgnoreErrors
	case 'k':
		return o.KeepGoing
	case 'L':
		return o.CheckSymlinks
	case 'n':
		return o.DryRun
	case 'p':
		return o.PrintDataBase
	case 'q':
		return o.Question
	case 'r':
		return o.NoBuiltinRules
	case 'R':
		return o.NoBuiltinVars
	case 's':
		return o.Silent
	case 't':
		return o.Touch
	case 'w':
		return o.ShouldPrintDirectory()
	case idTrace:
		return o.Trace
	case idNoPrintDirectory:
		return o.PrintDirectory == TriOff
	case idWarnUndefined:
		return o.WarnUndefined
	}
	return false // -S and --no-silent: off is the default, never written
}

// switchArgs returns the arguments MAKEFLAGS repeats for a switch that
// takes one; "" stands for an omitted optional argument.
func (o *Options) switchArgs(id int) []string {
	switch id {
	case 'I':
		return o.IncludeDirs
	case 'j':
		switch {
		case !o.JobsGiven:
			return nil
		case o.Jobs == 0:
			return []string{""}
		}
		return []string{strconv.Itoa(o.Jobs)}
	case 'l':
		if o.LoadAverage == -1 {
			return nil
		}
		return []string{formatG(o.LoadAverage)}
	case 'O':
		if o.OutputSync == "" {
			return nil
		}
		return []string{string(o.OutputSync)}
	case idDebug:
		return o.DebugSpecs
	case idJobserverAuth:
		if o.JobserverAuth == "" {
			return nil
		}
		return []string{o.JobserverAuth}
	case idSyncMutex:
		if o.SyncMutex == "" {
			return nil
		}
		return []string{o.SyncMutex}
	}
	return nil
}

// formatG is C's printf("%g").
func formatG(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	s := strconv.FormatFloat(f, 'g', 6, 64)
	// Go writes exponents as "e+07" like C, but drops no zeros from a
	// mantissa it prints in full; C's %g strips trailing zeros.
	mant, exp, hasExp := strings.Cut(s, "e")
	if strings.Contains(mant, ".") {
		mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
	}
	if !hasExp {
		return mant
	}
	if len(exp) == 2 { // "+7" -> "+07"
		exp = exp[:1] + "0" + exp[1:]
	}
	return mant + "e" + exp
}

// ChildEnv returns the variables make 4.3 puts in the environment of a
// recipe at phase ph because of its command line, as "NAME=value":
// MAKEFLAGS and MFLAGS (even when empty), MAKELEVEL (MakeLevel+1), and
// MAKEOVERRIDES (verbatim "${-*-command-variables-*-}") when there are
// command-line variables. The rest of the environment, including the
// command-line variables themselves (exported by default) and
// GNUMAKEFLAGS (exported empty if it was set), is the evaluator's.
func (o *Options) ChildEnv(ph Phase, lookup VarLookup) []string {
	env := []string{
		"MAKEFLAGS=" + o.MakeFlags(ph, lookup),
		"MFLAGS=" + o.MFlags(ph),
		"MAKELEVEL=" + strconv.Itoa(o.MakeLevel+1),
	}
	if len(o.varOrder) > 0 {
		env = append(env, "MAKEOVERRIDES=${-*-command-variables-*-}")
	}
	return env
}

package cli

import (
	"errors"
	"fmt"
	"math"
	"path"
	"strconv"
	"strings"
)

// Exit is returned by Parse when make would stop while reading its
// arguments: an error (Code 2), or -h/-v (Code 0). The caller writes
// Stdout to standard output, then Stderr to standard error, and exits
// with Code. The Options returned next to it are filled as far as
// parsing got.
type Exit struct {
	Code   int
	Stdout string
	Stderr string
}

func (e *Exit) Error() string {
	if e.Stderr != "" {
		return strings.TrimRight(e.Stderr, "\n")
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

// Parse reads dmake's arguments as GNU make 4.3 does. args is the whole
// vector, args[0] being the program as invoked; env looks up environment
// variables (nil means an empty environment).
//
// Order, as in make: GNUMAKEFLAGS then MAKEFLAGS from env are decoded
// with MAKEFLAGS rules (see ApplyMakeFlags), then args; later switches
// override earlier ones and lists accumulate. Then -R implies -r, the
// --debug specs and the -O type are checked, and DMAKE_CLUSTER is read if
// --cluster was not given.
//
// The error is nil or an *Exit: for any invalid switch (glibc's and
// make's messages, then the usage text, on stderr, Code 2); for -h (usage
// on stdout, Code 0); for -v (version on stdout, Code 0); for an empty
// variable name, an unknown --debug level or -O type (make's "*** ...
// Stop." line, Code 2). With -v the version text also precedes any usage
// or fatal error, as in make.
func Parse(args []string, env func(string) string) (*Options, error) {
	if env == nil {
		env = func(string) string { return "" }
	}
	o := newOptions()
	o.Argv0 = "dmake"
	if len(args) > 0 && args[0] != "" {
		o.Argv0 = args[0]
	} else {
		args = append([]string{o.Argv0}, args[min(len(args), 1):]...)
	}
	o.Program = path.Base(o.Argv0)
	o.MakeLevel = parseMakeLevel(env("MAKELEVEL"))
	for _, name := range []string{"GNUMAKEFLAGS", "MAKEFLAGS"} {
		if err := o.applyEnv(expandRefs(env(name), env, 0), false); err != nil {
			return o, o.withWarnings(err, 0)
		}
	}
	d := &decoder{o: o}
	if err := d.decode(args); err != nil {
		return o, o.withWarnings(err, 0)
	}
	if d.bad || o.ShowHelp {
		return o, o.withWarnings(o.usageExit(d.lines, d.bad), 0)
	}
	if o.NoBuiltinVars {
		o.NoBuiltinRules = true // only here: not when a makefile adds -R
	}
	if err := o.finish(); err != nil {
		return o, o.withWarnings(err, 0)
	}
	if len(o.Cluster.Addrs) == 0 {
		if v := env("DMAKE_CLUSTER"); v != "" {
			o.Cluster.Addrs = splitAddrs(v)
			o.Cluster.FromEnv = len(o.Cluster.Addrs) > 0
		}
	}
	if o.ShowVersion {
		return o, &Exit{Stdout: o.VersionText()}
	}
	return o, nil
}

// ApplyMakeFlags decodes the MAKEFLAGS variable again after the
// makefiles are read, as make 4.3 does, so that "MAKEFLAGS += -k" in a
// makefile takes effect. value is the variable's expanded value ("$$"
// already "$"). The rules are those for MAKEFLAGS in the environment
// (see Parse) with two differences make has at that point: --eval
// switches are neither kept nor evaluated again, and the variable
// definitions found are returned (and appended to o.Variables) for the
// caller to define with origin "command line", but they are not added to
// what MakeFlags writes. The error is an *Exit for a fatal problem or
// for -v; make's non-fatal complaints go to o.Warnings.
func (o *Options) ApplyMakeFlags(value string) ([]Variable, error) {
	n, nv := len(o.Warnings), len(o.Variables)
	if err := o.applyEnv(value, true); err != nil {
		return nil, o.withWarnings(err, n)
	}
	if err := o.finish(); err != nil {
		return nil, o.withWarnings(err, n)
	}
	if o.ShowVersion {
		return nil, &Exit{Stdout: o.VersionText()}
	}
	return o.Variables[nv:], nil
}

// applyEnv decodes a MAKEFLAGS value with make's decode_env_switches.
// late is for the second reading, after the makefiles.
func (o *Options) applyEnv(value string, late bool) error {
	words := splitMakeFlags(value)
	if len(words) == 0 {
		return nil
	}
	if !strings.HasPrefix(words[0], "-") && !strings.Contains(words[0], "=") {
		words[0] = "-" + words[0]
	}
	d := &decoder{o: o, env: true, late: late}
	err := d.decode(append([]string{o.Argv0}, words...))
	o.Warnings = append(o.Warnings, d.lines...)
	return err
}

// splitMakeFlags splits a MAKEFLAGS value into words as make's
// decode_env_switches does.
func splitMakeFlags(s string) []string {
	s = strings.TrimLeft(s, " \t")
	if s == "" {
		return nil
	}
	var words []string
	var w strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			w.WriteByte(s[i])
		case c == ' ' || c == '\t':
			words = append(words, w.String())
			w.Reset()
			for i+1 < len(s) && (s[i+1] == ' ' || s[i+1] == '\t') {
				i++
			}
		default:
			w.WriteByte(c)
		}
	}
	return append(words, w.String())
}

// decoder applies one argument vector to Options: make's decode_switches.
type decoder struct {
	o     *Options
	env   bool     // the vector came from MAKEFLAGS
	late  bool     // ... read again after the makefiles
	bad   bool     // some switch was invalid
	lines []string // messages so far: glibc's and make's, in order
}

func (d *decoder) decode(args []string) error {
	g := newGetopt(args, d.env, &d.lines)
	for {
		ev, ok := g.next()
		if !ok {
			break
		}
		switch {
		case ev.bad:
			d.bad = true
		case ev.word:
			if err := d.word(ev.arg); err != nil {
				return err
			}
		default:
			d.apply(g, ev)
		}
	}
	for _, w := range g.remaining() {
		if err := d.word(w); err != nil {
			return err
		}
	}
	return nil
}

// word handles a non-option word: a variable definition, or a goal.
func (d *decoder) word(w string) error {
	if w == "-" {
		return nil // make ignores a plain "-"
	}
	v, ok := ParseVariable(w)
	if !ok {
		switch {
		case d.env:
		case w == "":
			return d.o.fatal(d.lines, "empty string invalid as file name")
		default:
			d.o.Goals = append(d.o.Goals, w)
		}
		return nil
	}
	if v.Name == "" {
		if d.env { // applyEnv moves d.lines to Warnings
			return d.o.fatal(nil, "empty variable name")
		}
		return d.o.fatal(d.lines, "empty variable name")
	}
	v.FromMakeFlags = d.env
	d.o.Variables = append(d.o.Variables, v)
	if d.late {
		return nil // -*-command-variables-*- is already defined by then
	}
	for _, n := range d.o.varOrder {
		if n == v.Name {
			return nil
		}
	}
	d.o.varOrder = append(d.o.varOrder, v.Name)
	return nil
}

func (d *decoder) complain(format string, a ...any) {
	d.lines = append(d.lines, d.o.Program+": "+fmt.Sprintf(format, a...))
	d.bad = true
}

func (d *decoder) apply(g *getopt, ev event) {
	sw := ev.sw
	doit := !d.env || (sw.env && !sw.exactOnly)
	switch sw.kind {
	case kFlag, kFlagOff:
		if doit {
			d.o.setFlag(sw.id, sw.kind == kFlag)
		}
	case kString, kStrlist, kFilename:
		if !doit {
			return
		}
		arg := ev.arg
		if !ev.hasArg {
			arg = noArgValue(sw.id)
		} else if arg == "" {
			if sw.short() {
				d.complain("the '-%c' option requires a non-empty string argument", sw.id)
			} else {
				d.complain("the '--%s' option requires a non-empty string argument", sw.long)
			}
			return
		}
		if sw.id == 'E' && d.late {
			return
		}
		d.o.setString(sw.id, arg)
	case kPosInt:
		if !ev.hasArg && g.rest == "" && g.optind < len(g.args) && allDigits(g.args[g.optind]) {
			ev.arg, ev.hasArg = g.args[g.optind], true
			g.optind++
		}
		if !doit {
			return
		}
		n := 0 // -j alone: unlimited
		if ev.hasArg {
			n = atoi32(ev.arg)
			if n < 1 || !allDigits(ev.arg) {
				d.complain("the '-%c' option requires a positive integer argument", sw.id)
				return
			}
		}
		d.o.Jobs, d.o.JobsGiven = n, true
	case kFloat:
		if !ev.hasArg && g.rest == "" && g.optind < len(g.args) {
			if a := g.args[g.optind]; a != "" && (isDigit(a[0]) || a[0] == '.') {
				ev.arg, ev.hasArg = a, true
				g.optind++
			}
		}
		if doit {
			d.o.LoadAverage = -1
			if ev.hasArg {
				d.o.LoadAverage = atof(ev.arg)
			}
		}
	}
}

func noArgValue(id int) string {
	switch id {
	case 'O':
		return string(OutputSyncTarget)
	case idDebug:
		return "basic"
	}
	return ""
}

func (o *Options) setFlag(id int, on bool) {
	switch id {
	case 'B':
		o.AlwaysMake = on
	case 'd':
		o.DebugAll = on
	case 'e':
		o.EnvOverrides = on
	case 'h':
		o.ShowHelp = on
	case 'i':
		o.IgnoreErrors = on
	case 'k', 'S':
		o.KeepGoing = on
	case 'L':
		o.CheckSymlinks = on
	case 'n':
		o.DryRun = on
	case 'p':
		o.PrintDataBase = on
	case 'q':
		o.Question = on
	case 'r':
		o.NoBuiltinRules = on
	case 'R':
		o.NoBuiltinVars = on
	case 's', idNoSilent:
		o.Silent = on
	case 't':
		o.Touch = on
	case 'v':
		o.ShowVersion = on
	case 'w':
		if o.PrintDirectory != TriOff {
			o.PrintDirectory = TriOn
		}
	case idNoPrintDirectory:
		o.PrintDirectory = TriOff
	case idTrace:
		o.Trace = on
	case idWarnUndefined:
		o.WarnUndefined = on
	case idDetach:
		o.Cluster.Detach = on
	case idNoCluster:
		o.Cluster.NoCluster = on
	}
}

func (o *Options) setString(id int, arg string) {
	switch id {
	case 'C':
		o.Dirs = append(o.Dirs, arg)
	case 'f':
		o.Makefiles = append(o.Makefiles, arg)
	case 'I':
		o.IncludeDirs = append(o.IncludeDirs, arg)
	case 'o':
		o.OldFiles = append(o.OldFiles, arg)
	case 'W':
		o.NewFiles = append(o.NewFiles, arg)
	case 'E':
		o.Evals = append(o.Evals, arg)
	case 'O':
		o.OutputSync = OutputSync(arg)
	case idDebug:
		o.DebugSpecs = append(o.DebugSpecs, arg)
	case idJobserverAuth, idJobserverFds:
		o.JobserverAuth = arg
	case idSyncMutex:
		o.SyncMutex = arg
	case idCluster:
		o.Cluster.Addrs = append(o.Cluster.Addrs, splitAddrs(arg)...)
	}
}

// finish does what make does once all switches are read.
func (o *Options) finish() error {
	o.Debug = 0
	if o.DebugAll {
		o.Debug = DebugAllFlags
	}
	for _, spec := range o.DebugSpecs {
		lvl, bad, ok := decodeDebug(o.Debug, spec)
		if !ok {
			return o.fatal(nil, fmt.Sprintf("unknown debug level specification '%s'", bad))
		}
		o.Debug = lvl
	}
	if o.Debug == 0 {
		o.DebugAll = false // "-d --debug=n": make forgets the -d too
	}
	switch o.OutputSync {
	case "", OutputSyncNone, OutputSyncLine, OutputSyncTarget, OutputSyncRecurse:
	default:
		return o.fatal(nil, fmt.Sprintf("unknown output-sync type '%s'", string(o.OutputSync)))
	}
	return nil
}

// decodeDebug folds one --debug argument into lvl. Only the first letter
// of each word counts, case-insensitively; words end at ',' or ' '. On a
// bad word it returns the rest of the argument from there, as make
// prints it.
func decodeDebug(lvl DebugFlags, spec string) (DebugFlags, string, bool) {
	for p := 0; p < len(spec); {
		switch spec[p] | 0x20 {
		case 'a':
			lvl |= DebugAllFlags
		case 'b':
			lvl |= DebugBasic
		case 'i':
			lvl |= DebugBasic | DebugImplicit
		case 'j':
			lvl |= DebugJobs
		case 'm':
			lvl |= DebugBasic | DebugMakefiles
		case 'n':
			lvl = 0
		case 'v':
			lvl |= DebugBasic | DebugVerbose
		default:
			return lvl, spec[p:], false
		}
		for p++; p < len(spec); p++ {
			if spec[p] == ',' || spec[p] == ' ' {
				p++
				break
			}
		}
	}
	return lvl, "", true
}

func (o *Options) fatal(before []string, msg string) *Exit {
	var b strings.Builder
	for _, l := range before {
		b.WriteString(l + "\n")
	}
	fmt.Fprintf(&b, "%s: *** %s.  Stop.\n", o.Program, msg)
	e := &Exit{Code: 2, Stderr: b.String()}
	if o.ShowVersion {
		e.Stdout = o.VersionText()
	}
	return e
}

// withWarnings puts o.Warnings[from:] (printed by make before it
// stopped) in front of an *Exit's stderr.
func (o *Options) withWarnings(err error, from int) error {
	e, ok := err.(*Exit)
	if !ok || len(o.Warnings) <= from {
		return err
	}
	e.Stderr = strings.Join(o.Warnings[from:], "\n") + "\n" + e.Stderr
	return e
}

func (o *Options) usageExit(lines []string, bad bool) *Exit {
	var out strings.Builder
	if o.ShowVersion {
		out.WriteString(o.VersionText())
	}
	if !bad {
		out.WriteString(o.UsageText())
		return &Exit{Stdout: out.String()}
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	b.WriteString(o.UsageText())
	return &Exit{Code: 2, Stdout: out.String(), Stderr: b.String()}
}

func splitAddrs(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// parseMakeLevel reads MAKELEVEL as make does: atoi, but 0 when empty or
// starting with '-'.
func parseMakeLevel(s string) int {
	if s == "" || s[0] == '-' {
		return 0
	}
	return atoi32(s)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// atoi32 is C's atoi on glibc: leading blanks and a sign, digits up to the
// first non-digit, saturating at the limits of long, then cut to int.
func atoi32(s string) int {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var n uint64
	sat := false
	for i := 0; i < len(s) && isDigit(s[i]); i++ {
		if n > (math.MaxInt64-uint64(s[i]-'0'))/10 {
			sat = true
			continue
		}
		n = n*10 + uint64(s[i]-'0')
	}
	v := int64(n)
	switch {
	case sat && neg:
		v = math.MinInt64
	case sat:
		v = math.MaxInt64
	case neg:
		v = -v
	}
	return int(int32(v))
}

// atof is C's atof for the decimal forms: the longest prefix that is a
// number, 0 when there is none.
func atof(s string) float64 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	for end := len(s); end > 0; end-- {
		f, err := strconv.ParseFloat(s[:end], 64)
		if err == nil || errors.Is(err, strconv.ErrRange) {
			return f
		}
	}
	return 0
}

package cli

import (
	"fmt"
	"path"
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

// Error returns Stderr without its final newline, or "exit status N".
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
// Order, as in make: GNUMAKEFLAGS, then MAKEFLAGS, from env, then args;
// later switches override earlier ones and lists accumulate. Then -R
// implies -r, the --debug specs and the -O type are checked, and
// DMAKE_CLUSTER is read if --cluster was not given. MFLAGS is not read.
//
// An environment MAKEFLAGS is first expanded as make would ("$$" is "$",
// $(NAME) is the environment variable), then split into words at blanks,
// a backslash quoting the next character; a first word without a dash
// and without "=" gets one ("ks" is "-ks"). Switches make does not take
// from MAKEFLAGS (-C -f -o -W -h, and dmake's cluster flags) are skipped
// with their arguments; invalid switches are ignored silently, make's own
// complaints (a bad -j number, an empty argument) go to o.Warnings, and
// words that are not variable definitions are ignored.
//
// The error is nil or an *Exit: for any invalid switch (glibc's and
// make's messages, then the usage text, on stderr, Code 2); for -h (usage
// on stdout, Code 0); for -v (version on stdout, Code 0); for an empty
// variable name or goal, an unknown --debug level or -O type (make's
// "*** ... Stop." line, Code 2). With -v the version text also precedes
// any usage or fatal error, as in make. Exit.Stderr starts with the
// Warnings make printed before it stopped.
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
// (see Parse), without the expansion, and with two differences make has at that point: --eval
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

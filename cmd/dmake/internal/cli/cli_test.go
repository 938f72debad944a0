package cli

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func mustParse(t *testing.T, env map[string]string, args ...string) *Options {
	t.Helper()
	o, err := Parse(append([]string{"dmake"}, args...), envFunc(env))
	if err != nil {
		t.Fatalf("Parse(%q): %v", args, err)
	}
	return o
}

func TestParseFields(t *testing.T) {
	o := mustParse(t, nil, "-C", "a", "-Cb", "--directory=/c", "--directory", "d",
		"-f", "x.mk", "--file=y.mk", "--makefile", "z.mk",
		"-I", "i1", "--include-dir=i2", "-o", "old", "--assume-old=old2",
		"-W", "new", "--what-if=new2", "--new-file", "new3", "--assume-new=new4",
		"-E", "e1", "--eval", "e2", "-kij3", "-l", "2.5", "--trace", "g1", "V=1", "g2")
	want := &Options{
		Dirs:        []string{"a", "b", "/c", "d"},
		Makefiles:   []string{"x.mk", "y.mk", "z.mk"},
		IncludeDirs: []string{"i1", "i2"},
		OldFiles:    []string{"old", "old2"},
		NewFiles:    []string{"new", "new2", "new3", "new4"},
		Evals:       []string{"e1", "e2"},
		Goals:       []string{"g1", "g2"},
		Variables:   []Variable{{Name: "V", Op: "=", Value: "1"}},
	}
	got := &Options{Dirs: o.Dirs, Makefiles: o.Makefiles, IncludeDirs: o.IncludeDirs,
		OldFiles: o.OldFiles, NewFiles: o.NewFiles, Evals: o.Evals, Goals: o.Goals, Variables: o.Variables}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lists:\n got %+v\nwant %+v", got, want)
	}
	if !o.KeepGoing || !o.IgnoreErrors || o.Jobs != 3 || !o.JobsGiven || o.LoadAverage != 2.5 || !o.Trace {
		t.Errorf("flags: %+v", o)
	}
	if o.Program != "dmake" || o.Argv0 != "dmake" {
		t.Errorf("Program %q Argv0 %q", o.Program, o.Argv0)
	}
}

func TestParseDefaults(t *testing.T) {
	o := mustParse(t, nil)
	if o.Jobs != 1 || o.JobsGiven || o.LoadAverage >= 0 || o.PrintDirectory != TriDefault ||
		o.OutputSync != "" || o.Debug != 0 || o.Cluster.Enabled() || o.MakeLevel != 0 {
		t.Errorf("defaults: %+v", o)
	}
	if o.MakeFlags(PhaseRun, nil) != "" || o.MFlags(PhaseRun) != "" {
		t.Errorf("MAKEFLAGS %q MFLAGS %q", o.MakeFlags(PhaseRun, nil), o.MFlags(PhaseRun))
	}
	if o, _ := Parse(nil, nil); o.Program != "dmake" {
		t.Errorf("Parse(nil).Program = %q", o.Program)
	}
	if o, _ := Parse([]string{"/opt/bin/xmake", "-k"}, nil); o.Program != "xmake" || !o.KeepGoing {
		t.Errorf("Program = %q, KeepGoing %v", o.Program, o.KeepGoing)
	}
}

func TestJobsAndDebug(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		jobs  int
		goals []string
		debug DebugFlags
	}{
		{[]string{"-j"}, 0, nil, 0},
		{[]string{"-j", "foo"}, 0, []string{"foo"}, 0},
		{[]string{"-j", "8"}, 8, nil, 0},
		{[]string{"-j8", "9"}, 8, []string{"9"}, 0},
		{[]string{"--jobs", "5"}, 5, nil, 0},
		{[]string{"-d"}, 1, nil, DebugAllFlags},
		{[]string{"--debug"}, 1, nil, DebugBasic},
		{[]string{"--debug=v,j"}, 1, nil, DebugBasic | DebugVerbose | DebugJobs},
		{[]string{"--debug=Implicit", "--debug=m"}, 1, nil, DebugBasic | DebugImplicit | DebugMakefiles},
		{[]string{"-d", "--debug=n,j"}, 1, nil, DebugJobs},
		{[]string{"--debug", "v"}, 1, []string{"v"}, DebugBasic},
	} {
		o := mustParse(t, nil, tc.args...)
		if o.Jobs != tc.jobs || !reflect.DeepEqual(o.Goals, tc.goals) || o.Debug != tc.debug {
			t.Errorf("%q: Jobs %d Goals %q Debug %#x; want %d %q %#x", tc.args, o.Jobs, o.Goals, o.Debug, tc.jobs, tc.goals, tc.debug)
		}
	}
}

func TestPrintDirectory(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		level string
		want  bool
	}{
		{nil, "", false},
		{[]string{"-w"}, "", true},
		{[]string{"-C", "."}, "", true},
		{[]string{"-s", "-C", "."}, "", false},
		{[]string{"-s", "-w"}, "", true},
		{nil, "1", true},
		{[]string{"-s"}, "1", false},
		{[]string{"-w", "--no-print-directory"}, "1", false},
		{[]string{"--no-print-directory", "-w"}, "", false},
	} {
		o := mustParse(t, map[string]string{"MAKELEVEL": tc.level}, tc.args...)
		if got := o.ShouldPrintDirectory(); got != tc.want {
			t.Errorf("%q MAKELEVEL=%q: ShouldPrintDirectory %v, want %v", tc.args, tc.level, got, tc.want)
		}
	}
}

func TestCluster(t *testing.T) {
	env := map[string]string{"DMAKE_CLUSTER": "e1:7000, e2:7000"}
	for _, tc := range []struct {
		args    []string
		env     map[string]string
		want    Cluster
		enabled bool
	}{
		{nil, nil, Cluster{}, false},
		{nil, env, Cluster{Addrs: []string{"e1:7000", "e2:7000"}, FromEnv: true}, true},
		{[]string{"--cluster", "a:1,b:2", "--cluster=c:3,"}, env, Cluster{Addrs: []string{"a:1", "b:2", "c:3"}}, true},
		{[]string{"--no-cluster"}, env, Cluster{Addrs: []string{"e1:7000", "e2:7000"}, FromEnv: true, NoCluster: true}, false},
		{[]string{"--detach", "--cluster=a"}, nil, Cluster{Addrs: []string{"a"}, Detach: true}, true},
	} {
		o := mustParse(t, tc.env, tc.args...)
		if !reflect.DeepEqual(o.Cluster, tc.want) || o.Cluster.Enabled() != tc.enabled {
			t.Errorf("%q: Cluster %+v (enabled %v), want %+v (%v)", tc.args, o.Cluster, o.Cluster.Enabled(), tc.want, tc.enabled)
		}
		if strings.Contains(o.MakeFlags(PhaseRun, nil), "cluster") || strings.Contains(o.MakeFlags(PhaseRun, nil), "detach") {
			t.Errorf("%q: cluster flags leaked into MAKEFLAGS %q", tc.args, o.MakeFlags(PhaseRun, nil))
		}
	}
	// Cluster flags are not taken from MAKEFLAGS, and are never abbreviated.
	o := mustParse(t, map[string]string{"MAKEFLAGS": "k --cluster=x --detach"})
	if !o.KeepGoing || o.Cluster.Detach || len(o.Cluster.Addrs) != 0 {
		t.Errorf("MAKEFLAGS cluster flags applied: %+v", o.Cluster)
	}
	for _, tc := range []struct{ arg, msg string }{
		{"--clu=x", "dmake: unrecognized option '--clu=x'\n"},
		{"--det", "dmake: unrecognized option '--det'\n"},
		{"--cluster", "dmake: option '--cluster' requires an argument\n"},
		{"--cluster=", "dmake: the '--cluster' option requires a non-empty string argument\n"},
		{"--detach=1", "dmake: option '--detach' doesn't allow an argument\n"},
		{"--d", "dmake: option '--d' is ambiguous; possibilities: '--directory' '--debug' '--dry-run'\n"},
	} {
		_, err := Parse([]string{"dmake", tc.arg}, nil)
		var ex *Exit
		if !errors.As(err, &ex) || ex.Code != 2 || !strings.HasPrefix(ex.Stderr, tc.msg+"Usage: dmake [options]") {
			t.Errorf("%s: err %v", tc.arg, err)
		}
	}
	// An abbreviation make accepts stays make's.
	if o := mustParse(t, nil, "--c"); !o.CheckSymlinks {
		t.Errorf("--c is not --check-symlink-times")
	}
}

func TestParseVariable(t *testing.T) {
	for _, tc := range []struct {
		in string
		v  Variable
		ok bool
	}{
		{"X=1", Variable{Name: "X", Op: "=", Value: "1"}, true},
		{"X = 1 ", Variable{Name: "X", Op: "=", Value: "1 "}, true},
		{" X:=a b", Variable{Name: "X", Op: ":=", Value: "a b"}, true},
		{"X::=1", Variable{Name: "X", Op: "::=", Value: "1"}, true},
		{"X +=1", Variable{Name: "X", Op: "+=", Value: "1"}, true},
		{"X?=", Variable{Name: "X", Op: "?=", Value: ""}, true},
		{"X!=echo hi", Variable{Name: "X", Op: "!=", Value: "echo hi"}, true},
		{"$(a=b)=1", Variable{Name: "$(a=b)", Op: "=", Value: "1"}, true},
		{"${a:b}c=1", Variable{Name: "${a:b}c", Op: "=", Value: "1"}, true},
		{"X$$=1", Variable{Name: "X$$", Op: "=", Value: "1"}, true},
		{"=x", Variable{Name: "", Op: "=", Value: "x"}, true},
		{"X=a=b", Variable{Name: "X", Op: "=", Value: "a=b"}, true},
		{"a:b=c", Variable{}, false},
		{"a#b=c", Variable{}, false},
		{"A B=1", Variable{}, false},
		{"X$=1", Variable{}, false},
		{"X:::=1", Variable{}, false},
		{"X ? =1", Variable{}, false},
		{"X ", Variable{}, false},
		{"X$", Variable{}, false},
		{"goal", Variable{}, false},
		{"", Variable{}, false},
	} {
		v, ok := ParseVariable(tc.in)
		if ok != tc.ok || v != tc.v {
			t.Errorf("ParseVariable(%q) = %+v, %v; want %+v, %v", tc.in, v, ok, tc.v, tc.ok)
		}
	}
}

func TestMakeFlagsHelpers(t *testing.T) {
	if got := QuoteForEnv("a b\tc\\d$e"); got != "a\\ b\\\tc\\\\d$$e" {
		t.Errorf("QuoteForEnv = %q", got)
	}
	for f, want := range map[float64]string{2: "2", 2.5: "2.5", 1000: "1000", 1e7: "1e+07",
		0.1234567: "0.123457", 1e-5: "1e-05", 123456789: "1.23457e+08", 0: "0", -2: "-2"} {
		if got := formatG(f); got != want {
			t.Errorf("formatG(%v) = %q, want %q", f, got, want)
		}
	}
	if got := splitMakeFlags(`  k  -I a\ b\\ -- X=1\ 2 `); !reflect.DeepEqual(got, []string{"k", "-I", `a b\`, "--", "X=1 2", ""}) {
		t.Errorf("splitMakeFlags = %q", got)
	}
	env := envFunc(map[string]string{"A": "-k", "B": "$(A) x", "F": "s"})
	if got := expandRefs("$$$(B) ${A} $F$", env, 0); got != "$-k x -k s" {
		t.Errorf("expandRefs = %q", got)
	}
	o := mustParse(t, nil, "A=1", "B:=2", "A+=3", "C?=4", "C=5", "D!=echo x", "B+=6", "E+=7")
	if got := o.CommandVariables(nil); got != `E=7 D=echo\ x C=5 B:=2\ 6 A=1\ 3` {
		t.Errorf("CommandVariables(nil) = %q", got)
	}
	look := func(name string) (string, bool) { return "v$" + name, name != "B" }
	if got := o.CommandVariables(look); got != "E=v$$E D=v$$D C=v$$C B:=v$$B A=v$$A" {
		t.Errorf("CommandVariables(look) = %q", got)
	}
	o = mustParse(t, nil, "-k", "-E", "x=1", "X=1")
	if got := o.MakeFlagsValue(PhaseRun); got != "k $(-*-eval-flags-*-) -- $(MAKEOVERRIDES)" {
		t.Errorf("MakeFlagsValue = %q", got)
	}
	if got := o.MakeFlagsValue(PhaseParse); got != "k $(-*-eval-flags-*-)" {
		t.Errorf("MakeFlagsValue(PhaseParse) = %q", got)
	}
}

func TestApplyMakeFlags(t *testing.T) {
	o := mustParse(t, nil, "-k", "-E", "x=1", "X=1")
	vars, err := o.ApplyMakeFlags("s -j4 --no-print-directory -Oline -C /x --eval=z=3 -- Y=2")
	if err != nil {
		t.Fatal(err)
	}
	if !o.Silent || !o.KeepGoing || o.Jobs != 4 || o.PrintDirectory != TriOff || o.OutputSync != OutputSyncLine || len(o.Dirs) != 0 {
		t.Errorf("after ApplyMakeFlags: %+v", o)
	}
	if want := []Variable{{Name: "Y", Op: "=", Value: "2", FromMakeFlags: true}}; !reflect.DeepEqual(vars, want) {
		t.Errorf("vars = %+v, want %+v", vars, want)
	}
	if got := o.MakeFlags(PhaseRun, nil); got != "ks -j4 -Oline --no-print-directory --eval=x=1 -- X=1" {
		t.Errorf("MakeFlags = %q", got)
	}
	if _, err := o.ApplyMakeFlags("j0"); err != nil || o.Jobs != 4 ||
		o.Warnings[len(o.Warnings)-1] != "dmake: the '-j' option requires a positive integer argument" {
		t.Errorf("bad -j: err %v, Jobs %d, Warnings %q", err, o.Jobs, o.Warnings)
	}
	_, err = o.ApplyMakeFlags("--debug= --debug=q")
	var ex *Exit
	if !errors.As(err, &ex) || ex.Code != 2 || ex.Stderr != "dmake: the '--debug' option requires a non-empty string argument\n"+
		"dmake: *** unknown debug level specification 'q'.  Stop.\n" {
		t.Errorf("fatal: %#v", err)
	}
}

func TestTexts(t *testing.T) {
	o := mustParse(t, nil)
	u := o.UsageText()
	if !strings.HasPrefix(u, "Usage: dmake [options] [target] ...\nOptions:\n") ||
		!strings.HasSuffix(u, "\nThis program built for "+BuiltFor+"\nReport bugs to <"+BugReportURL+">\n") ||
		!strings.Contains(u, "  --cluster=ADDR[,ADDR...]") {
		t.Errorf("UsageText:\n%s", u)
	}
	v := o.VersionText()
	if !strings.HasPrefix(v, "dmake 0.1 (compatible with GNU Make 4.3)\nBuilt for ") {
		t.Errorf("VersionText:\n%s", v)
	}
	o = mustParse(t, nil, "-p")
	for _, l := range strings.SplitAfter(strings.TrimSuffix(o.VersionText(), "\n"), "\n") {
		if !strings.HasPrefix(l, "# ") {
			t.Errorf("-p version line %q lacks '# '", l)
		}
	}
	if got := hostTriple("amd64", "linux"); got != "x86_64-pc-linux-gnu" {
		t.Errorf("hostTriple = %q", got)
	}
	if got := hostTriple("arm64", "darwin"); got != "aarch64-apple-darwin" {
		t.Errorf("hostTriple = %q", got)
	}
}

// FuzzParse checks that no argument vector or MAKEFLAGS value panics, and
// that MAKEFLAGS written for a parsed command line reads back the same.
func FuzzParse(f *testing.F) {
	f.Add("-kj4\x00X=1\x00--debug=v\x00-Oline", "ks -- Y=$$$$")
	f.Add("--jo=3\x00-C\x00", "j0 --trace")
	f.Add("-l\x002.5\x00-I\x00a b\x00-E\x00x=\\ $", "")
	f.Fuzz(func(t *testing.T, argv, makeflags string) {
		args := append([]string{"dmake"}, strings.Split(argv, "\x00")...)
		o, err := Parse(args, envFunc(map[string]string{"MAKEFLAGS": makeflags}))
		if err != nil {
			return
		}
		mf := o.MakeFlags(PhaseRun, nil)
		r, err := Parse([]string{"dmake"}, envFunc(map[string]string{"MAKEFLAGS": mf}))
		if err != nil {
			t.Fatalf("MAKEFLAGS %q from %q does not read back: %v", mf, args, err)
		}
		if a, b := r.switchString(PhaseRun), o.switchString(PhaseRun); a != b {
			t.Fatalf("MAKEFLAGS %q: switches read back as %q, want %q", mf, a, b)
		}
		if a, b := r.EvalFlags(), o.EvalFlags(); a != b {
			t.Fatalf("MAKEFLAGS %q: evals read back as %q, want %q", mf, a, b)
		}
		// Each level reverses the variables' order, as make's does.
		names, back := o.CommandVariableNames(), r.CommandVariableNames()
		if len(names) != len(back) {
			t.Fatalf("MAKEFLAGS %q: variables %q read back as %q", mf, names, back)
		}
		ol, rl := o.LiteralLookup(), r.LiteralLookup()
		for i, n := range names {
			v1, r1 := ol(n)
			v2, r2 := rl(n)
			if back[len(back)-1-i] != n || v1 != v2 || r1 != r2 {
				t.Fatalf("MAKEFLAGS %q: variable %q = %q (%v) read back as %q (%v), order %q", mf, n, v1, r1, v2, r2, back)
			}
		}
	})
}

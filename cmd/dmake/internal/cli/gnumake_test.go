package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests run GNU make 4.3 (/usr/bin/make) with the same arguments and
// environment as Parse, and compare what it prints.

const gnuMake = "/usr/bin/make"

func needMake(t *testing.T) {
	t.Helper()
	out, err := exec.Command(gnuMake, "--version").Output()
	if err != nil || !bytes.HasPrefix(out, []byte("GNU Make 4.3\n")) {
		t.Skip("GNU make 4.3 not at " + gnuMake)
	}
}

type makeRun struct {
	stdout, stderr string
	code           int
}

// runMake runs GNU make in dir with exactly env (plus PATH).
func runMake(t *testing.T, dir string, args []string, env map[string]string) makeRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gnuMake, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := makeRun{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run make %q: %v", args, err)
	}
	return r
}

var gnuText struct {
	once           sync.Once
	usage, version string
}

// gnuTexts returns make's own --help and --version outputs.
func gnuTexts(t *testing.T) (usage, version string) {
	gnuText.once.Do(func() {
		u, _ := exec.Command(gnuMake, "--help").Output()
		v, _ := exec.Command(gnuMake, "--version").Output()
		gnuText.usage, gnuText.version = string(u), string(v)
	})
	return gnuText.usage, gnuText.version
}

func envFunc(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// probe prints MAKEFLAGS while reading, while running the goal, and MFLAGS.
const probe = `$(info parse:[$(MAKEFLAGS)])
.PHONY: all
all:;@:$(info run:[$(MAKEFLAGS)])$(info mflags:[$(MFLAGS)])
`

var jobserverRE = regexp.MustCompile(`--jobserver-auth=([^\s\]]+)`)

func line(out, prefix string) (string, bool) {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix+":[") && strings.HasSuffix(l, "]") {
			return l[len(prefix)+2 : len(l)-1], true
		}
	}
	return "", false
}

func TestMakeFlagsAgainstGNUMake(t *testing.T) {
	needMake(t)
	cases := []struct {
		args []string
		env  map[string]string
	}{
		{args: nil},
		{args: []string{"-k"}},
		{args: []string{"-k", "-s", "-j2", "X=1"}},
		{args: []string{"-ks"}},
		{args: []string{"-kj4"}},
		{args: []string{"-sj"}},
		{args: []string{"-j"}},
		{args: []string{"-j", "4"}},
		{args: []string{"--jobs=3"}},
		{args: []string{"--jobs", "3"}},
		{args: []string{"-j1"}},
		{args: []string{"-j1", "-j3"}},
		{args: []string{"-j3", "-j"}},
		{args: []string{"-e", "-B", "-i", "-L", "-r"}},
		{args: []string{"-R"}},
		{args: []string{"-n"}},
		{args: []string{"-w"}},
		{args: []string{"-s", "-w"}},
		{args: []string{"--no-print-directory"}},
		{args: []string{"-w", "--no-print-directory"}},
		{args: []string{"--no-print-directory", "-w"}},
		{args: []string{"--trace", "--warn-undefined-variables"}},
		{args: []string{"--debug"}},
		{args: []string{"--debug=j", "--debug=n"}},
		{args: []string{"-d", "--debug=n"}},
		{args: []string{"-O"}},
		{args: []string{"-Oline"}},
		{args: []string{"--output-sync=recurse"}},
		{args: []string{"-Onone"}},
		{args: []string{"-l"}},
		{args: []string{"-l2"}},
		{args: []string{"-l", "2.5"}},
		{args: []string{"-l", "1e3"}},
		{args: []string{"-l", ".5"}},
		{args: []string{"-lfoo"}},
		{args: []string{"--max-load=0.1234567"}},
		{args: []string{"--load-average=12345678"}},
		{args: []string{"-I", "/tmp", "-I/usr", "--include-dir=a b"}},
		{args: []string{"-o", "foo", "-W", "bar", "--assume-new=x"}},
		{args: []string{"-E", "x=1 $(y)", "--eval=z=2"}},
		{args: []string{"X=a b", "Y=$$y", `Z=a\b`, "W=a\tb"}},
		{args: []string{"A=1", "B=2", "C=3", "A=4"}},
		{args: []string{"X:=1", "Y::=2", "Z?=3", "U+=4", "V= 5 "}},
		{args: []string{"-b", "-m", "--no-silent", "-S"}},
		{args: []string{"-k", "-S"}},
		{args: []string{"-s", "--no-silent", "-k"}},
		{args: []string{"-s", "-C", "."}},
		{args: []string{"-C", "."}},
		{args: []string{"-kC", "."}},
		{args: []string{"--", "X=1"}},
		{args: []string{"-", "X=1"}},
		{args: []string{"--sync-mutex=a", "--sync-mutex=b"}},
		{args: []string{"--just-print", "--recon", "--dry-run", "--quiet", "--stop", "--ignore-err"}},
		{args: []string{"--environment-overrides", "--keep-going", "--check", "--no-builtin-r", "--no-builtin-v"}},
		{args: []string{"-kj2", "--trace", "-I", "x", "-Oline", "-l3", "A=1", "--eval=z=", "-s", "-W", "a", "-o", "b", "--debug=b", "--debug=j"}},
		{args: []string{"-rRLB"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "ks"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "ks -j2"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": " -j2"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "k -- X=1"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": " -- X=$$$$y"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "X=1 k"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "k foo"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "z"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "trace"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "--trace"}},
		{args: []string{"-S"}, env: map[string]string{"MAKEFLAGS": "k"}},
		{args: []string{"--no-silent"}, env: map[string]string{"MAKEFLAGS": "s"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "-C /tmp -f /nonexistent -o x -W y"}},
		{args: []string{"-I/y"}, env: map[string]string{"MAKEFLAGS": "-l2 -I/x"}},
		{args: []string{"B=2"}, env: map[string]string{"MAKEFLAGS": "-- A=1"}},
		{args: []string{"A=2"}, env: map[string]string{"MAKEFLAGS": "-- A=1 B=1"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": `X=a\ b`}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "j"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "j3"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "-j x"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "j0"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "--debug="}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "--jo=3 -k"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "e -Oline"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "--eval=x=1 k"}},
		{args: []string{"-E", "y=2"}, env: map[string]string{"MAKEFLAGS": "-Ex=1\\ z"}},
		{args: []string{"-C", "."}, env: map[string]string{"MAKEFLAGS": "w", "MAKELEVEL": "1"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "s", "MAKELEVEL": "1"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "Bdeik -- A=1\\ 2 B:=$$$$x C=$$$$y"}},
		{args: []string{"X:=$$a", "Y::=a$$$$b", "Z=1", "Z+=$$c", "W:=1", "W+=$$d"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "k $(EXTRA)", "EXTRA": "-s"}},
		{args: []string{"-s"}, env: map[string]string{"GNUMAKEFLAGS": "k"}},
		{args: nil, env: map[string]string{"GNUMAKEFLAGS": "X=1", "MAKEFLAGS": "Y=2"}},
		{args: nil, env: map[string]string{"MFLAGS": "-k"}},
		{args: nil, env: map[string]string{"MAKELEVEL": "2"}},
		{args: []string{"-s"}, env: map[string]string{"MAKELEVEL": "2"}},
		{args: nil, env: map[string]string{"MAKELEVEL": "-1"}},
		{args: nil, env: map[string]string{"MAKELEVEL": "3x"}},
	}
	for _, tc := range cases {
		name := strings.Join(tc.args, " ")
		if len(tc.env) > 0 {
			name += " env" + strings.ReplaceAll(strings.TrimPrefix(filepathSafe(tc.env), "map"), " ", ",")
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			mk := filepath.Join(dir, "Makefile")
			if err := os.WriteFile(mk, []byte(probe), 0o644); err != nil {
				t.Fatal(err)
			}
			got := runMake(t, dir, append([]string{"-f", mk}, tc.args...), tc.env)
			o, err := Parse(append([]string{gnuMake, "-f", mk}, tc.args...), envFunc(tc.env))
			if err != nil {
				t.Fatalf("Parse: %v (make: %q, exit %d)", err, got.stderr, got.code)
			}
			if m := jobserverRE.FindStringSubmatch(got.stdout); m != nil {
				o.JobserverAuth = m[1]
			}
			wantParse, ok := line(got.stdout, "parse")
			if !ok {
				t.Fatalf("make printed no parse line:\n%s%s", got.stdout, got.stderr)
			}
			if g := o.MakeFlags(PhaseParse, nil); g != wantParse {
				t.Errorf("MakeFlags(PhaseParse) = %q, make has %q", g, wantParse)
			}
			if want, ok := line(got.stdout, "run"); ok {
				if g := o.MakeFlags(PhaseRun, nil); g != want {
					t.Errorf("MakeFlags(PhaseRun) = %q, make has %q", g, want)
				}
			} else if !o.Question && !o.Touch {
				t.Errorf("make printed no run line:\n%s%s", got.stdout, got.stderr)
			}
			if want, ok := line(got.stdout, "mflags"); ok {
				if g := o.MFlags(PhaseRun); g != want {
					t.Errorf("MFlags(PhaseRun) = %q, make has %q", g, want)
				}
			}
			var warn string
			for _, w := range o.Warnings {
				warn += w + "\n"
			}
			if got.stderr != warn {
				t.Errorf("Warnings = %q, make's stderr %q", warn, got.stderr)
			}
		})
	}
}

func filepathSafe(m map[string]string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	return "[" + strings.Join(parts, ";") + "]"
}

// TestRemakeMakeFlagsAgainstGNUMake checks PhaseRemake: the recipe that
// remakes an included makefile sees MAKEFLAGS without -n, -q and -t.
func TestRemakeMakeFlagsAgainstGNUMake(t *testing.T) {
	needMake(t)
	const mkText = `include inc.mk
inc.mk:;@:$(info remake:[$(MAKEFLAGS)])$(file >$@,)
.PHONY: all
all:;@:
`
	for _, args := range [][]string{
		{"-n", "-k", "X=1"},
		{"-t", "-j3", "--trace"},
		{"-q", "-s", "-I", "d"},
		{"-nqt"},
		{"-e", "-E", "a=1"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "Makefile"), []byte(mkText), 0o644); err != nil {
				t.Fatal(err)
			}
			got := runMake(t, dir, args, nil)
			want, ok := line(got.stdout, "remake")
			if !ok {
				t.Fatalf("no remake line:\n%s%s", got.stdout, got.stderr)
			}
			o, err := Parse(append([]string{gnuMake}, args...), nil)
			if err != nil {
				t.Fatal(err)
			}
			if m := jobserverRE.FindStringSubmatch(want); m != nil {
				o.JobserverAuth = m[1]
			}
			if g := o.MakeFlags(PhaseRemake, nil); g != want {
				t.Errorf("MakeFlags(PhaseRemake) = %q, make has %q", g, want)
			}
		})
	}
}

// TestMakefileSetsMakeFlagsAgainstGNUMake checks ApplyMakeFlags: a
// makefile that appends to MAKEFLAGS changes the switches, as make reads
// MAKEFLAGS again after the makefiles.
func TestMakefileSetsMakeFlagsAgainstGNUMake(t *testing.T) {
	needMake(t)
	for _, tc := range []struct {
		args  []string
		added string
	}{
		{[]string{"-E", "x=1", "X=1", "-j2"}, "-k Y=2 --eval=z=3 -Iq"},
		{[]string{"X=1"}, "-s"},
		{nil, "--no-print-directory -Oline --trace"},
		{[]string{"-k"}, "-S -j -l3"},
		{[]string{"-s"}, "--no-silent -R"},
	} {
		t.Run(strings.Join(tc.args, " ")+" += "+tc.added, func(t *testing.T) {
			dir := t.TempDir()
			mk := filepath.Join(dir, "Makefile")
			text := "MAKEFLAGS += " + tc.added + "\n" + probe
			if err := os.WriteFile(mk, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			got := runMake(t, dir, append([]string{"-f", mk}, tc.args...), nil)
			want, ok := line(got.stdout, "run")
			if !ok {
				t.Fatalf("no run line:\n%s%s", got.stdout, got.stderr)
			}
			o, err := Parse(append([]string{gnuMake, "-f", mk}, tc.args...), nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := o.ApplyMakeFlags(o.MakeFlags(PhaseParse, nil) + " " + tc.added); err != nil {
				t.Fatal(err)
			}
			if m := jobserverRE.FindStringSubmatch(want); m != nil {
				o.JobserverAuth = m[1]
			}
			if g := o.MakeFlags(PhaseRun, nil); g != want {
				t.Errorf("MakeFlags(PhaseRun) = %q, make has %q", g, want)
			}
		})
	}
}

func TestChildEnvAgainstGNUMake(t *testing.T) {
	needMake(t)
	const mkText = "all:;@env\n"
	for _, tc := range []struct {
		args []string
		env  map[string]string
	}{
		{nil, nil},
		{[]string{"-k", "X=a b", "-j2"}, nil},
		{[]string{"-s"}, map[string]string{"MAKELEVEL": "4", "MAKEFLAGS": "-- Y=$$$$"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			dir := t.TempDir()
			mk := filepath.Join(dir, "Makefile")
			if err := os.WriteFile(mk, []byte(mkText), 0o644); err != nil {
				t.Fatal(err)
			}
			got := runMake(t, dir, append([]string{"-f", mk}, tc.args...), tc.env)
			o, err := Parse(append([]string{gnuMake, "-f", mk}, tc.args...), envFunc(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			if m := jobserverRE.FindStringSubmatch(got.stdout); m != nil {
				o.JobserverAuth = m[1]
			}
			var want []string
			for _, l := range strings.Split(got.stdout, "\n") {
				for _, k := range []string{"MAKEFLAGS=", "MFLAGS=", "MAKELEVEL=", "MAKEOVERRIDES="} {
					if strings.HasPrefix(l, k) {
						want = append(want, l)
					}
				}
			}
			gotEnv := o.ChildEnv(PhaseRun, nil)
			sort.Strings(want)
			sort.Strings(gotEnv)
			if !reflect.DeepEqual(gotEnv, want) {
				t.Errorf("ChildEnv = %q\nmake's recipe has %q", gotEnv, want)
			}
		})
	}
}

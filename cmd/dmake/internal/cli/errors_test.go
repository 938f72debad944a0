package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExitAgainstGNUMake runs argument vectors on which make stops while
// reading its arguments, and compares stdout, stderr and exit status.
// make's own usage and version texts are replaced by dmake's in what make
// printed; everything else must match byte for byte.
func TestExitAgainstGNUMake(t *testing.T) {
	needMake(t)
	gnuUsage, gnuVersion := gnuTexts(t)
	cases := []struct {
		args []string
		env  map[string]string
	}{
		{args: []string{"-z"}},
		{args: []string{"--foo"}},
		{args: []string{"--foo=bar"}},
		{args: []string{"-C"}},
		{args: []string{"--directory"}},
		{args: []string{"--keep-going=1"}},
		{args: []string{"--keep=1"}},
		{args: []string{"--jo=4"}},
		{args: []string{"--jo"}},
		{args: []string{"--q"}},
		{args: []string{"--ma=x"}},
		{args: []string{"--n"}},
		{args: []string{"--no-"}},
		{args: []string{"--ass=x"}},
		{args: []string{"--s"}},
		{args: []string{"--d"}},
		{args: []string{"--j"}},
		{args: []string{"--=x"}},
		{args: []string{"--version=1"}},
		{args: []string{"-j0"}},
		{args: []string{"-j", "0"}},
		{args: []string{"-j", ""}},
		{args: []string{"-jx"}},
		{args: []string{"-jk"}},
		{args: []string{"-j", "-3"}},
		{args: []string{"--jobs=0"}},
		{args: []string{"--jobs=x"}},
		{args: []string{"--jobs="}},
		{args: []string{"-j99999999999999999999"}},
		{args: []string{"-Ofoo"}},
		{args: []string{"--output-sync=bad"}},
		{args: []string{"--output-sync="}},
		{args: []string{"-Ofoo", "-Oline", "-z"}},
		{args: []string{"--debug=x"}},
		{args: []string{"--debug=a,x"}},
		{args: []string{"--debug=xy,a"}},
		{args: []string{"--debug= b"}},
		{args: []string{"--debug=b,,v"}},
		{args: []string{"--debug="}},
		{args: []string{"-Ofoo", "--debug=x"}},
		{args: []string{"-h", "-z"}},
		{args: []string{"-z", "-h"}},
		{args: []string{"-zq"}},
		{args: []string{"-kzq"}},
		{args: []string{"-E"}},
		{args: []string{"-C", ""}},
		{args: []string{"--directory="}},
		{args: []string{"-f"}},
		{args: []string{"-f", ""}},
		{args: []string{"-I", ""}},
		{args: []string{"-W", ""}},
		{args: []string{"-q", "-z", "--foo", "-C"}},
		{args: []string{"-h"}},
		{args: []string{"--help"}},
		{args: []string{"--he", "all"}},
		{args: []string{"-h", "-Ofoo"}},
		{args: []string{"-v"}},
		{args: []string{"--version"}},
		{args: []string{"-v", "all"}},
		{args: []string{"--v"}},
		{args: []string{"-v", "-h"}},
		{args: []string{"-v", "-z"}},
		{args: []string{"-v", "--debug=x"}},
		{args: []string{"-v", "-Ofoo"}},
		{args: []string{"-v", "-j0"}},
		{args: []string{"=foo"}},
		{args: []string{""}},
		{args: []string{"", "-z"}},
		{args: []string{"-z", ""}},
		{args: []string{"-k", "--", ""}},
		{args: []string{"-\xc3\xa9"}},
		{args: []string{"-\xff"}},
		{args: []string{" =foo"}},
		{args: []string{"-z", "=foo"}},
		{args: []string{"-k", "--", "=foo"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "v"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "--debug=x"}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "k -Ofoo"}},
		{args: []string{"-z"}, env: map[string]string{"MAKEFLAGS": "j0"}},
		{args: []string{"--debug=x"}, env: map[string]string{"MAKEFLAGS": "--debug="}},
		{args: nil, env: map[string]string{"MAKEFLAGS": "j0 -- =x"}},
	}
	for _, tc := range cases {
		name := strings.Join(tc.args, " ")
		if len(tc.env) > 0 {
			name += " env" + filepathSafe(tc.env)
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			mk := filepath.Join(dir, "Makefile")
			if err := os.WriteFile(mk, []byte(probe), 0o644); err != nil {
				t.Fatal(err)
			}
			got := runMake(t, dir, append([]string{"-f", mk}, tc.args...), tc.env)
			o, err := Parse(append([]string{gnuMake, "-f", mk}, tc.args...), envFunc(tc.env))
			var ex *Exit
			if !errors.As(err, &ex) {
				t.Fatalf("Parse: err = %v, want *Exit; make: exit %d, %q", err, got.code, got.stderr)
			}
			fix := func(s string) string {
				s = strings.ReplaceAll(s, gnuUsage, o.UsageText())
				return strings.ReplaceAll(s, gnuVersion, o.VersionText())
			}
			if ex.Code != got.code {
				t.Errorf("Code = %d, make exits %d", ex.Code, got.code)
			}
			if want := fix(got.stdout); ex.Stdout != want {
				t.Errorf("Stdout:\n%s\nwant (make's, texts replaced):\n%s", ex.Stdout, want)
			}
			if want := fix(got.stderr); ex.Stderr != want {
				t.Errorf("Stderr:\n%q\nwant (make's, texts replaced):\n%q", ex.Stderr, want)
			}
		})
	}
}

// TestGoalsAndVariablesAgainstGNUMake compares Goals with make's
// $(MAKECMDGOALS) and the command-line variables with make's own
// -*-command-variables-*-.
func TestGoalsAndVariablesAgainstGNUMake(t *testing.T) {
	needMake(t)
	const mkText = `$(info goals:[$(MAKECMDGOALS)])
$(info vars:[$(value -*-command-variables-*-)])
%:;@:
`
	for _, args := range [][]string{
		{"a", "b", "a"},
		{"-k", "x", "-s", "y", "X=1", "z"},
		{"-j", "foo", "-j3", "bar"},
		{"-l", "2x", "goal", "-l", "x"},
		{"-O", "line"},
		{"--debug", "v"},
		{"--", "-k", "X=1", "-", "--"},
		{"-", "a"},
		{"a:b=c", "a#b=c", "A B=1", "X$=1", "X $=1", "X:::=1", "X ? =1"},
		{"X =1", " Y=2", "Z = 3 ", "U:= a", "V :=b", "W\t=1", `Q\=1`, "R+=1", "S?=1", "T::=1"},
		{"$(A)B=1", "${C}=2", "X$$=3"},
		{"A=1", "B=2", "A=3"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			dir := t.TempDir()
			mk := filepath.Join(dir, "Makefile")
			if err := os.WriteFile(mk, []byte(mkText), 0o644); err != nil {
				t.Fatal(err)
			}
			got := runMake(t, dir, append([]string{"-f", mk}, args...), nil)
			o, err := Parse(append([]string{gnuMake, "-f", mk}, args...), nil)
			if err != nil {
				t.Fatal(err)
			}
			goals, _ := line(got.stdout, "goals")
			if g := strings.Join(o.Goals, " "); g != goals {
				t.Errorf("Goals = %q, make's MAKECMDGOALS %q", g, goals)
			}
			vars, _ := line(got.stdout, "vars")
			if strings.Contains(strings.Join(args, ""), "$") {
				return // names with references need an evaluator
			}
			if g := o.CommandVariables(nil); g != vars {
				t.Errorf("CommandVariables = %q, make has %q", g, vars)
			}
		})
	}
}

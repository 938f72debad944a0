package exec

import (
	"bytes"
	"context"
	"os"
	osexec "os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// diffCase is one recipe run both by GNU make 4.3 and by Run; their
// outputs (stdout and stderr through one pipe) must be identical.
type diffCase struct {
	name     string
	pre      string   // Makefile text before the rule
	lines    []string // recipe lines as written, without the tab; "\\\n" continues a line
	args     []string // make flags among -n -s -i
	shell    string
	flags    []string
	oneShell bool
	vars     map[string]string // expanded in the lines given to Run: name -> value
	setup    func(t *testing.T, dir string)
}

const gnuMake = "/usr/bin/make"

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k != "MAKEFLAGS" && k != "MAKELEVEL" && k != "MFLAGS" && k != "MAKEFILES" {
			env = append(env, kv)
		}
	}
	return env
}

// makefile writes the case as a Makefile and returns the line number of
// each recipe line.
func (c *diffCase) makefile() (string, []int) {
	var b strings.Builder
	b.WriteString(c.pre)
	n := strings.Count(c.pre, "\n") + 1
	b.WriteString("all:\n")
	var pos []int
	for _, l := range c.lines {
		n++
		pos = append(pos, n)
		b.WriteString("\t" + strings.ReplaceAll(l, "\\\n", "\\\n\t") + "\n")
		n += strings.Count(l, "\n")
	}
	return b.String(), pos
}

// job builds what the builder would hand to Run for the case.
func (c *diffCase) job(dir string, pos []int, out *bytes.Buffer) *Job {
	job := &Job{
		Target: "all", Dir: dir, Env: cleanEnv(), Shell: c.shell, ShellFlags: c.flags,
		OneShell: c.oneShell, Stdout: out, Stderr: out,
	}
	for i, raw := range c.lines {
		raw = strings.ReplaceAll(raw, "$$", "$")
		l := Line{Pos: "Makefile:" + strconv.Itoa(pos[i])}
		if c.oneShell && i > 0 {
			l.Text = raw
		} else {
			// What the builder does: prefixes of the line as written,
			// then expansion of the rest.
			l.Text, l.Silent, l.IgnoreError, l.Always = SplitPrefix(raw)
		}
		for k, v := range c.vars {
			l.Text = strings.ReplaceAll(l.Text, "$("+k+")", v)
		}
		l.Silent = l.Silent || slices.Contains(c.args, "-s")
		l.IgnoreError = l.IgnoreError || slices.Contains(c.args, "-i")
		job.Lines = append(job.Lines, l)
	}
	if slices.Contains(c.args, "-n") {
		job.Mode = DryRun
	}
	return job
}

func runGNUMake(t *testing.T, dir string, args []string) (string, bool) {
	t.Helper()
	cmd := osexec.Command(gnuMake, args...)
	cmd.Dir = dir
	cmd.Env = cleanEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		if _, ok := err.(*osexec.ExitError); !ok {
			t.Fatalf("run %s: %v", gnuMake, err)
		}
	}
	return out.String(), err == nil
}

func checkDiff(t *testing.T, c diffCase) {
	t.Helper()
	if _, err := os.Stat(gnuMake); err != nil {
		t.Skip("GNU make not installed")
	}
	wantDir, gotDir := t.TempDir(), t.TempDir()
	mf, pos := c.makefile()
	if c.setup != nil {
		c.setup(t, wantDir)
		c.setup(t, gotDir)
	}
	for _, d := range []string{wantDir, gotDir} {
		if err := os.WriteFile(filepath.Join(d, "Makefile"), []byte(mf), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, wantOK := runGNUMake(t, wantDir, c.args)
	var out bytes.Buffer
	res := Run(context.Background(), c.job(gotDir, pos, &out))
	want = strings.ReplaceAll(want, wantDir, "$DIR")
	got := strings.ReplaceAll(out.String(), gotDir, "$DIR")
	if got != want {
		t.Errorf("output differs from GNU make\n--- make:\n%s--- dmake:\n%s", want, got)
	}
	if res.OK() != wantOK {
		t.Errorf("result %+v, make succeeded=%v", res, wantOK)
	}
}

//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// A Project is a real C project from Debian's source packages, built the
// way its users build it, by one make invocation (after a local configure).
type Project struct {
	Name      string
	Configure []string        // run once in the tree, on the host, before make
	Args      []string        // make's arguments (goals, variables), without -j
	Ignored   map[string]bool // files whose bytes legitimately differ between two builds
}

var projects = map[string]Project{
	// Lua's own "make linux" is a recursive make; its recursive call is
	// made directly here, so the build is one flat make of ~40 steps.
	"lua": {Name: "lua", Args: []string{"-C", "src", "all", "SYSCFLAGS=-DLUA_USE_LINUX", "SYSLIBS=-Wl,-E -ldl"}},
	"zlib": {Name: "zlib", Configure: []string{"./configure"},
		Ignored: map[string]bool{"configure.log": true}},
	"redis": {Name: "redis", Args: []string{"MALLOC=libc", "BUILD_TLS=no"}},
	"git": {Name: "git", Args: []string{"NO_OPENSSL=1", "NO_CURL=1", "NO_EXPAT=1", "NO_TCLTK=1", "NO_GETTEXT=1", "NO_PYTHON=1"},
		Ignored: map[string]bool{"templates/boilerplates.made": true}},
}

func currentProject(t *testing.T) Project {
	name := envOr("DMAKE_E2E_PROJECT", "lua")
	p, ok := projects[name]
	if !ok {
		t.Fatalf("DMAKE_E2E_PROJECT=%s: not one of lua, zlib, redis, git", name)
	}
	return p
}

// Paths, all in the shared tree: the pristine source, the reference build,
// and the build path every scenario uses (the same path as the reference, so
// embedded paths agree).
func (p Project) srcDir() string   { return filepath.Join(repoTop, ".cache", "realworld", "src", p.Name) }
func (p Project) refDir() string   { return filepath.Join(sharedDir, "ref", p.Name) }
func (p Project) BuildDir() string { return filepath.Join(sharedDir, "build", p.Name) }

// buildEnv is the environment of every build: no make state inherited from
// a calling make (make e2e), a fixed locale and SOURCE_DATE_EPOCH.
func buildEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEFILES", "GNUMAKEFLAGS", "MAKEOVERRIDES", "MAKE_TERMOUT", "MAKE_TERMERR", "DMAKE_CLUSTER", "LC_ALL":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C", "SOURCE_DATE_EPOCH=1700000000")
}

var (
	refOnce sync.Once
	refErr  error
	refOut  string
	refTime time.Duration
)

// Reference fetches the project (scripts/realworld/fetch.sh, Debian source
// packages) and builds it once per test binary with plain GNU make at the
// build path, then moves it aside. It returns GNU make's output.
func (p Project) Reference(t *testing.T) string {
	t.Helper()
	refOnce.Do(func() {
		fetch := exec.Command(filepath.Join(repoTop, "scripts", "realworld", "fetch.sh"), p.Name)
		if out, err := fetch.CombinedOutput(); err != nil {
			refErr = fmt.Errorf("fetch %s: %v\n%s", p.Name, err, out)
			return
		}
		if err := p.Fresh(); err != nil {
			refErr = err
			return
		}
		start := time.Now()
		out, err := p.run("/usr/bin/make", "-j2")
		refTime = time.Since(start)
		if err != nil {
			refErr = fmt.Errorf("reference build with GNU make: %v\n%s", err, out)
			return
		}
		refOut = out
		_ = os.RemoveAll(p.refDir())
		_ = os.MkdirAll(filepath.Dir(p.refDir()), 0o755)
		refErr = os.Rename(p.BuildDir(), p.refDir())
	})
	if refErr != nil {
		t.Fatal(refErr)
	}
	t.Logf("reference: %s built by GNU make -j2 in %.1fs", p.Name, refTime.Seconds())
	return refOut
}

// Fresh puts a pristine copy of the source at the build path and runs the
// project's configure step there.
func (p Project) Fresh() error {
	if err := os.RemoveAll(p.BuildDir()); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p.BuildDir()), 0o755); err != nil {
		return err
	}
	if out, err := exec.Command("cp", "-a", p.srcDir(), p.BuildDir()).CombinedOutput(); err != nil {
		return fmt.Errorf("copy %s: %v\n%s", p.srcDir(), err, out)
	}
	if len(p.Configure) > 0 {
		c := exec.Command(p.Configure[0], p.Configure[1:]...)
		c.Dir, c.Env = p.BuildDir(), buildEnv()
		if out, err := c.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", strings.Join(p.Configure, " "), err, out)
		}
	}
	return nil
}

// run builds the tree at the build path with make and flags, synchronously.
func (p Project) run(make string, flags ...string) (string, error) {
	c := exec.Command(make, append(flags, p.Args...)...)
	c.Dir, c.Env = p.BuildDir(), buildEnv()
	out, err := c.CombinedOutput()
	return string(out), err
}

// fileState is what compareTrees and the late-write check look at.
type fileState struct {
	mode  fs.FileMode
	size  int64
	mtime time.Time
	link  string
}

// Snapshot lists every file and symlink under dir with size and mtime.
func Snapshot(dir string) (map[string]fileState, error) {
	m := map[string]fileState{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		st := fileState{mode: info.Mode(), size: info.Size(), mtime: info.ModTime()}
		if info.Mode()&fs.ModeSymlink != 0 {
			st.link, _ = os.Readlink(path)
		}
		m[rel] = st
		return nil
	})
	return m, err
}

// CompareWithReference checks that the build path holds exactly the
// reference build's files with the same bytes (symlinks: same target).
func (p Project) CompareWithReference(t *testing.T) {
	t.Helper()
	ref, err := Snapshot(p.refDir())
	if err != nil {
		t.Fatal(err)
	}
	got, err := Snapshot(p.BuildDir())
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	for _, f := range sortedKeys(ref) {
		if _, ok := got[f]; !ok {
			problems = append(problems, "missing "+f)
		}
	}
	for _, f := range sortedKeys(got) {
		r, ok := ref[f]
		switch {
		case !ok:
			problems = append(problems, "extra "+f)
		case p.Ignored[f]:
		case r.link != "" || got[f].link != "":
			if r.link != got[f].link {
				problems = append(problems, "symlink differs: "+f)
			}
		default:
			a, _ := os.ReadFile(filepath.Join(p.refDir(), f))
			b, _ := os.ReadFile(filepath.Join(p.BuildDir(), f))
			if !bytes.Equal(a, b) {
				problems = append(problems, "contents differ: "+f)
			}
		}
	}
	if len(problems) > 0 {
		if len(problems) > 20 {
			problems = append(problems[:20], fmt.Sprintf("... and %d more", len(problems)-20))
		}
		t.Errorf("artifacts differ from GNU make's (reference %s, build %s):\n  %s", p.refDir(), p.BuildDir(), strings.Join(problems, "\n  "))
		return
	}
	t.Logf("artifacts: %d files, identical to GNU make's", len(got))
}

// NoChangeSince checks that nothing in the build path changed after before
// was taken (late writes of a fenced or killed attempt would show here).
func (p Project) NoChangeSince(t *testing.T, before map[string]fileState) {
	t.Helper()
	after, err := Snapshot(p.BuildDir())
	if err != nil {
		t.Fatal(err)
	}
	var changed []string
	for f, a := range after {
		if b, ok := before[f]; !ok || b != a {
			changed = append(changed, f)
		}
	}
	for f := range before {
		if _, ok := after[f]; !ok {
			changed = append(changed, f+" (removed)")
		}
	}
	sort.Strings(changed)
	if len(changed) > 0 {
		t.Errorf("the tree changed after the build ended: %s", strings.Join(changed, ", "))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

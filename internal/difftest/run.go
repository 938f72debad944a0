package difftest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// DefaultTimeout limits one run of a case when neither the Runner nor the
// case sets a limit. A run that takes longer is killed and reported as a
// hang, so a looping dmake fails its case instead of blocking the suite.
const DefaultTimeout = 20 * time.Second

// BasePath is the part of PATH after the case's bin directory.
const BasePath = "/usr/local/bin:/usr/bin:/bin"

// A Runner runs cases under a root directory. Case "g/n" runs in
// Root/work/g/n, with Root/bin/g/n/make as the program and Root/bin/g/n first
// on PATH. Both paths are the same for every run of the case, so anything
// that prints them compares equal.
type Runner struct {
	Root    string        // scratch directory owned by the runner
	Timeout time.Duration // limit for one run; 0 means DefaultTimeout
}

// A Result is everything one run of a case showed.
type Result struct {
	Stdout []byte
	Stderr []byte
	Exit   string // "0", "2", or how the run ended if it did not exit ("killed after 20s (timeout)")
	Tree   string // the case directory afterwards, rendered by Snapshot
}

// WorkDir is the directory a case runs in.
func (r *Runner) WorkDir(c *Case) string {
	return filepath.Join(r.Root, "work", filepath.FromSlash(c.Name))
}

// binDir holds the case's make symlink.
func (r *Runner) binDir(c *Case) string {
	return filepath.Join(r.Root, "bin", filepath.FromSlash(c.Name))
}

// Env is the environment a case runs with: a fixed base, then the case's
// own variables (which may replace base ones). Nothing is inherited from the
// environment of the test process, so MAKEFLAGS, MAKELEVEL, MFLAGS,
// MAKEFILES and GNUMAKEFLAGS can never leak in.
func (r *Runner) Env(c *Case) []string {
	env := []string{
		"PATH=" + r.binDir(c) + ":" + BasePath,
		"HOME=" + filepath.Join(r.Root, "home"),
		"LANG=C",
		"LC_ALL=C",
	}
	for _, kv := range c.Env {
		name, _, _ := strings.Cut(kv, "=")
		env = removeVar(env, name)
		env = append(env, kv)
	}
	return env
}

// removeVar drops NAME=... from env.
func removeVar(env []string, name string) []string {
	out := env[:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// Run prepares a fresh case directory, points the case's make symlink at
// program, runs "make <args>" there and returns what it showed. An error
// means the case could not be set up or started; a failing or hanging make
// is a Result, not an error.
func (r *Runner) Run(ctx context.Context, c *Case, program string) (*Result, error) {
	dir := r.WorkDir(c)
	if err := r.prepare(c, program); err != nil {
		return nil, err
	}
	timeout := r.Timeout
	if c.Timeout > 0 {
		timeout = c.Timeout
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := r.start(ctx, c, dir)
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		res.Exit = fmt.Sprintf("killed after %v (%v)", timeout, ctx.Err())
	}
	if res.Tree, err = Snapshot(dir); err != nil {
		return nil, err
	}
	return res, nil
}

// start runs the program and waits for it, killing its whole process group
// when ctx ends.
func (r *Runner) start(ctx context.Context, c *Case, dir string) (*Result, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(r.binDir(c), "make"), c.Args...)
	cmd.Args[0] = "make"
	cmd.Dir = dir
	cmd.Env = r.Env(c)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	if c.Stdin != "" {
		cmd.Stdin = bytes.NewReader(c.file(c.Stdin).Data)
	}
	stdout, stderr := &capBuffer{max: maxOutput}, &capBuffer{max: maxOutput}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Start()
	if err == nil {
		done := make(chan struct{})
		go sendSignals(dir, cmd.Process.Pid, c.Signals, done)
		err = cmd.Wait()
		close(done)
	}
	res := &Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), Exit: "0"}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		res.Exit = exitErr.ProcessState.String()
		if code := exitErr.ExitCode(); code >= 0 {
			res.Exit = fmt.Sprint(code)
		}
	case err != nil && ctx.Err() == nil && !errors.Is(err, exec.ErrWaitDelay):
		return nil, fmt.Errorf("run %s: %w", c.Name, err)
	}
	// A make that exits while a child it left behind still holds its
	// output open is killed along with that child.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	return res, nil
}

// prepare wipes the case's directories and writes them afresh.
func (r *Runner) prepare(c *Case, program string) error {
	dir, bin := r.WorkDir(c), r.binDir(c)
	for _, d := range []string{dir, bin} {
		if err := removeAll(d); err != nil {
			return err
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(r.Root, "home"), 0o755); err != nil {
		return err
	}
	if err := os.Symlink(program, filepath.Join(bin, "make")); err != nil {
		return err
	}
	return writeFiles(c, dir)
}

// writeFiles writes the case's files, links and times into dir.
func writeFiles(c *Case, dir string) error {
	for _, f := range c.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return err
		}
		if err := os.Chmod(p, f.Mode); err != nil {
			return err
		}
	}
	for _, l := range c.Links {
		p := filepath.Join(dir, filepath.FromSlash(l.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.Symlink(l.Target, p); err != nil {
			return err
		}
	}
	now := time.Now()
	for _, m := range c.MTimes {
		t := now.Add(m.Offset)
		if err := os.Chtimes(filepath.Join(dir, filepath.FromSlash(m.Name)), t, t); err != nil {
			return fmt.Errorf("mtime: %w", err)
		}
	}
	return nil
}

// removeAll removes dir even if a run left read-only directories in it.
func removeAll(dir string) error {
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o755)
		}
		return nil
	})
	return os.RemoveAll(dir)
}

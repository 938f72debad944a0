package exec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Default delays of a Runner.
const (
	DefaultGrace   = 3 * time.Second
	DefaultIODelay = 2 * time.Second
)

// Runner runs jobs, and knows the process group of every line it is
// running so that a signal can reach them all. The zero value is ready to
// use; a Runner must not be copied after first use.
type Runner struct {
	// Grace is how long a cancelled line's group has between SIGTERM and
	// SIGKILL. Zero means DefaultGrace.
	Grace time.Duration
	// IODelay is how long a job waits, once its last line has exited, for
	// processes it left in the background to close the output pipes (only
	// for writers that are not *os.File). Zero means DefaultIODelay.
	IODelay time.Duration

	mu    sync.Mutex
	procs map[*proc]struct{}
}

var defaultRunner Runner

// Run runs job with the package's default Runner.
func Run(ctx context.Context, job *Job) Result { return defaultRunner.Run(ctx, job) }

// Signal delivers sig to the process group of every line the default
// Runner is running.
func Signal(sig syscall.Signal) int { return defaultRunner.Signal(sig) }

// Signal delivers sig to the process group of every line r is running, and
// returns how many groups it reached. A job whose line it reached and that
// then fails ends Interrupted (Err is ErrSignalled), with no failure
// message: what the builder forwarding a Ctrl-C (SIGINT) wants, since GNU
// make prints nothing for children that die of the interrupt it received
// itself. A line that survives the signal carries on, and so does its job:
// to stop jobs, cancel their contexts too (which also covers a line that
// was starting just as Signal ran).
func (r *Runner) Signal(sig syscall.Signal) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for p := range r.procs {
		p.mu.Lock()
		if !p.exited {
			_ = syscall.Kill(-p.pid, sig)
			p.signalled = true
			n++
		}
		p.mu.Unlock()
	}
	return n
}

func (r *Runner) track(p *proc, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !on {
		delete(r.procs, p)
		return
	}
	if r.procs == nil {
		r.procs = make(map[*proc]struct{})
	}
	r.procs[p] = struct{}{}
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Run runs the lines of job one after the other, as GNU make runs a
// recipe, and returns how it ended.
//
// Run writes everything GNU make would write for the job, in the order make
// writes it: each echoed line to Job.Stdout; to Job.Stderr the error of a
// command that could not be executed ("make: cc: No such file or
// directory") and the failure messages ("make: *** [Makefile:2: all] Error
// 1", "... (ignored)"). It writes nothing when the job is Interrupted or
// StartFailed: the caller decides what to say (GNU make says nothing for
// an interrupt, and a cluster requeues a step that could not start).
// Messages that concern the build rather than the job ("Waiting for
// unfinished jobs", "Deleting file") are the caller's.
func (r *Runner) Run(ctx context.Context, job *Job) Result {
	res := Result{Line: -1}
	if err := checkDir(job.Dir); err != nil {
		return Result{Status: StartFailed, Line: 0, Err: err}
	}
	io, err := openStdio(job)
	if err != nil {
		return Result{Status: StartFailed, Line: 0, Err: err}
	}
	defer io.close(orDefault(r.IODelay, DefaultIODelay))
	for _, c := range commands(job) {
		if err := ctx.Err(); err != nil {
			return Result{Status: Interrupted, Line: c.index, Ignored: res.Ignored, Err: err}
		}
		out := r.runLine(ctx, job, &c.Line, io)
		switch {
		case out.startErr != nil:
			return Result{Status: StartFailed, Line: c.index, Err: out.startErr}
		case out.interrupted != nil:
			return Result{Status: Interrupted, Line: c.index, Exit: out.exit, Ignored: res.Ignored, Err: out.interrupted}
		case out.exit.Success():
		case job.Question && out.exit.Signal == 0 && out.exit.Code == 1:
			// -q: a recursive make answering "out of date".
			return Result{Status: Failed, Line: c.index, Exit: out.exit, Ignored: res.Ignored}
		case c.IgnoreError:
			res.Ignored++
			if !job.QuietIgnored {
				writeString(io.err, FailureMessage(programName(job), &c.Line, job.Target, out.exit, true))
			}
		default:
			if !job.QuietFailure {
				writeString(io.err, job.FailureNote)
				writeString(io.err, FailureMessage(programName(job), &c.Line, job.Target, out.exit, false))
			}
			return Result{Status: Failed, Line: c.index, Exit: out.exit, Ignored: res.Ignored}
		}
		if job.LineDone != nil {
			job.LineDone()
		}
	}
	return res
}

func checkDir(dir string) error {
	if dir == "" {
		return nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("recipe directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("recipe directory %s: %w", dir, syscall.ENOTDIR)
	}
	return nil
}

func writeString(f *os.File, s string) {
	_, _ = f.WriteString(s) // as make: a closed stdout does not stop the build
}

// lineOutcome is how one line ended.
type lineOutcome struct {
	exit        ExitStatus
	interrupted error // non-nil: cancelled or signalled, and it did not succeed
	startErr    error // non-nil: could not start, not the recipe's fault
}

// runLine echoes and runs one line according to the job's mode.
func (r *Runner) runLine(ctx context.Context, job *Job, l *Line, io *stdio) lineOutcome {
	if blankLine(l.Text) {
		return lineOutcome{}
	}
	run := job.Mode == Normal || l.Always
	if job.Mode == DryRun || (run && !(l.Silent && isNoop(l.Text))) {
		notifyBefore(job)
	}
	if job.Mode == DryRun || (run && !l.Silent) {
		writeString(io.out, l.Text+"\n")
	}
	if !run {
		return lineOutcome{}
	}
	argv := commandArgv(job, l.Text)
	if len(argv) == 0 {
		return lineOutcome{} // e.g. a lone backslash-newline
	}
	files := []uintptr{io.in.Fd(), io.out.Fd(), io.err.Fd()}
	if l.Always {
		for _, f := range job.ExtraFiles {
			files = append(files, rawFd(f))
		}
	}
	p, err := startLine(argv, job, files)
	if err != nil {
		if isResourceErr(err) {
			return lineOutcome{startErr: fmt.Errorf("start %s: %w", argv[0], err)}
		}
		// What GNU make's child prints when its exec fails.
		writeString(io.err, fmt.Sprintf("%s: %s: %s\n", programName(job), argv[0], ErrnoText(err)))
		return lineOutcome{exit: ExitStatus{Code: execFailedCode}}
	}
	r.track(p, true)
	job.Reaper.send('+', p.pid)
	ws := p.wait(ctx, orDefault(r.Grace, DefaultGrace))
	job.Reaper.send('-', p.pid)
	r.track(p, false)
	out := lineOutcome{exit: exitStatusOf(ws)}
	if !out.exit.Success() {
		switch {
		case p.cancelled:
			out.interrupted = ctx.Err()
		case p.signalled:
			out.interrupted = ErrSignalled
		}
	}
	return out
}

func envOf(job *Job) []string {
	if job.Env == nil {
		return os.Environ()
	}
	return job.Env
}

// rawFd is f's descriptor. Unlike f.Fd it leaves the file's blocking mode
// alone: a jobserver pipe's mode is shared with every make in the tree.
func rawFd(f *os.File) uintptr {
	fd := ^uintptr(0)
	if rc, err := f.SyscallConn(); err == nil {
		_ = rc.Control(func(u uintptr) { fd = u })
	}
	return fd
}

func shellOf(job *Job) string {
	if job.Shell == "" {
		return defaultShell
	}
	return job.Shell
}

func shellFlagsOf(job *Job) []string {
	if job.ShellFlags == nil {
		return []string{"-c"}
	}
	return job.ShellFlags
}

// commandArgv is what runs a line: its own words, or the shell's.
func commandArgv(job *Job, text string) []string {
	shell, flags := shellOf(job), shellFlagsOf(job)
	if directOK(shell, flags, envOf(job)) {
		if argv, ok := splitDirect(text, job.OneShell); ok {
			return argv
		}
	}
	if job.OneShell {
		// GNU make 4.3 takes SHELL as one word here, and the flags as
		// blank-separated words, quotes and all.
		argv := append([]string{shell}, flags...)
		return append(argv, text)
	}
	return shellArgv(shell, flags, text)
}

// shellArgv is "$(SHELL) $(.SHELLFLAGS) line" as GNU make builds it: SHELL
// and the flags are split into words like a direct line (so SHELL may carry
// options), and the line is one more word. When the shell part itself
// needs a shell to be understood (quotes, say), /bin/sh -c runs the whole.
func shellArgv(shell string, flags []string, text string) []string {
	prefix := shell
	if len(flags) > 0 {
		prefix += " " + strings.Join(flags, " ")
	}
	if words, ok := splitDirect(prefix, false); ok && len(words) > 0 {
		return append(words, text)
	}
	return []string{defaultShell, "-c", prefix + " " + shellQuote(text)}
}

// shellQuote makes s one word for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// startLine finds the program and starts it. Like execvp, a file that the
// kernel cannot execute (no #! line) is run by /bin/sh.
func startLine(argv []string, job *Job, files []uintptr) (*proc, error) {
	env := envOf(job)
	path, err := lookPath(argv[0], env)
	if err != nil {
		return nil, err
	}
	p, err := spawn(path, argv, job.Dir, env, files)
	if errors.Is(err, syscall.ENOEXEC) {
		shArgv := append([]string{defaultShell, path}, argv[1:]...)
		p, err = spawn(defaultShell, shArgv, job.Dir, env, files)
	}
	return p, err
}

// isResourceErr reports errors that say the machine is short of something,
// not that the recipe is wrong.
func isResourceErr(err error) bool {
	return errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.ENOMEM) ||
		errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

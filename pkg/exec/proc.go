package exec

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// proc is one running line: a process group led by pid.
//
// The leader is first waited for without being reaped (WNOWAIT): while it is
// a zombie its pid cannot be reused, so signalling the group -pid cannot hit
// a stranger. Once exited is set nothing signals the group again.
type proc struct {
	pid int

	mu        sync.Mutex
	exited    bool        // the leader has exited; no more signals
	cancelled bool        // the context was cancelled while it ran
	signalled bool        // Runner.Signal reached it
	timer     *time.Timer // the SIGKILL after a cancellation's grace
}

// signal sends sig to the whole group unless the leader has exited.
func (p *proc) signal(sig syscall.Signal) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited {
		return false
	}
	_ = syscall.Kill(-p.pid, sig) // ESRCH: the group is already gone
	return true
}

// spawn starts argv[0] at path in a new process group that dies with us.
func spawn(path string, argv []string, dir string, env []string, files []uintptr) (*proc, error) {
	pid, err := syscall.ForkExec(path, argv, &syscall.ProcAttr{
		Dir:   dir,
		Env:   env,
		Files: files,
		Sys: &syscall.SysProcAttr{
			Setpgid: true,
			// Recipes must not outlive a killed worker. Linux ties this to
			// the forking thread, which the Go runtime keeps alive.
			Pdeathsig: syscall.SIGKILL,
		},
	})
	if err != nil {
		return nil, err
	}
	return &proc{pid: pid}, nil
}

// wait waits for the leader to exit, enforcing ctx: on cancellation the
// group gets SIGTERM (or the signal of a SignalCause), then SIGKILL after
// grace; after a cancellation the group is killed outright once the
// leader is gone, so nothing of a cancelled step lingers.
func (p *proc) wait(ctx context.Context, grace time.Duration) syscall.WaitStatus {
	stopWatch := context.AfterFunc(ctx, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.exited {
			return
		}
		p.cancelled = true
		_ = syscall.Kill(-p.pid, cancelSignal(ctx))
		p.timer = time.AfterFunc(grace, func() { p.signal(syscall.SIGKILL) })
	})
	waitExited(p.pid)
	stopWatch() // a watcher already started sees exited below or ran before
	p.mu.Lock()
	if p.cancelled {
		_ = syscall.Kill(-p.pid, syscall.SIGKILL)
		p.timer.Stop()
	}
	p.exited = true
	p.mu.Unlock()
	return reap(p.pid)
}

// waitExited blocks until pid has exited, leaving it a zombie.
func waitExited(pid int) {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, syscall.EINTR) {
			return
		}
	}
}

// reap collects pid's exit status.
func reap(pid int) syscall.WaitStatus {
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		if !errors.Is(err, syscall.EINTR) {
			return ws
		}
	}
}

package exec

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

// GuardCommand is the argument by which a program that calls RunGuard from
// its main recognises that it was started as a guard.
const GuardCommand = "__dmake_guard"

// A guard stands between a cluster worker and a recipe line. Pdeathsig
// kills only the worker's direct child when the worker dies (even by
// SIGKILL); a compiler started by a shell would live on, writing a target
// that another worker is already remaking. The guard is the line's process
// group leader: it asks for SIGTERM when the worker dies and then kills the
// whole group. Otherwise it is invisible: it passes its files on, and ends
// with its command's exit status, or dies of its command's signal.
//
// Job.Guard names the program to start as a guard (argv prefix); the
// program's main must call RunGuard when its first argument is
// GuardCommand. Arguments after it: the number of files to pass on, the
// command's path, then its argv.

// RunGuard runs a guarded command and returns the exit status to exit
// with; it does not return when the command died of a signal.
func RunGuard(args []string) int {
	if len(args) < 3 {
		fmt.Fprintln(os.Stderr, "guard: usage: NFILES PATH ARGV0 [ARGS...]")
		return 127
	}
	nfiles, err := strconv.Atoi(args[0])
	if err != nil || nfiles < 3 {
		nfiles = 3
	}
	parent := os.Getppid()
	// The spawner asked for SIGKILL at its death, which would leave the
	// group behind; ask for SIGTERM, which we can act on.
	syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0)
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	if os.Getppid() != parent {
		killGroup()
	}
	files := make([]*os.File, nfiles)
	for i := range files {
		files[i] = os.NewFile(uintptr(i), "fd"+strconv.Itoa(i))
	}
	path, argv := args[1], args[2:]
	attr := &os.ProcAttr{Files: files}
	p, err := os.StartProcess(path, argv, attr)
	if errors.Is(err, syscall.ENOEXEC) {
		p, err = os.StartProcess(defaultShell, append([]string{defaultShell, path}, argv[1:]...), attr)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %s\n", argv[0], ErrnoText(err))
		return 127
	}
	go func() {
		for range sigs {
			// The group got the signal too. Only the worker's death
			// (our parent is gone) calls for killing everything now;
			// a cancellation escalates by itself.
			if os.Getppid() != parent {
				killGroup()
			}
		}
	}()
	st, err := p.Wait()
	if err != nil {
		return 127
	}
	ws := st.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		signal.Reset(ws.Signal())
		syscall.Kill(os.Getpid(), ws.Signal())
		select {}
	}
	return ws.ExitStatus()
}

func killGroup() {
	syscall.Kill(0, syscall.SIGKILL)
	os.Exit(137)
}

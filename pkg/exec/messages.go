package exec

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"syscall"
)

// ExitStatus is how one process ended.
type ExitStatus struct {
	Code     int            // exit code; meaningful when Signal is 0
	Signal   syscall.Signal // the signal that killed the process, or 0
	CoreDump bool           // the process dumped core
}

// Success reports whether the process exited with code 0.
func (e ExitStatus) Success() bool { return e.Signal == 0 && e.Code == 0 }

// String is the text GNU make puts after the target in its failure
// messages: "Error 2", "Killed", "Segmentation fault (core dumped)".
func (e ExitStatus) String() string {
	if e.Signal == 0 {
		return "Error " + strconv.Itoa(e.Code)
	}
	s := SignalText(e.Signal)
	if e.CoreDump {
		s += " (core dumped)"
	}
	return s
}

func exitStatusOf(ws syscall.WaitStatus) ExitStatus {
	if ws.Signaled() {
		return ExitStatus{Code: -1, Signal: ws.Signal(), CoreDump: ws.CoreDump()}
	}
	return ExitStatus{Code: ws.ExitStatus()}
}

// signalTexts are glibc's strsignal() texts on Linux, which GNU make prints.
var signalTexts = [...]string{
	1: "Hangup", 2: "Interrupt", 3: "Quit", 4: "Illegal instruction",
	5: "Trace/breakpoint trap", 6: "Aborted", 7: "Bus error",
	8: "Floating point exception", 9: "Killed", 10: "User defined signal 1",
	11: "Segmentation fault", 12: "User defined signal 2", 13: "Broken pipe",
	14: "Alarm clock", 15: "Terminated", 16: "Stack fault", 17: "Child exited",
	18: "Continued", 19: "Stopped (signal)", 20: "Stopped",
	21: "Stopped (tty input)", 22: "Stopped (tty output)",
	23: "Urgent I/O condition", 24: "CPU time limit exceeded",
	25: "File size limit exceeded", 26: "Virtual timer expired",
	27: "Profiling timer expired", 28: "Window changed", 29: "I/O possible",
	30: "Power failure", 31: "Bad system call",
}

// glibc reserves 32 and 33 for itself; SIGRTMIN as users see it is 34.
const sigRTMin, sigRTMax = 34, 64

// SignalText is the strsignal() text of sig as glibc on Linux gives it.
func SignalText(sig syscall.Signal) string {
	n := int(sig)
	switch {
	case n > 0 && n < len(signalTexts):
		return signalTexts[n]
	case n >= sigRTMin && n <= sigRTMax:
		return "Real-time signal " + strconv.Itoa(n-sigRTMin)
	}
	return "Unknown signal " + strconv.Itoa(n)
}

// ErrnoText is the strerror() text of err's errno, as C programs print it:
// Go's own texts are glibc's with a lower-case first letter.
func ErrnoText(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	s := errno.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

func programName(job *Job) string {
	if job.Program == "" {
		return "make"
	}
	return job.Program
}

// where is the bracketed part of a failure message: "Makefile:2: all".
func where(line *Line, target string) string {
	if line.Pos == "" {
		return target
	}
	return line.Pos + ": " + target
}

// FailureMessage is the line GNU make prints when a recipe line fails:
// "make: *** [Makefile:2: all] Error 1", or for an ignored failure
// "make: [Makefile:2: all] Error 1 (ignored)". It ends in a newline.
func FailureMessage(program string, line *Line, target string, st ExitStatus, ignored bool) string {
	if ignored {
		return fmt.Sprintf("%s: [%s] %s (ignored)\n", program, where(line, target), st)
	}
	return fmt.Sprintf("%s: *** [%s] %s\n", program, where(line, target), st)
}

// execFailedCode is the exit code GNU make's child uses when exec fails.
const execFailedCode = 127

// ErrSignalled is Result.Err when the job was interrupted by Runner.Signal.
var ErrSignalled = errors.New("interrupted by a forwarded signal")

// SignalCause is a context cancellation cause (context.WithCancelCause)
// that names the signal make received: the runner forwards that signal to
// the running lines' process groups instead of SIGTERM, so a recipe dies
// of the Ctrl-C as it would under GNU make, whose children share the
// terminal's process group.
type SignalCause struct{ Sig syscall.Signal }

func (c *SignalCause) Error() string { return "received " + SignalText(c.Sig) }

// cancelSignal is the signal a cancelled context asks for: SIGTERM unless
// its cause is a SignalCause.
func cancelSignal(ctx context.Context) syscall.Signal {
	var sc *SignalCause
	if errors.As(context.Cause(ctx), &sc) && sc.Sig != 0 {
		return sc.Sig
	}
	return syscall.SIGTERM
}

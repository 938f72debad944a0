package eval

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/dmake/dmake/pkg/graph/syntax"
)

// FatalError is an error that stops make: "Makefile:12: *** msg.  Stop."
// Pos is zero when make prints its program name instead of a position.
type FatalError struct {
	Pos syntax.Pos
	Msg string
}

func (e *FatalError) Error() string {
	if e.Pos.IsZero() {
		return "*** " + e.Msg + ".  Stop."
	}
	return e.Pos.String() + ": *** " + e.Msg + ".  Stop."
}

// Render returns the message line as make prints it, with prog used as the
// prefix when there is no position.
func (e *FatalError) Render(prog string) string {
	if e.Pos.IsZero() {
		return prog + ": " + e.Error()
	}
	return e.Error()
}

// Fatalf stops evaluation with a FatalError. It unwinds by panic; the entry
// points (Load, EvalText's callers, recipe expansion) recover it and return
// it as an error, so no panic ever leaves this package.
func (e *Evaluator) Fatalf(pos syntax.Pos, format string, args ...any) {
	panic(&FatalError{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// Warnf prints a message with a position, as make's error() and warning
// calls do ("Makefile:3: msg"), and goes on.
func (e *Evaluator) Warnf(pos syntax.Pos, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if pos.IsZero() {
		fmt.Fprintf(e.Stderr, "%s: %s\n", e.Program, msg)
		return
	}
	fmt.Fprintf(e.Stderr, "%s: %s\n", pos, msg)
}

// Out prints text to standard output ($(info)).
func (e *Evaluator) Out(s string) {
	e.Stdout.Write([]byte(s))
}

// catch turns a FatalError panic into a returned error.
func catch(err *error) {
	if r := recover(); r != nil {
		if fe, ok := r.(*FatalError); ok {
			*err = fe
			return
		}
		panic(r)
	}
}

// Protect runs f and returns the FatalError it raised, if any.
func (e *Evaluator) Protect(f func()) (err error) {
	defer catch(&err)
	f()
	return nil
}

// errText is the C library's text for an error, as make prints it.
func errText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errnoText(errno)
	}
	if errors.Is(err, os.ErrNotExist) {
		return "No such file or directory"
	}
	return err.Error()
}

func errnoText(errno syscall.Errno) string {
	switch errno {
	case syscall.ENOENT:
		return "No such file or directory"
	case syscall.EACCES:
		return "Permission denied"
	case syscall.EISDIR:
		return "Is a directory"
	case syscall.ENOTDIR:
		return "Not a directory"
	}
	s := errno.Error()
	if s != "" {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

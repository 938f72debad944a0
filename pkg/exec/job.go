package exec

import (
	"io"
	"os"
)

// Line is one logical line of a recipe, expanded and ready to run.
type Line struct {
	// Text is the expanded command. The caller strips the blanks and @ - +
	// prefixes that open the line as written (SplitPrefix on the
	// unexpanded text: they apply to the whole line) and expands the rest;
	// the runner strips, from each command, the prefixes the expansion
	// produced, as GNU make does. A bare newline (from a multi-line
	// variable) separates commands: the runner runs each piece on its own,
	// its own prefixes added to the line's flags. Backslash-newline pairs
	// stay; the caller removes the recipe prefix character (tab) that
	// followed each of them in the Makefile.
	//
	// Under Job.OneShell, the Text of every line but the first is taken as
	// written (blanks and prefixes still there): the runner strips them
	// itself when the shell is a POSIX shell, as GNU make does.
	Text        string
	Silent      bool   // '@', .SILENT or -s: do not echo
	IgnoreError bool   // '-', -i or .IGNORE: a failure is reported "(ignored)" and the next line runs
	Always      bool   // '+' or mentions $(MAKE): runs even in DryRun and OnlyAlways modes
	Pos         string // "Makefile:12", where the line was written; "" if unknown
}

// Mode says which lines of a job run.
type Mode uint8

const (
	// Normal runs every line (-j, the default).
	Normal Mode = iota
	// DryRun (-n) echoes every line, even silent ones, and runs only the
	// Always lines.
	DryRun
	// OnlyAlways (-t, -q) runs and echoes only the Always lines; the others
	// are skipped without a word.
	OnlyAlways
)

// Job is one step's recipe, ready to run.
type Job struct {
	Target string   // the target, for messages: "make: *** [Makefile:2: all] Error 1"
	Dir    string   // working directory of the children; "" means the current one
	Env    []string // complete environment of the children (PATH is searched in it); nil means dmake's own

	// Shell is $(SHELL); "" means /bin/sh. Like GNU make, the runner splits
	// it into words, so "/bin/bash -o pipefail" works (except under
	// OneShell, where GNU make 4.3 takes it as one path).
	Shell string
	// ShellFlags are the blank-separated words of $(.SHELLFLAGS), quotes
	// left in (strings.Fields): the runner parses "SHELL SHELLFLAGS" as GNU
	// make does. nil means {"-c"}; an empty non-nil slice means .SHELLFLAGS
	// is empty and no flag is passed.
	ShellFlags []string

	Lines []Line
	// OneShell (.ONESHELL) runs all lines as one script in one shell.
	// Lines[0] carries the Silent, IgnoreError and Pos of the whole script;
	// it is Always if any line is (the caller marks the lines that mention
	// $(MAKE); a '+' on a later line does not count, as in GNU make).
	OneShell bool
	Mode     Mode
	// QuietIgnored drops the "(ignored)" note of ignored failures, as GNU
	// make does under -s or a .SILENT with no prerequisites.
	QuietIgnored bool

	// Stdin is given to the children; nil means /dev/null. A terminal is
	// replaced by /dev/null too: every line runs in a process group of its
	// own, which a read from the terminal would stop (SIGTTIN), hanging
	// the build.
	Stdin io.Reader
	// Stdout receives the echoed commands and the children's output;
	// Stderr the children's errors and the runner's failure messages. An
	// *os.File is handed to the children as is; any other writer is fed
	// through a pipe, and when both are the same writer, one pipe keeps the
	// two streams in order (what -O wants). A temporary *os.File is the
	// cheapest buffer for -O: a background process left holding a pipe
	// delays the end of the job by up to Runner.IODelay.
	Stdout, Stderr io.Writer

	// ExtraFiles are given to the Always (recursive) lines only, as fds 3,
	// 4, ... in order: the jobserver's files. Other lines get none, as in
	// GNU make 4.3.
	ExtraFiles []*os.File

	// Program prefixes the runner's messages: "make", "dmake", "make[1]".
	// "" means "make".
	Program string

	// FailureNote, if set, is written to Stderr just before the message
	// of a failed line (GNU make reports a missing included makefile
	// there when its rule fails).
	FailureNote string
	// LineDone, if set, is called after each command that let the job go
	// on (-Oline shows a line's output as soon as the line ends).
	LineDone func()
	// Question (-q): a line that exits with status 1 ends the job Failed
	// without a message, as GNU make takes it for a sub-make's "out of
	// date" answer.
	Question bool
	// QuietFailure drops the failure message, as GNU make does for a
	// makefile included with -include whose rule fails.
	QuietFailure bool
	// Reaper, if set, is told of each line's process group, so the whole
	// group dies with the process running the job (see reaper.go): cluster
	// workers use it.
	Reaper *Reaper
}

// Status is how a job ended.
type Status uint8

const (
	Succeeded   Status = iota // every line ran (failures of IgnoreError lines included)
	Failed                    // a line exited non-zero or was killed by a signal
	Interrupted               // the context was cancelled or Runner.Signal was used
	StartFailed               // a line could not be started for a reason that is not the recipe's fault
)

var statusNames = [...]string{"succeeded", "failed", "interrupted", "start failed"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "status(?)"
}

// Result is the outcome of Run.
type Result struct {
	Status Status
	// Line is the index in Job.Lines of the line that failed, was interrupted
	// or could not start (0 under OneShell); -1 when Status is Succeeded.
	Line int
	// Exit is how that line ended (Failed, Interrupted).
	Exit ExitStatus
	// Ignored counts the IgnoreError lines that failed and were passed over.
	Ignored int
	// Err says why a line could not start (StartFailed) or why the job was
	// interrupted (the context's error, or ErrSignalled).
	Err error
}

// OK reports whether the job succeeded.
func (r Result) OK() bool { return r.Status == Succeeded }

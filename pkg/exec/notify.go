package exec

import (
	"os"
	"strings"
)

// NotifyFile is an output file that wants to know before anything is
// written to it: GNU make prints "make[1]: Entering directory '...'"
// lazily, just before its first message or the first command it starts.
// Writes through it call Before first; a job whose Stdout or Stderr is a
// NotifyFile hands the children the File itself (no pipe) and calls
// Before just before it echoes a line or starts a command. Before must be
// safe to call many times and from several goroutines.
type NotifyFile struct {
	*os.File
	Before func()
}

// Write calls Before, then writes p to the file.
func (n *NotifyFile) Write(p []byte) (int, error) {
	if n.Before != nil {
		n.Before()
	}
	return n.File.Write(p)
}

// WriteString calls Before, then writes s to the file.
func (n *NotifyFile) WriteString(s string) (int, error) {
	if n.Before != nil {
		n.Before()
	}
	return n.File.WriteString(s)
}

// notifyBefore calls the Before of the job's NotifyFile outputs.
func notifyBefore(job *Job) {
	for _, w := range []any{job.Stdout, job.Stderr} {
		if n, ok := w.(*NotifyFile); ok && n.Before != nil {
			n.Before()
		}
	}
}

// isNoop reports a line GNU make skips without starting anything: a lone
// ':'.
func isNoop(text string) bool { return strings.TrimSpace(text) == ":" }

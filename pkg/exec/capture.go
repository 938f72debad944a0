package exec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"syscall"
)

// Capture runs one command for $(shell) or "!=": directly when GNU make
// would, else through the shell, with standard error passed through and
// standard output returned with the exit status. A command that cannot be
// run gives GNU make's message ("make: cmd: No such file or directory")
// on stderr and status 127.
func Capture(program, shell string, flags []string, text, dir string, env []string, stderr io.Writer) (string, int) {
	job := &Job{Shell: shell, ShellFlags: flags, Env: env}
	argv := commandArgv(job, text)
	path, err := lookPath(argv[0], envOf(job))
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s: %s\n", program, argv[0], ErrnoText(err))
		return "", 127
	}
	var out bytes.Buffer
	c := &osexec.Cmd{Path: path, Args: argv, Dir: dir, Env: env, Stdout: &out, Stderr: stderr, Stdin: os.Stdin}
	err = c.Run()
	var ee *osexec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return out.String(), 128 + int(ws.Signal())
		}
		return out.String(), ee.ExitCode()
	default:
		fmt.Fprintf(stderr, "%s: %s: %s\n", program, argv[0], ErrnoText(err))
		return out.String(), 127
	}
}

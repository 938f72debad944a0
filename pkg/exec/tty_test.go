package exec

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY returns the two ends of a new pseudo-terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skip("no pseudo-terminals:", err)
	}
	t.Cleanup(func() { m.Close() })
	rc, _ := m.SyscallConn()
	var n int
	var ierr error
	rc.Control(func(fd uintptr) {
		if ierr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); ierr == nil {
			n, ierr = unix.IoctlGetInt(int(fd), unix.TIOCGPTN)
		}
	})
	if ierr != nil {
		t.Skip("pty setup:", ierr)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skip("open pty slave:", err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// A terminal as Stdin would leave a reading child stopped or waiting
// forever; the runner gives it /dev/null instead.
func TestTerminalStdinReplaced(t *testing.T) {
	_, slave := openPTY(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out bytes.Buffer
	res := Run(ctx, &Job{Stdin: slave, Stdout: &out, Stderr: &out, Lines: []Line{{Text: "cat", Silent: true}}})
	if !res.OK() || out.Len() != 0 {
		t.Errorf("result %+v output %q", res, out.String())
	}
}

package jobserver

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Style is the form of jobserver a server creates.
type Style uint8

const (
	// Pipe is GNU make 4.3's form, "--jobserver-auth=R,W": the children
	// inherit the two fds. Every GNU make since 4.2 understands it.
	Pipe Style = iota
	// Fifo is GNU make 4.4's form, "--jobserver-auth=fifo:PATH": nothing is
	// inherited, but GNU make 4.3 children reject it.
	Fifo
)

// tokenByte is what GNU make writes into a new jobserver.
const tokenByte = '+'

// NewServer creates a jobserver for jobs slots: jobs-1 bytes in the pipe
// or fifo, plus this process's implicit slot. jobs must be at least 2.
func NewServer(jobs int, style Style) (*Jobserver, error) {
	if jobs < 2 {
		return nil, fmt.Errorf("jobserver: %d jobs need no jobserver", jobs)
	}
	var (
		j   *Jobserver
		err error
	)
	if style == Fifo {
		j, err = newFifoServer()
	} else {
		j, err = newPipeServer()
	}
	if err != nil {
		return nil, err
	}
	if _, err := j.wr.Write(bytes.Repeat([]byte{tokenByte}, jobs-1)); err != nil {
		j.Close()
		return nil, fmt.Errorf("jobserver: fill: %w", err)
	}
	return j, nil
}

func newPipeServer() (*Jobserver, error) {
	var p [2]int
	// Blocking, as GNU make children expect to find them; we read through
	// a description of our own.
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, fmt.Errorf("jobserver: pipe: %w", err)
	}
	r, w := os.NewFile(uintptr(p[0]), "jobserver-r"), os.NewFile(uintptr(p[1]), "jobserver-w")
	rd, err := openOwn(p[0])
	if err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	// The children see the files as fds 3 and 4 (first in ExtraFiles).
	j := newJobserver(Auth{R: 3, W: 4}, []*os.File{r, w}, rd, w)
	j.cleanup = func() error { r.Close(); return w.Close() }
	return j, nil
}

func newFifoServer() (*Jobserver, error) {
	dir, err := os.MkdirTemp("", "dmake-jobserver-")
	if err != nil {
		return nil, fmt.Errorf("jobserver: %w", err)
	}
	path := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(path, 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("jobserver: mkfifo: %w", err)
	}
	rd, wr, err := openFifo(path)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	j := newJobserver(Auth{R: -1, W: -1, Fifo: path}, nil, rd, wr)
	j.cleanup = func() error {
		wr.Close()
		return os.RemoveAll(dir)
	}
	return j, nil
}

package exec

import (
	"fmt"
	"io"
	"os"
	"reflect"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// stdio holds the three files a job's children get, and the pipes and
// copying goroutines behind any of them that is not an *os.File. The
// runner writes its own echo and messages into the same files, so they
// stay in order with the children's output.
type stdio struct {
	in, out, err *os.File

	ours    []*os.File // pipe ends the children get, closed when the job ends
	readers []copier
	copiers sync.WaitGroup
}

// copier is an output pipe's read end and where its bytes go.
type copier struct {
	r *os.File
	w io.Writer
}

var (
	devNullOnce sync.Once
	devNull     *os.File
	devNullErr  error
)

func openDevNull() (*os.File, error) {
	devNullOnce.Do(func() { devNull, devNullErr = os.OpenFile(os.DevNull, os.O_RDWR, 0) })
	return devNull, devNullErr
}

func openStdio(job *Job) (*stdio, error) {
	s := &stdio{}
	var err error
	if s.in, err = s.input(job.Stdin); err != nil {
		s.close(0)
		return nil, err
	}
	if s.out, err = s.output(job.Stdout); err != nil {
		s.close(0)
		return nil, err
	}
	if sameWriter(job.Stdout, job.Stderr) {
		s.err = s.out
		return s, nil
	}
	if s.err, err = s.output(job.Stderr); err != nil {
		s.close(0)
		return nil, err
	}
	return s, nil
}

// sameWriter reports whether a and b are the same writer, without
// panicking on writers whose type cannot be compared.
func sameWriter(a, b io.Writer) bool {
	if a == nil || b == nil || !reflect.TypeOf(a).Comparable() {
		return false
	}
	return a == b
}

func (s *stdio) input(r io.Reader) (*os.File, error) {
	if r == nil {
		return openDevNull()
	}
	if f, ok := r.(*os.File); ok {
		if isTerminal(f) {
			// The child is in a process group of its own, never the
			// terminal's foreground one: reading would stop it (SIGTTIN)
			// and the build would hang.
			return openDevNull()
		}
		return f, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("stdin pipe: %w", err)
	}
	s.ours = append(s.ours, pr)
	go func() {
		// Not waited for: the reader may block forever. A child that
		// stops reading makes the copy fail with EPIPE, which ends it.
		_, _ = io.Copy(pw, r)
		pw.Close()
	}()
	return pr, nil
}

func (s *stdio) output(w io.Writer) (*os.File, error) {
	if w == nil {
		return openDevNull()
	}
	if f, ok := w.(*os.File); ok {
		return f, nil
	}
	if n, ok := w.(*NotifyFile); ok {
		return n.File, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("output pipe: %w", err)
	}
	s.ours = append(s.ours, pw)
	s.readers = append(s.readers, copier{pr, w})
	s.copiers.Add(1)
	go func() {
		defer s.copiers.Done()
		_, _ = io.Copy(w, pr)
	}()
	return pw, nil
}

func isTerminal(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	tty := false
	_ = rc.Control(func(fd uintptr) {
		_, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		tty = err == nil
	})
	return tty
}

// close ends the job's I/O: it closes the children's pipe ends and waits
// for the copiers to drain them. A background process that still holds a
// pipe gets delay to let go; then what it has written so far is copied and
// the rest of its output is cut off.
func (s *stdio) close(delay time.Duration) {
	for _, f := range s.ours {
		f.Close()
	}
	done := make(chan struct{})
	go func() {
		s.copiers.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(delay):
		for _, c := range s.readers {
			_ = c.r.SetReadDeadline(time.Unix(1, 0)) // stops the copier's Read
		}
		<-done
		for _, c := range s.readers {
			_ = c.r.SetReadDeadline(time.Time{})
			drainAvailable(c.r, c.w)
		}
	}
	for _, c := range s.readers {
		c.r.Close()
	}
}

// drainAvailable copies what the pipe r holds right now, without waiting
// for more.
func drainAvailable(r *os.File, w io.Writer) {
	rc, err := r.SyscallConn()
	if err != nil {
		return
	}
	n := 0
	_ = rc.Control(func(fd uintptr) { n, _ = unix.IoctlGetInt(int(fd), unix.TIOCINQ) })
	if n > 0 {
		_, _ = io.CopyN(w, r, int64(n))
	}
}

package jobserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Token is one job slot. Give back exactly what Acquire returned.
type Token struct {
	b        byte // the byte read from the jobserver
	implicit bool // the slot every make holds without reading
}

// Implicit reports whether t is the process's own slot rather than a byte
// of the jobserver.
func (t Token) Implicit() bool { return t.implicit }

// ErrClosed is returned by Acquire when the jobserver is gone: its pipe
// has no writer left, or Close was called.
var ErrClosed = errors.New("jobserver closed")

// Jobserver hands out job slots: the implicit one first, then bytes read
// from the shared pipe or fifo. It is safe for concurrent use.
//
// Reading is done on a file description of our own, in non-blocking mode
// under Go's poller, so that a read can be abandoned (context cancelled,
// implicit slot freed) without consuming a byte and without changing the
// mode of the description the other makes share.
type Jobserver struct {
	auth     Auth
	pass     []*os.File // what recursive children get (pipe form)
	rd       *os.File   // our own non-blocking description, for reading
	wr       *os.File   // for writing tokens back
	implicit chan struct{}
	reader   chan struct{} // one reader at a time: deadlines are per file

	mu      sync.Mutex
	reading bool // a read is in progress and may be interrupted
	closed  bool
	cleanup func() error
}

func newJobserver(auth Auth, pass []*os.File, rd, wr *os.File) *Jobserver {
	j := &Jobserver{auth: auth, pass: pass, rd: rd, wr: wr,
		implicit: make(chan struct{}, 1), reader: make(chan struct{}, 1)}
	j.implicit <- struct{}{}
	return j
}

// Auth is the jobserver as recursive children must be told about it.
func (j *Jobserver) Auth() Auth { return j.auth }

// AuthFlag is the MAKEFLAGS word for recursive children:
// "--jobserver-auth=3,4" (the files of Files, passed first in
// exec.Job.ExtraFiles, are fds 3 and 4 in the child) or
// "--jobserver-auth=fifo:PATH".
func (j *Jobserver) AuthFlag() string { return j.auth.String() }

// Files are the files recursive children need, in order, to be passed as
// the first of exec.Job.ExtraFiles; none for a fifo.
func (j *Jobserver) Files() []*os.File { return j.pass }

// Acquire takes a job slot, waiting until one is free or ctx is done. It
// returns an error only if it holds nothing: a cancelled wait never keeps
// or loses a byte of the jobserver.
func (j *Jobserver) Acquire(ctx context.Context) (Token, error) {
	select {
	case <-j.implicit:
		return Token{implicit: true}, nil
	default:
	}
	select {
	case <-j.implicit:
		return Token{implicit: true}, nil
	case j.reader <- struct{}{}:
	case <-ctx.Done():
		return Token{}, ctx.Err()
	}
	defer func() { <-j.reader }()
	for {
		t, err := j.readToken(ctx)
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return t, err
		}
		// Interrupted: ctx done, or the implicit slot came back.
		select {
		case <-j.implicit:
			return Token{implicit: true}, nil
		default:
		}
		if err := ctx.Err(); err != nil {
			return Token{}, err
		}
	}
}

// readToken reads one byte, interruptible by ctx and by Release of the
// implicit slot (both set a past read deadline while the read is marked in
// progress, so no deadline outlives its read).
func (j *Jobserver) readToken(ctx context.Context) (Token, error) {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return Token{}, ErrClosed
	}
	select {
	case <-j.implicit:
		j.mu.Unlock()
		return Token{implicit: true}, nil
	default:
	}
	j.reading = true
	j.mu.Unlock()
	stop := context.AfterFunc(ctx, j.interrupt)
	var b [1]byte
	n, err := j.rd.Read(b[:])
	stop()
	j.mu.Lock()
	j.reading = false
	_ = j.rd.SetReadDeadline(time.Time{})
	j.mu.Unlock()
	switch {
	case n == 1:
		return Token{b: b[0]}, nil
	case errors.Is(err, io.EOF), errors.Is(err, os.ErrClosed):
		return Token{}, ErrClosed
	case err != nil:
		return Token{}, err
	}
	return Token{}, ErrClosed
}

// interrupt makes an in-progress read return at once.
func (j *Jobserver) interrupt() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.reading {
		_ = j.rd.SetReadDeadline(time.Unix(1, 0))
	}
}

// Release gives a slot back: the implicit one to this process, any other
// by writing its byte back to the jobserver.
func (j *Jobserver) Release(t Token) error {
	if t.implicit {
		select {
		case j.implicit <- struct{}{}:
		default:
			return errors.New("jobserver: implicit slot released twice")
		}
		j.interrupt()
		return nil
	}
	if _, err := j.wr.Write([]byte{t.b}); err != nil {
		return fmt.Errorf("jobserver: give back token: %w", err)
	}
	return nil
}

// Close releases what this process opened (and, for a server, removes the
// fifo). Slots still held are not given back.
func (j *Jobserver) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	j.mu.Unlock()
	err := j.rd.Close()
	if j.cleanup != nil {
		err = errors.Join(err, j.cleanup())
	}
	return err
}

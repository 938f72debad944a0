package builder

import (
	"io"
	"os"
	"syscall"

	xexec "github.com/dmake/dmake/pkg/exec"
)

// startSync points a job's output at temporary files for -O, as GNU make
// does: one file when make's stdout and stderr are the same file, else one
// for each, so the two streams stay apart. Under -Oline and -Otarget a
// recursive recipe ($(MAKE) or '+' lines) is not captured: the sub-make
// syncs its own output; -Orecurse captures it whole. Under -Oline the
// buffers are shown after each line. It returns nil files when the job's
// output is not captured.
func (b *Builder) startSync(job *xexec.Job, mode xexec.Mode) (out, errOut *os.File) {
	if b.opt.OutputSync == SyncNone || mode != xexec.Normal {
		return nil, nil
	}
	if b.opt.OutputSync != SyncRecurse && anyAlways(job.Lines) {
		return nil, nil
	}
	out = tempBuffer()
	if out == nil {
		return nil, nil
	}
	job.Stdout, job.Stderr = out, out
	if !sameFile(b.opt.Stdout, b.opt.Stderr) {
		if errOut = tempBuffer(); errOut != nil {
			job.Stderr = errOut
		}
	}
	if b.opt.OutputSync == SyncLine {
		job.LineDone = func() { b.flushSync(out, errOut) }
	}
	return out, errOut
}

// endSync shows what a finished job wrote and drops its buffers.
func (b *Builder) endSync(out, errOut *os.File) {
	b.flushSync(out, errOut)
	for _, f := range []*os.File{out, errOut} {
		if f != nil {
			f.Close()
		}
	}
}

// flushSync copies the buffers to make's stdout and stderr and empties
// them.
func (b *Builder) flushSync(out, errOut *os.File) {
	if b.opt.SyncWrap != nil && (size(out) > 0 || size(errOut) > 0) {
		b.opt.SyncWrap(true)
		defer b.opt.SyncWrap(false)
	}
	drain(b.opt.Stdout, out)
	drain(b.opt.Stderr, errOut)
}

func size(f *os.File) int64 {
	if f == nil {
		return 0
	}
	st, err := f.Stat()
	if err != nil {
		return 0
	}
	return st.Size()
}

func drain(w io.Writer, f *os.File) {
	if f == nil {
		return
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return
	}
	copyTo(w, f)
	_ = f.Truncate(0)
	_, _ = f.Seek(0, io.SeekStart)
}

func tempBuffer() *os.File {
	f, err := os.CreateTemp("", "dmake-out-")
	if err != nil {
		return nil
	}
	os.Remove(f.Name())
	return f
}

// sameFile reports whether two outputs are the same open file (2>&1).
func sameFile(a, b io.Writer) bool {
	fa, fb := osFile(a), osFile(b)
	if fa == nil || fb == nil {
		return a == b
	}
	var sa, sb syscall.Stat_t
	if syscall.Fstat(int(fa.Fd()), &sa) != nil || syscall.Fstat(int(fb.Fd()), &sb) != nil {
		return false
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

func osFile(w io.Writer) *os.File {
	switch f := w.(type) {
	case *os.File:
		return f
	case *xexec.NotifyFile:
		return f.File
	}
	return nil
}

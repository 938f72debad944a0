package jobserver

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// openOwn opens a new file description of the pipe behind fd, in
// non-blocking mode, so that Go's poller can wait on it. Reopening through
// /proc leaves the mode of the description shared with other makes alone
// (GNU make relies on its own setting). Without /proc, a dup of fd is made
// non-blocking instead, as GNU make itself does to the shared description.
func openOwn(fd int) (*os.File, error) {
	name := "/proc/self/fd/" + strconv.Itoa(fd)
	nfd, err := unix.Open(name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if nfd, err = unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0); err != nil {
			return nil, fmt.Errorf("jobserver: dup fd %d: %w", fd, err)
		}
		if err := unix.SetNonblock(nfd, true); err != nil {
			unix.Close(nfd)
			return nil, fmt.Errorf("jobserver: fd %d: %w", fd, err)
		}
	}
	return os.NewFile(uintptr(nfd), "jobserver"), nil
}

// openFifo opens the fifo at path for reading (non-blocking, pollable) and
// for writing. O_RDWR never blocks on a fifo and never sees EOF.
func openFifo(path string) (rd, wr *os.File, err error) {
	rfd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("jobserver: open fifo: %w", err)
	}
	wfd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(rfd)
		return nil, nil, fmt.Errorf("jobserver: open fifo: %w", err)
	}
	return os.NewFile(uintptr(rfd), path), os.NewFile(uintptr(wfd), path), nil
}

// ErrUnavailable is returned by Join when the jobserver's fds are not open
// in this process (a parent make did not pass them: the recipe line lacked
// '+' or $(MAKE)).
var ErrUnavailable = errors.New("jobserver unavailable")

// usablePipe reports whether fd is open and is a pipe or fifo. GNU make 4.3
// only checks that the read fd is open; dmake also wants a pipe, so that
// an unrelated file that happens to sit on that number is never read.
func usablePipe(fd int) bool {
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
		return false
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return false
	}
	return st.Mode&syscall.S_IFMT == syscall.S_IFIFO
}

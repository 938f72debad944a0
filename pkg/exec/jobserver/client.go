package jobserver

import (
	"fmt"
	"os"
	"strconv"
)

// Join uses the jobserver a parent make created. For the pipe form the
// fds must be open here and be a pipe, or Join returns ErrUnavailable
// (GNU make then warns and runs -j1: see UnavailableWarning). The returned
// Jobserver passes the same jobserver on to recursive children.
func Join(auth Auth) (*Jobserver, error) {
	if auth.Fifo != "" {
		rd, wr, err := openFifo(auth.Fifo)
		if err != nil {
			return nil, err
		}
		j := newJobserver(auth, nil, rd, wr)
		j.cleanup = wr.Close
		return j, nil
	}
	if !usablePipe(auth.R) || !usablePipe(auth.W) {
		return nil, fmt.Errorf("jobserver fds %d,%d: %w", auth.R, auth.W, ErrUnavailable)
	}
	rd, err := openOwn(auth.R)
	if err != nil {
		return nil, err
	}
	r := os.NewFile(uintptr(auth.R), "jobserver-r"+strconv.Itoa(auth.R))
	w := os.NewFile(uintptr(auth.W), "jobserver-w"+strconv.Itoa(auth.W))
	// Passed on as fds 3 and 4 of the children, whatever they are here.
	j := newJobserver(Auth{R: 3, W: 4}, []*os.File{r, w}, rd, w)
	return j, nil
}

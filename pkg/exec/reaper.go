package exec

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
)

// ReaperCommand is the argument by which a program that calls RunReaper
// from its main recognises that it was started as a reaper.
const ReaperCommand = "__dmake_reaper"

// A Reaper makes the recipes of a cluster worker die with it. Pdeathsig
// reaches only a line's direct child when the worker dies (even by
// SIGKILL); a compiler started by a shell would live on, writing a target
// that another worker is already remaking. The reaper is one small process
// per worker: the worker tells it, over a pipe, every process group it
// starts and reaps. When the worker dies the kernel closes the pipe, and
// the reaper kills every group still listed. It costs a pipe write per
// line, not a process.
type Reaper struct {
	mu  sync.Mutex
	w   io.WriteCloser
	cmd *exec.Cmd
}

// StartReaper starts argv (a program whose main calls RunReaper when its
// first argument is ReaperCommand; argv must not include it).
func StartReaper(argv ...string) (*Reaper, error) {
	cmd := exec.Command(argv[0], append(argv[1:], ReaperCommand)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // not in any recipe's group
	cmd.Stderr = os.Stderr
	w, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start reaper: %w", err)
	}
	return &Reaper{w: w, cmd: cmd}, nil
}

func (r *Reaper) send(op byte, pgid int) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.w, "%c%d\n", op, pgid)
}

// Close ends the reaper (it kills nothing that was reaped).
func (r *Reaper) Close() error {
	r.w.Close()
	return r.cmd.Wait()
}

// RunReaper is the reaper's main: it keeps the groups it is told of, and
// when its standard input ends (the worker is gone) kills those left.
func RunReaper() int {
	groups := map[int]bool{}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		line := sc.Text()
		if len(line) < 2 {
			continue
		}
		pgid, err := strconv.Atoi(line[1:])
		if err != nil || pgid <= 1 {
			continue
		}
		if line[0] == '+' {
			groups[pgid] = true
		} else {
			delete(groups, pgid)
		}
	}
	for pgid := range groups {
		syscall.Kill(-pgid, syscall.SIGKILL)
	}
	return 0
}

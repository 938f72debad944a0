package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// sample is one measured run of a make.
type sample struct {
	wall   time.Duration
	cpu    time.Duration // user+system time of the whole process tree (wait4)
	rssKB  int64         // peak resident set of the make processes (polled VmHWM)
	treeKB int64         // ru_maxrss from wait4: the largest process in the tree
	exit   int
}

// measure runs argv in dir with stdout and stderr to log and returns its
// wall time and peak memory. makeName is the process name (comm) of the make
// being measured: the peak RSS counts only processes with that name — the
// top-level make and any sub-makes — so compilers run by a recipe do not hide
// the make's own footprint. A poller reads VmHWM from /proc: the top-level
// process every millisecond, its whole process tree every five.
func measure(ctx context.Context, dir string, log io.Writer, env []string, makeName string, argv []string) (sample, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir, cmd.Stdout, cmd.Stderr, cmd.Env = dir, log, log, env
	// The make runs in its own process group, so that a timeout or an
	// interrupt stops its recipes too, not just the make.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{}, fmt.Errorf("start %s: %w", argv[0], err)
	}
	p := &poller{root: cmd.Process.Pid, name: makeName, peak: map[int]int64{}}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); p.run(done) }()
	err := cmd.Wait()
	wall := time.Since(start)
	close(done)
	wg.Wait()
	s := sample{wall: wall, rssKB: p.max()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		s.treeKB = ru.Maxrss
		s.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		s.exit = ee.ExitCode()
	case err != nil:
		return s, fmt.Errorf("run %s: %w", argv[0], err)
	}
	return s, nil
}

// poller samples the peak RSS of the make processes of one run. It runs in
// its own goroutine until done is closed; max is read only after that.
type poller struct {
	root int
	name string
	peak map[int]int64 // pid → highest VmHWM seen, in KiB
}

func (p *poller) run(done <-chan struct{}) {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for tick := 0; ; tick++ {
		select {
		case <-done:
			return
		case <-t.C:
		}
		if tick%5 == 0 {
			p.walk(p.root, 0)
		} else {
			p.sample(p.root)
		}
	}
}

func (p *poller) max() int64 {
	var m int64
	for _, kb := range p.peak {
		m = max(m, kb)
	}
	return m
}

// sample records pid's VmHWM if it is a make process.
func (p *poller) sample(pid int) {
	name, hwm, ok := readStatus(pid)
	if ok && name == p.name && hwm > p.peak[pid] {
		p.peak[pid] = hwm
	}
}

// walk samples pid and all its descendants.
func (p *poller) walk(pid, depth int) {
	p.sample(pid)
	if depth > 20 {
		return
	}
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, t.Name()))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				p.walk(c, depth+1)
			}
		}
	}
}

// readStatus returns the process name and VmHWM (KiB) of pid.
func readStatus(pid int) (name string, hwmKB int64, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "", 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if v, found := strings.CutPrefix(line, "Name:"); found {
			name = strings.TrimSpace(v)
		} else if v, found := strings.CutPrefix(line, "VmHWM:"); found {
			f := strings.Fields(v)
			if len(f) > 0 {
				hwmKB, _ = strconv.ParseInt(f[0], 10, 64)
			}
			return name, hwmKB, true
		}
	}
	return name, 0, name != ""
}

// procName is the name the kernel gives a process started from path.
func procName(path string) string {
	n := filepath.Base(path)
	if len(n) > 15 {
		n = n[:15]
	}
	return n
}

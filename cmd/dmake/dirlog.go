package main

import (
	"fmt"
	"os"
	"sync"

	xexec "github.com/dmake/dmake/pkg/exec"
)

// dirLog prints GNU make's "Entering directory" line lazily, as make 4.3
// does: just before the first message make writes or the first command it
// starts, so a sub-make with nothing to say prints neither it nor the
// matching "Leaving directory" line.
type dirLog struct {
	prog, dir string
	on        bool // -w, or a sub-make without -s/--no-print-directory

	mu      sync.Mutex
	entered bool
	sync    bool // output sync: blocks print their own lines
}

// enter prints the Entering line once, if it is wanted.
func (d *dirLog) enter() {
	if !d.on {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.entered && !d.sync {
		d.entered = true
		fmt.Fprintf(os.Stdout, "%s: Entering directory '%s'\n", d.prog, d.dir)
	}
}

// leave prints the Leaving line if the Entering line was printed.
func (d *dirLog) leave() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.entered {
		d.entered = false
		fmt.Fprintf(os.Stdout, "%s: Leaving directory '%s'\n", d.prog, d.dir)
	}
}

// files returns stdout and stderr wrapped so that writing to them, or a
// recipe starting with them, prints the Entering line first.
func (d *dirLog) files() (stdout, stderr *xexec.NotifyFile) {
	return &xexec.NotifyFile{File: os.Stdout, Before: d.enter}, &xexec.NotifyFile{File: os.Stderr, Before: d.enter}
}

// blocks switches to GNU make's way under output sync: no lazy line, but
// each piece of synced output between its own Entering and Leaving lines.
// It returns the wrapper for the builder.
func (d *dirLog) blocks() func(enter bool) {
	d.mu.Lock()
	d.sync = true
	if d.entered {
		// Lines written while reading the makefiles close their own
		// Entering line before the first synced piece.
		d.entered = false
		fmt.Fprintf(os.Stdout, "%s: Leaving directory '%s'\n", d.prog, d.dir)
	}
	d.mu.Unlock()
	return func(enter bool) {
		verb := "Leaving"
		if enter {
			verb = "Entering"
		}
		fmt.Fprintf(os.Stdout, "%s: %s directory '%s'\n", d.prog, verb, d.dir)
	}
}

// enteredEnv carries, across the re-exec that follows remade makefiles,
// the directory whose Entering line was printed, so that the restarted
// make neither prints it again nor forgets its Leaving line.
const enteredEnv = "DMAKE_ENTERED_DIRECTORY"

// handOver records the printed Entering line for the restarted make.
func (d *dirLog) handOver() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.entered {
		os.Setenv(enteredEnv, d.dir)
		d.entered = false // the restarted make prints the Leaving line
	}
}

// resume takes over an Entering line printed before a restart, and keeps
// the variable out of the environment of everything else.
func (d *dirLog) resume() {
	if v, ok := os.LookupEnv(enteredEnv); ok {
		os.Unsetenv(enteredEnv)
		d.mu.Lock()
		d.entered = d.on && v == d.dir
		d.mu.Unlock()
	}
}

// Command stamp appends "start|end STEP ATTEMPT WORKER NANOS" to an attempt
// log, NANOS being CLOCK_MONOTONIC (one clock for every process on the
// machine). The process-level tests' recipes call it; it is built by their
// TestMain without the race detector, so it starts fast. One write with
// O_APPEND, so lines from concurrent recipes do not mix.
package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: stamp start|end LOG")
		os.Exit(2)
	}
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	line := fmt.Sprintf("%s %s %s %s %d\n", os.Args[1], os.Getenv("DMAKE_STEP"), os.Getenv("DMAKE_ATTEMPT"), os.Getenv("DMAKE_WORKER"), ts.Nano())
	f, err := os.OpenFile(os.Args[2], os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err == nil {
		_, err = f.WriteString(line)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

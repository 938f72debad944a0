// Command dmake is a drop-in replacement for GNU make 4.3. Without a
// cluster it builds on this machine like make -j; with --cluster (or
// DMAKE_CLUSTER) the same build runs on a dmaked cluster.
//
// main only wires the pipeline: the command line (internal/cli), the
// makefile language (pkg/graph/eval), planning (pkg/graph/plan) and the
// local driver (pkg/exec/builder). Exit codes are decided here and only
// here: 0 success, 1 for -q when something is out of date, 2 for errors.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"

	"github.com/dmake/dmake/cmd/dmake/internal/cli"
)

func main() {
	if p := os.Getenv("DMAKE_CPUPROFILE"); p != "" {
		// For dmake's developers: a CPU profile of this run.
		if f, err := os.Create(p); err == nil {
			pprof.StartCPUProfile(f)
			code := run(os.Args)
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(code)
		}
	}
	code := run(os.Args)
	if p := os.Getenv("DMAKE_MEMPROFILE"); p != "" {
		// For dmake's developers: where this run allocated.
		if f, err := os.Create(p); err == nil {
			pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
	}
	os.Exit(code)
}

func run(args []string) int {
	if code, ok := clusterCommand(args); ok {
		return code
	}
	opts, err := cli.Parse(args, os.Getenv)
	if err != nil {
		var exit *cli.Exit
		if errors.As(err, &exit) {
			fmt.Fprint(os.Stdout, exit.Stdout)
			fmt.Fprint(os.Stderr, exit.Stderr)
			return exit.Code
		}
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for _, w := range opts.Warnings {
		fmt.Fprintln(os.Stderr, w)
	}
	m := &maker{opts: opts, prog: programName(opts)}
	return m.main()
}

// programName is the prefix of make's messages: "make", or "make[2]" in a
// sub-make.
func programName(o *cli.Options) string {
	p := o.Program
	if p == "" {
		p = filepath.Base(o.Argv0)
	}
	if o.MakeLevel > 0 {
		return fmt.Sprintf("%s[%d]", p, o.MakeLevel)
	}
	return p
}

// Command benchmake compares the make under test with GNU make 4.3 on the
// same machine in the same run, and prints a table of wall time and peak
// memory side by side (see docs/benchmarks.md for how to read it).
//
// Rows:
//
//	(a)  parse and evaluate a generated Makefile of 60,000 lines: make -n parse-only
//	(b1) a generated DAG of 5,000 touch targets, clean build at -j2
//	(b2) the same DAG, no-op rebuild at -j2
//	(c1) Lua (Debian's lua5.4 source, upstream Makefile), clean "make -j2 linux"
//	(c2) Lua, no-op rebuild
//
// Usage (from the repository top; `make bench-make` runs this):
//
//	go run ./scripts/bench/benchmake -dmake bin/dmake [-runs 5] [-rows a,b,c]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/dmake/dmake/internal/benchgen"
)

type config struct {
	dmake, ref string // the make under test and GNU make
	runs       int    // measured runs per row for generated inputs
	realRuns   int    // measured runs per row for the real project
	jobs       int
	lines      int // lines of the parse benchmark
	targets    int // targets of the DAG
	rows       string
	work       string // scratch directory
	top        string // repository top (for scripts/realworld/fetch.sh)
	verbose    bool
	timeout    time.Duration // of one run
	genOnly    bool          // write the generated inputs and stop
}

func main() {
	var c config
	flag.StringVar(&c.dmake, "dmake", envOr("DMAKE", "bin/dmake"), "the make under test")
	flag.StringVar(&c.ref, "ref", envOr("REF_MAKE", "/usr/bin/make"), "the reference make (GNU make 4.3)")
	flag.IntVar(&c.runs, "runs", 5, "measured runs per row (generated inputs)")
	flag.IntVar(&c.realRuns, "real-runs", 3, "measured runs per row (real project)")
	flag.IntVar(&c.jobs, "j", 2, "parallelism of the build rows")
	flag.IntVar(&c.lines, "lines", 60000, "lines of the generated parse benchmark")
	flag.IntVar(&c.targets, "targets", 5000, "targets of the generated DAG")
	flag.StringVar(&c.rows, "rows", "a,b,c", "rows to run: a (parse), b (DAG), c (real project)")
	flag.StringVar(&c.work, "work", filepath.Join(os.TempDir(), "dmake-bench"), "scratch directory")
	flag.StringVar(&c.top, "top", ".", "repository top")
	flag.BoolVar(&c.verbose, "v", false, "print every sample to stderr")
	flag.DurationVar(&c.timeout, "timeout", 30*time.Minute, "stop a run that takes longer, and fail")
	flag.BoolVar(&c.genOnly, "gen", false, "only write the generated inputs into -work (parse/ and dag/), for profiling by hand")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "benchmake:", err)
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func run(ctx context.Context, c config) error {
	var err error
	for _, p := range []*string{&c.dmake, &c.ref} {
		if !strings.Contains(*p, "/") { // a bare name: look it up in PATH
			if *p, err = exec.LookPath(*p); err != nil {
				return err
			}
		}
	}
	for _, p := range []*string{&c.dmake, &c.ref, &c.work, &c.top} {
		if *p, err = filepath.Abs(*p); err != nil {
			return err
		}
	}
	if c.genOnly {
		return generate(c)
	}
	for _, m := range []string{c.dmake, c.ref} {
		if _, err := os.Stat(m); err != nil {
			return fmt.Errorf("make not found: %w", err)
		}
	}
	b := &bench{config: c, env: buildEnv(), logs: filepath.Join(c.work, "logs")}
	if err := os.MkdirAll(b.logs, 0o755); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "benchmake: GNU make %s vs dmake %s, work in %s\n", c.ref, c.dmake, c.work)
	for _, r := range strings.Split(c.rows, ",") {
		var err error
		switch strings.TrimSpace(r) {
		case "a":
			err = b.parseRows(ctx)
		case "b":
			err = b.dagRows(ctx)
		case "c":
			err = b.realRows(ctx)
		default:
			err = fmt.Errorf("unknown row %q", r)
		}
		if err != nil {
			return err
		}
	}
	b.print(os.Stdout)
	return nil
}

// generate writes the benchmark inputs without running anything.
func generate(c config) error {
	pr, err := benchgen.ParseBench(filepath.Join(c.work, "parse"), benchgen.ParseOptions{Lines: c.lines})
	if err != nil {
		return err
	}
	dr, err := benchgen.DAG(filepath.Join(c.work, "dag"), benchgen.DAGOptions{Targets: c.targets})
	if err != nil {
		return err
	}
	fmt.Printf("%s/parse: %d lines in %d files; run: make -n %s\n", c.work, pr.Lines, len(pr.Files), benchgen.ParseGoal)
	fmt.Printf("%s/dag: %d targets; run: make -j2 (clean with: rm -rf out)\n", c.work, dr.Targets)
	return nil
}

// buildEnv is the environment of every measured run: the caller's, minus
// anything a calling make passes down (its jobserver above all).
func buildEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEFILES", "GNUMAKEFLAGS", "MAKEOVERRIDES", "LC_ALL":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C")
}

// side is one of the two makes.
type side int

const (
	gnu side = iota
	dm
)

// row is one line of the table: the samples of both makes.
type row struct {
	name    string
	tag     string // names the logs of its runs
	samples [2][]sample
	differs bool // the two makes' outputs differed in some run
}

type bench struct {
	config
	env  []string
	logs string
	rows []*row
}

func (b *bench) newRow(tag, name string) *row {
	r := &row{name: name, tag: tag}
	b.rows = append(b.rows, r)
	return r
}

func (b *bench) makePath(s side) string {
	if s == gnu {
		return b.ref
	}
	return b.dmake
}

// order returns the order of the makes in run i: alternating, so that
// neither always runs first on a warm or a cold machine.
func order(i int) []side {
	if i%2 == 0 {
		return []side{gnu, dm}
	}
	return []side{dm, gnu}
}

// timed runs one make with args in dir, records the sample in r (unless r is
// nil: a warm-up run), and logs its output to logs/<tag>-<side>.log.
func (b *bench) timed(ctx context.Context, r *row, s side, tag, dir string, args ...string) error {
	m := b.makePath(s)
	logPath := filepath.Join(b.logs, fmt.Sprintf("%s-%s.log", tag, [2]string{"gnu", "dmake"}[s]))
	log, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer log.Close()
	rctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	smp, err := measure(rctx, dir, log, b.env, procName(m), append([]string{m}, args...))
	if err != nil {
		return err
	}
	if rctx.Err() != nil {
		return fmt.Errorf("%s: %s: %w after %v (see %s)", tag, m, rctx.Err(), smp.wall.Round(time.Millisecond), logPath)
	}
	if b.verbose {
		fmt.Fprintf(os.Stderr, "  %-9s %-5s wall %8.3fs cpu %8.3fs rss %6d KiB tree %6d KiB exit %d\n",
			tag, [2]string{"gnu", "dmake"}[s], smp.wall.Seconds(), smp.cpu.Seconds(), smp.rssKB, smp.treeKB, smp.exit)
	}
	if smp.exit != 0 && s == gnu {
		return fmt.Errorf("%s: GNU make exited %d (see %s)", tag, smp.exit, logPath)
	}
	if smp.exit != 0 {
		fmt.Fprintf(os.Stderr, "benchmake: %s: %s exited %d (see %s)\n", tag, m, smp.exit, logPath)
	}
	if r != nil {
		r.samples[s] = append(r.samples[s], smp)
		if len(r.samples[gnu]) == len(r.samples[dm]) && !b.sameOutput(tag) {
			r.differs = true
		}
	}
	return nil
}

func (b *bench) parseRows(ctx context.Context) error {
	dir := filepath.Join(b.work, "parse")
	os.RemoveAll(dir)
	res, err := benchgen.ParseBench(dir, benchgen.ParseOptions{Lines: b.lines})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "benchmake: (a) parse: %d lines in %d files\n", res.Lines, len(res.Files))
	r := b.newRow("parse", fmt.Sprintf("(a)  parse+eval %dk lines, -n", res.Lines/1000))
	for i := -1; i < b.runs; i++ { // run -1 warms the page cache
		for _, s := range order(i) {
			rr := r
			if i < 0 {
				rr = nil
			}
			if err := b.timed(ctx, rr, s, "parse", dir, "-n", benchgen.ParseGoal); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *bench) dagRows(ctx context.Context) error {
	dir := filepath.Join(b.work, "dag")
	os.RemoveAll(dir)
	res, err := benchgen.DAG(dir, benchgen.DAGOptions{Targets: b.targets})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "benchmake: (b) DAG: %d targets, %d-line Makefile\n", res.Targets, res.Lines)
	clean := b.newRow("dag-clean", fmt.Sprintf("(b1) DAG %d targets, clean -j%d", res.Targets, b.jobs))
	noop := b.newRow("dag-noop", fmt.Sprintf("(b2) DAG %d targets, no-op -j%d", res.Targets, b.jobs))
	j := fmt.Sprintf("-j%d", b.jobs)
	for i := 0; i < b.runs; i++ {
		for _, s := range order(i) {
			if err := os.RemoveAll(filepath.Join(dir, "out")); err != nil {
				return err
			}
			if err := b.timed(ctx, clean, s, "dag-clean", dir, j); err != nil {
				return err
			}
			if err := b.timed(ctx, noop, s, "dag-noop", dir, j); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *bench) realRows(ctx context.Context) error {
	fetch := exec.CommandContext(ctx, filepath.Join(b.top, "scripts/realworld/fetch.sh"), "lua")
	fetch.Stdout, fetch.Stderr = os.Stderr, os.Stderr
	if err := fetch.Run(); err != nil {
		return fmt.Errorf("fetch lua sources: %w", err)
	}
	cache := os.Getenv("REALWORLD_CACHE")
	if cache == "" {
		cache = filepath.Join(b.top, ".cache/realworld")
	}
	pristine := filepath.Join(cache, "src/lua")
	dir := filepath.Join(b.work, "lua")
	clean := b.newRow("lua-clean", fmt.Sprintf("(c1) lua 5.4 clean, make -j%d linux", b.jobs))
	noop := b.newRow("lua-noop", fmt.Sprintf("(c2) lua 5.4 no-op, make -j%d linux", b.jobs))
	j := fmt.Sprintf("-j%d", b.jobs)
	for i := 0; i < b.realRuns; i++ {
		for _, s := range order(i) {
			if err := os.RemoveAll(dir); err != nil {
				return err
			}
			if out, err := exec.Command("cp", "-a", pristine, dir).CombinedOutput(); err != nil {
				return fmt.Errorf("copy lua tree: %v: %s", err, out)
			}
			if err := b.timed(ctx, clean, s, "lua-clean", dir, j, "linux"); err != nil {
				return err
			}
			if err := b.timed(ctx, noop, s, "lua-noop", dir, j, "linux"); err != nil {
				return err
			}
		}
	}
	return nil
}

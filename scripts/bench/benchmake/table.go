package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// median returns the median of xs (the mean of the middle two if even).
func median[T int64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// stats are one make's figures on one row: medians, the fastest and
// slowest wall times, and how many runs exited non-zero.
type stats struct {
	wall, cpu time.Duration
	lo, hi    time.Duration
	rssKB     int64
	n, failed int
}

func summarise(ss []sample) stats {
	var walls, cpus []time.Duration
	var rss []int64
	st := stats{n: len(ss)}
	for _, s := range ss {
		walls = append(walls, s.wall)
		cpus = append(cpus, s.cpu)
		rss = append(rss, s.rssKB)
		if s.exit != 0 {
			st.failed++
		}
	}
	st.wall, st.cpu, st.rssKB = median(walls), median(cpus), median(rss)
	if len(walls) > 0 {
		st.lo, st.hi = slices.Min(walls), slices.Max(walls)
	}
	return st
}

// ratio formats b/a, dmake's figure over GNU make's.
func ratio(a, b float64) string {
	if a <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", b/a)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

func mb(kb int64) string { return fmt.Sprintf("%.1fMB", float64(kb)/1024) }

// print writes the table: per row, GNU make's and dmake's median wall time,
// median CPU time and median peak RSS, each followed by dmake's ratio to GNU
// make (below 1.00x, dmake is faster or smaller); then the spread of wall
// times, with the ratio of the fastest runs.
func (b *bench) print(w io.Writer) {
	fmt.Fprintf(w, "\nGNU make: %s\ndmake:    %s\n", b.ref, b.dmake)
	fmt.Fprintf(w, "medians of %d runs (%d for the real project); CPU is user+sys of the whole process tree;\n", b.runs, b.realRuns)
	fmt.Fprintf(w, "RSS is the peak of the make processes alone; ratio is dmake / GNU make\n\n")
	width := len("row")
	for _, r := range b.rows {
		width = max(width, len(r.name))
	}
	head := fmt.Sprintf("%-*s | %9s %9s %6s | %9s %9s %6s | %8s %8s %6s", width, "row",
		"GNU wall", "dmake", "ratio", "GNU CPU", "dmake", "ratio", "GNU RSS", "dmake", "ratio")
	fmt.Fprintln(w, head)
	fmt.Fprintln(w, strings.Repeat("-", len(head)))
	var notes []string
	for _, r := range b.rows {
		g, d := summarise(r.samples[gnu]), summarise(r.samples[dm])
		fmt.Fprintf(w, "%-*s | %9s %9s %6s | %9s %9s %6s | %8s %8s %6s\n", width, r.name,
			secs(g.wall), secs(d.wall), ratio(g.wall.Seconds(), d.wall.Seconds()),
			secs(g.cpu), secs(d.cpu), ratio(g.cpu.Seconds(), d.cpu.Seconds()),
			mb(g.rssKB), mb(d.rssKB), ratio(float64(g.rssKB), float64(d.rssKB)))
		if r.differs {
			notes = append(notes, fmt.Sprintf("%s: dmake's output differed from GNU make's (see logs/%s-*.log in the work directory)", r.name, r.tag))
		}
		if d.failed > 0 {
			notes = append(notes, fmt.Sprintf("%s: dmake failed %d of %d runs; its figures are not comparable", r.name, d.failed, d.n))
		}
	}
	fmt.Fprintf(w, "\nwall time spread (fastest..slowest run) and the ratio of the fastest runs:\n")
	for _, r := range b.rows {
		g, d := summarise(r.samples[gnu]), summarise(r.samples[dm])
		fmt.Fprintf(w, "%-*s | GNU %s..%s | dmake %s..%s | fastest %s\n", width, r.name,
			secs(g.lo), secs(g.hi), secs(d.lo), secs(d.hi), ratio(g.lo.Seconds(), d.lo.Seconds()))
	}
	for _, n := range notes {
		fmt.Fprintln(w, "WARNING:", n)
	}
}

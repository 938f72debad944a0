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

// stats are one make's medians on one row; failed counts non-zero exits.
type stats struct {
	wall   time.Duration
	lo, hi time.Duration // fastest and slowest run
	rssKB  int64
	n      int
	failed int
}

func summarise(ss []sample) stats {
	var walls []time.Duration
	var rss []int64
	st := stats{n: len(ss)}
	for _, s := range ss {
		walls = append(walls, s.wall)
		rss = append(rss, s.rssKB)
		if s.exit != 0 {
			st.failed++
		}
	}
	st.wall, st.rssKB = median(walls), median(rss)
	if len(walls) > 0 {
		st.lo, st.hi = slices.Min(walls), slices.Max(walls)
	}
	return st
}

func ratio(a, b float64) string {
	if a <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", b/a)
}

// print writes the table: per row, GNU make's and dmake's median wall time
// and median peak RSS, and dmake's ratio to GNU make (below 1.00x is better).
func (b *bench) print(w io.Writer) {
	fmt.Fprintf(w, "\nGNU make: %s\ndmake:    %s\n", b.ref, b.dmake)
	fmt.Fprintf(w, "median of %d runs (%d for the real project); RSS is the peak of the make processes\n\n", b.runs, b.realRuns)
	width := len("row")
	for _, r := range b.rows {
		width = max(width, len(r.name))
	}
	line := fmt.Sprintf("%-*s  %10s %10s %6s  %9s %9s %6s", width, "row", "GNU wall", "dmake wall", "ratio", "GNU RSS", "dmake RSS", "ratio")
	fmt.Fprintln(w, line)
	fmt.Fprintln(w, strings.Repeat("-", len(line)))
	var notes []string
	for _, r := range b.rows {
		g, d := summarise(r.samples[gnu]), summarise(r.samples[dm])
		fmt.Fprintf(w, "%-*s  %9.3fs %9.3fs %6s  %7.1fMB %7.1fMB %6s\n", width, r.name,
			g.wall.Seconds(), d.wall.Seconds(), ratio(g.wall.Seconds(), d.wall.Seconds()),
			float64(g.rssKB)/1024, float64(d.rssKB)/1024, ratio(float64(g.rssKB), float64(d.rssKB)))
		if d.failed > 0 {
			notes = append(notes, fmt.Sprintf("%s: dmake failed %d of %d runs; its figures are not comparable", r.name, d.failed, d.n))
		}
	}
	fmt.Fprintf(w, "\nspread of wall times (fastest..slowest run):\n")
	for _, r := range b.rows {
		g, d := summarise(r.samples[gnu]), summarise(r.samples[dm])
		fmt.Fprintf(w, "%-*s  GNU %.3f..%.3fs  dmake %.3f..%.3fs\n", width, r.name,
			g.lo.Seconds(), g.hi.Seconds(), d.lo.Seconds(), d.hi.Seconds())
	}
	for _, n := range notes {
		fmt.Fprintln(w, "FAILED:", n)
	}
}
